"""The loopback admin path `/__harness/...`: the Python control surface over HTTP, for CLI users.

    GET    /__harness                               state: base URL, plan, clock, quota, record counts
    GET    /__harness/requests                      the request log;  DELETE clears it
    GET    /__harness/records/{Collection}          {"count": n}  (?ids=true adds the ids)
    POST   /__harness/records/{Collection}          create (body: the record)
    GET    /__harness/records/{Collection}/{id}     one record
    PUT    /__harness/records/{Collection}/{id}     update (body: the fields to change)
    DELETE /__harness/records/{Collection}/{id}     delete
    POST   /__harness/clock                         {"advance_seconds": s}
    POST   /__harness/quota                         {"reset": true} or {"remaining": n}
    POST   /__harness/faults                        set_faults arguments;  DELETE clears every fault
    POST   /__harness/inject                        inject arguments
    POST   /__harness/churn                         set_churn arguments;  DELETE stops all churn
    POST   /__harness/options                       {"name": ..., "value": ...}

Admin requests need no key, are not rate limited, not counted and not logged.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import orjson

from insightly_connector.harness.api import JSON, Request, Response
from insightly_connector.harness.validation import Invalid
from insightly_connector.harness.writes import RecordNotFound

if TYPE_CHECKING:
    from insightly_connector.harness.harness import Harness


def handle_admin(harness: Harness, request: Request) -> Response:
    parts = [p for p in request.path.split("/") if p][1:]
    try:
        body = orjson.loads(request.body) if request.body else {}
        result = _route(harness, request.method, parts, request.query, body)
    except (KeyError, ValueError, TypeError, Invalid) as exc:
        return _reply(400, {"error": str(exc)})
    except RecordNotFound as exc:
        return _reply(404, {"error": f"record not found: {exc}"})
    if isinstance(result, Response):
        return result
    return _reply(200, result)


def _route(harness: Harness, method: str, parts: list[str], query: dict, body):
    head = parts[0] if parts else ""
    if not parts and method == "GET":
        return harness.state()
    if head == "requests" and method == "GET":
        return [asdict(entry) for entry in harness.requests()]
    if head == "requests" and method == "DELETE":
        harness.clear_requests()
        return {"cleared": True}
    if head == "records" and len(parts) == 2:
        collection = parts[1]
        if method == "GET":
            result = {"count": harness.count(collection)}
            if query.get("ids") == "true":
                result["ids"] = harness.ids(collection)
            return result
        if method == "POST":
            return _reply(201, harness.create(collection, body))
    if head == "records" and len(parts) == 3:
        collection, key = parts[1], _key(parts[2])
        if method == "GET":
            record = harness.get(collection, key)
            return record if record is not None else _reply(404, {"error": "record not found"})
        if method == "PUT":
            return harness.update(collection, key, body)
        if method == "DELETE":
            return {"deleted": harness.delete(collection, key)}
    if method == "POST" and head == "clock":
        harness.advance_clock(float(body.get("advance_seconds", 0)))
        return {"now": harness.now().isoformat()}
    if method == "POST" and head == "quota":
        if body.get("reset"):
            harness.reset_quota()
        if "remaining" in body:
            harness.set_quota_remaining(int(body["remaining"]))
        return {"remaining": harness.quota_remaining()}
    if head == "faults" and method == "POST":
        harness.set_faults(**body)
        return {"faults": "set"}
    if head == "faults" and method == "DELETE":
        harness.clear_faults()
        return {"faults": "cleared"}
    if head == "inject" and method == "POST":
        harness.inject(**body)
        return {"injected": True}
    if head == "churn" and method == "POST":
        harness.set_churn(**body)
        return {"churn": "set"}
    if head == "churn" and method == "DELETE":
        harness.clear_churn()
        return {"churn": "cleared"}
    if head == "options" and method == "POST":
        harness.set_option(body["name"], body["value"])
        return {body["name"]: body["value"]}
    return _reply(404, {"error": f"no admin route {method} /{'/'.join(parts)}"})


def _key(text: str):
    return int(text) if text.lstrip("-").isdigit() else text


def _reply(status: int, payload) -> Response:
    return Response(status, orjson.dumps(payload, default=str), {"Content-Type": JSON})
