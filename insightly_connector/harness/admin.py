"""The loopback admin path `/__harness/...`: the Python control surface over HTTP, for CLI users.

Admin requests need no key, are not rate limited, not counted and not logged. ADMIN_ROUTES below lists
every route; a path or method it lacks answers 404.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import orjson

from insightly_connector.harness.api import JSON, IncomingRequest, OutgoingResponse
from insightly_connector.harness.routing import MethodNotAllowed, NoRoute, Route, RouteTable
from insightly_connector.harness.validation import Invalid
from insightly_connector.harness.writes import RecordNotFound

if TYPE_CHECKING:
    from insightly_connector.harness.harness import Harness

# Every admin route, after `/__harness`. Handlers are methods of `AdminSurface`; `{key}` is a record id (an
# integer when it is all digits).
ADMIN_ROUTES = (
    # method      path                           handler            what it does
    Route("GET",    "/",                         "state"),          # base URL, plan, clock, quota, counts
    Route("GET",    "/requests",                 "requests"),       # the request log
    Route("DELETE", "/requests",                 "clear_requests"),
    Route("GET",    "/records/{collection}",     "count"),          # {"count": n}; ?ids=true adds the ids
    Route("POST",   "/records/{collection}",     "create"),         # body: the record
    Route("GET",    "/records/{collection}/{key}", "get"),
    Route("PUT",    "/records/{collection}/{key}", "update"),       # body: the fields to change
    Route("DELETE", "/records/{collection}/{key}", "delete"),
    Route("POST",   "/clock",                    "advance_clock"),  # {"advance_seconds": s}
    Route("POST",   "/quota",                    "quota"),          # {"reset": true} or {"remaining": n}
    Route("POST",   "/faults",                   "set_faults"),     # Harness.set_faults arguments
    Route("DELETE", "/faults",                   "clear_faults"),
    Route("POST",   "/inject",                   "inject"),         # Harness.inject arguments
    Route("POST",   "/churn",                    "set_churn"),      # Harness.set_churn arguments
    Route("DELETE", "/churn",                    "clear_churn"),
    Route("POST",   "/options",                  "set_option"),     # {"name": ..., "value": ...}
)


class AdminSurface:
    """The handlers of ADMIN_ROUTES over one harness. Each takes the query and the parsed body, then the
    values the path's placeholders captured."""

    def __init__(self, harness: Harness):
        self.harness = harness
        self.routes = RouteTable([route.bound_to(self) for route in ADMIN_ROUTES], converters={"key": _key})

    def handle(self, request: IncomingRequest) -> OutgoingResponse:
        parts = [p for p in request.path.split("/") if p][1:]
        try:
            body = orjson.loads(request.body) if request.body else {}
            route, values = self.routes.resolve(request.method, parts)
            result = route.handler(request.query, body, **values)
        except (NoRoute, MethodNotAllowed):
            return _reply(404, {"error": f"no admin route {request.method} /{'/'.join(parts)}"})
        except (KeyError, ValueError, TypeError, Invalid) as exc:
            return _reply(400, {"error": str(exc)})
        except RecordNotFound as exc:
            return _reply(404, {"error": f"record not found: {exc}"})
        if isinstance(result, OutgoingResponse):
            return result
        return _reply(200, result)

    def state(self, query, body):
        return self.harness.state()

    def requests(self, query, body):
        return [asdict(entry) for entry in self.harness.requests()]

    def clear_requests(self, query, body):
        self.harness.clear_requests()
        return {"cleared": True}

    def count(self, query, body, collection: str):
        result = {"count": self.harness.count(collection)}
        if query.get("ids") == "true":
            result["ids"] = self.harness.ids(collection)
        return result

    def create(self, query, body, collection: str):
        return _reply(201, self.harness.create(collection, body))

    def get(self, query, body, collection: str, key):
        record = self.harness.get(collection, key)
        return record if record is not None else _reply(404, {"error": "record not found"})

    def update(self, query, body, collection: str, key):
        return self.harness.update(collection, key, body)

    def delete(self, query, body, collection: str, key):
        return {"deleted": self.harness.delete(collection, key)}

    def advance_clock(self, query, body):
        self.harness.advance_clock(float(body.get("advance_seconds", 0)))
        return {"now": self.harness.now().isoformat()}

    def quota(self, query, body):
        if body.get("reset"):
            self.harness.reset_quota()
        if "remaining" in body:
            self.harness.set_quota_remaining(int(body["remaining"]))
        return {"remaining": self.harness.quota_remaining()}

    def set_faults(self, query, body):
        self.harness.set_faults(**body)
        return {"faults": "set"}

    def clear_faults(self, query, body):
        self.harness.clear_faults()
        return {"faults": "cleared"}

    def inject(self, query, body):
        self.harness.inject(**body)
        return {"injected": True}

    def set_churn(self, query, body):
        self.harness.set_churn(**body)
        return {"churn": "set"}

    def clear_churn(self, query, body):
        self.harness.clear_churn()
        return {"churn": "cleared"}

    def set_option(self, query, body):
        self.harness.set_option(body["name"], body["value"])
        return {body["name"]: body["value"]}


def _key(text: str, values: dict):
    return int(text) if text.lstrip("-").isdigit() else text


def _reply(status: int, payload) -> OutgoingResponse:
    return OutgoingResponse(status, orjson.dumps(payload, default=str), {"Content-Type": JSON})
