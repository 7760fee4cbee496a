"""A fake "Widgets API" v1 on 127.0.0.1: the second, non-Insightly API the declarative runner is tested against.

Standard library HTTP/1.1 server (keep-alive) in a background thread; JSON via orjson. Use it as a context
manager: ``with FakeApi(widgets=120, gadgets=75) as api: ...`` (``api.base_url`` is ``http://127.0.0.1:<port>/v1``).

Records (seeded deterministically from ``seed``; seeded stamps lie before the clock's start, 2024-06-01T12:00:00Z,
and seeded ``updated_at`` values collide on purpose so ``(updated_at, key)`` tie-breaking matters):

- widgets: ``{"id": int, "name": str, "colour": str, "weight_grams": int, "created_at": str, "updated_at": str}``;
  key ``id`` (1, 2, ...); writable ``name`` (required on create), ``colour`` (default "grey"), ``weight_grams``
  (default 0).
- gadgets: ``{"gadget_id": str, "label": str, "active": bool, "created_at": str, "updated_at": str}``; key
  ``gadget_id`` ("g-0001", ...); writable ``label`` (required on create), ``active`` (default true).
- Stamps are ``YYYY-MM-DDTHH:MM:SSZ`` from the fake's own clock, which moves only by ``advance_clock``.

HTTP (every request needs ``Authorization: Bearer <token>``, else 401 ``{"error": {"message": "invalid token"}}``;
every error body is ``{"error": {"message": ...}}``; every response has a ``Date`` header from the fake clock):

- ``GET /v1/me`` -> 200 ``{"data": {"id": 1, "name": "Test User"}}``.
- ``GET /v1/widgets?limit=N[&updated_since=ISO][&after=T]`` -> ``{"data": [...], "links": {"next": URL|null}}``.
- ``GET /v1/gadgets?limit=N[&updated_since=ISO][&cursor=T]`` -> ``{"data": [...], "meta": {"next_cursor": T|null}}``.
  Ascending key, or with ``updated_since`` ascending ``(updated_at, key)`` and only ``updated_at > updated_since``
  (``>=`` with ``inclusive=True``). ``limit`` above ``page_size_cap`` is capped; missing -> the cap. Tokens are
  base64url of the last sort key emitted (keyset paging). The next link repeats every other query parameter as sent.
  Next is null when no record follows the page. 400 for: an unknown or repeated query parameter, a limit that is
  not an integer >= 1, an unparseable ``updated_since``, a malformed token or one from the other ordering.
- ``GET /v1/{res}/{key}`` -> 200 ``{"data": {...}}`` | 404 ``not found``.
- ``POST /v1/{res}`` -> 201 ``{"data": {...}}``; ``PUT /v1/{res}/{key}`` (partial) -> 200 ``{"data": {...}}``
  (stamps ``updated_at``) | 404; ``DELETE /v1/{res}/{key}`` -> 204 | 404. 422 ``unknown field X`` (including
  the key and the stamps), ``invalid field X`` (wrong type), ``missing field name|label`` (create only);
  400 for a body that is not a JSON object.
- Other paths -> 404 ``not found``; other methods on a known path -> 405 ``method not allowed``.
- ``fail_next(status, count)``: the next ``count`` requests (any path, before the auth check) get ``status``;
  a 429 carries ``Retry-After: 0``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import email.utils
import random
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson

CLOCK_START = datetime(2024, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
COLOURS = ("red", "green", "blue", "yellow", "black", "white", "grey")
ME = {"id": 1, "name": "Test User"}


@dataclass(frozen=True)
class _Resource:
    key: str
    key_type: type
    required: str
    fields: dict[str, type]
    defaults: dict[str, Any]
    token_param: str


RESOURCES = {
    "widgets": _Resource("id", int, "name", {"name": str, "colour": str, "weight_grams": int},
                         {"colour": "grey", "weight_grams": 0}, "after"),
    "gadgets": _Resource("gadget_id", str, "label", {"label": str, "active": bool}, {"active": True}, "cursor"),
}


@dataclass(frozen=True)
class Logged:
    """One request as the fake saw it, with the status it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    body: Any = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(STAMP_FORMAT)


def _parse_time(text: str) -> datetime:
    text = text.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _type_ok(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


class FakeApi:
    def __init__(self, widgets: int = 120, gadgets: int = 75, token: str = "tok-test-0001",
                 page_size_cap: int = 50, seed: int = 3, inclusive: bool = False):
        if page_size_cap < 1:
            raise ValueError("page_size_cap must be >= 1")
        self.token, self.page_size_cap, self.inclusive = token, page_size_cap, inclusive
        self._lock = threading.RLock()
        self._now = CLOCK_START
        self._store: dict[str, dict[Any, dict]] = {name: {} for name in RESOURCES}
        self._counters = dict.fromkeys(RESOURCES, 0)
        self._log: list[Logged] = []
        self._fail_status, self._fail_count = 500, 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._seed("widgets", widgets, random.Random(seed * 1000 + 1))
        self._seed("gadgets", gadgets, random.Random(seed * 1000 + 2))

    # ----- lifecycle -----
    def start(self) -> FakeApi:
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-widgets-api", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeApi is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin + "/v1"

    # ----- ground truth and out-of-band changes -----
    def records(self, resource: str) -> list[dict]:
        key = RESOURCES[resource].key
        with self._lock:
            return copy.deepcopy(sorted(self._store[resource].values(), key=lambda r: r[key]))

    def get(self, resource: str, key: Any) -> dict | None:
        with self._lock:
            return copy.deepcopy(self._store[resource].get(key))

    def create(self, resource: str, fields: dict) -> dict:
        with self._lock:
            try:
                return copy.deepcopy(self._create(resource, fields))
            except ApiError as error:
                raise ValueError(error.message) from None

    def update(self, resource: str, key: Any, fields: dict) -> dict:
        with self._lock:
            if key not in self._store[resource]:
                raise KeyError(key)
            try:
                return copy.deepcopy(self._update(resource, key, fields))
            except ApiError as error:
                raise ValueError(error.message) from None

    def delete(self, resource: str, key: Any) -> None:
        with self._lock:
            del self._store[resource][key]

    def now(self) -> str:
        with self._lock:
            return _stamp(self._now)

    def advance_clock(self, seconds: float) -> str:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return _stamp(self._now)

    def requests(self) -> list[Logged]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def fail_next(self, status: int = 500, count: int = 1) -> None:
        with self._lock:
            self._fail_status, self._fail_count = status, count

    # ----- internals -----
    def _seed(self, name: str, count: int, rng: random.Random) -> None:
        buckets = max(1, count // 3)  # fewer distinct updated_at values than records: ties on purpose
        for i in range(1, count + 1):
            created = CLOCK_START - timedelta(days=30) + timedelta(seconds=10 * i)
            updated = max(created, CLOCK_START - timedelta(minutes=rng.randint(1, buckets)))
            if name == "widgets":
                fields = {"name": f"Widget {i:04d}", "colour": rng.choice(COLOURS),
                          "weight_grams": rng.randint(1, 5000)}
            else:
                fields = {"label": f"Gadget {i:04d}", "active": rng.random() < 0.5}
            record = self._create(name, fields)
            record["created_at"], record["updated_at"] = _stamp(created), _stamp(updated)

    def _validate(self, res: _Resource, fields: Any, creating: bool) -> None:
        if not isinstance(fields, dict):
            raise ApiError(400, "body must be a JSON object")
        for field, value in fields.items():
            if field not in res.fields:
                raise ApiError(422, f"unknown field {field}")
            if not _type_ok(value, res.fields[field]):
                raise ApiError(422, f"invalid field {field}")
        if creating and res.required not in fields:
            raise ApiError(422, f"missing field {res.required}")

    def _create(self, name: str, fields: Any) -> dict:
        res = RESOURCES[name]
        self._validate(res, fields, creating=True)
        self._counters[name] += 1
        n = self._counters[name]
        key = n if res.key_type is int else f"g-{n:04d}"
        now = _stamp(self._now)
        record = {res.key: key, **{f: fields.get(f, res.defaults.get(f)) for f in res.fields},
                  "created_at": now, "updated_at": now}
        self._store[name][key] = record
        return record

    def _update(self, name: str, key: Any, fields: Any) -> dict:
        self._validate(RESOURCES[name], fields, creating=False)
        record = self._store[name][key]
        record.update(fields)
        record["updated_at"] = _stamp(self._now)
        return record

    def _handle(self, method: str, target: str, headers: Any, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        split = urlsplit(target)
        pairs = parse_qsl(split.query, keep_blank_values=True)
        body: Any = None
        extra: dict[str, str] = {}
        bad_json = False
        if raw:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body, bad_json = raw.decode("utf-8", "replace"), True
        with self._lock:
            try:
                if self._fail_count > 0:
                    self._fail_count -= 1
                    status = self._fail_status
                    raise ApiError(status, "rate limited" if status == 429 else f"injected failure {status}",
                                   {"Retry-After": "0"} if status == 429 else None)
                if headers.get("Authorization") != f"Bearer {self.token}":
                    raise ApiError(401, "invalid token")
                if bad_json and method in ("POST", "PUT"):
                    raise ApiError(400, "invalid JSON")
                status, payload = self._route(method, split.path, pairs, body)
            except ApiError as error:
                status, payload, extra = error.status, {"error": {"message": error.message}}, error.headers
            self._log.append(Logged(method, split.path, dict(pairs), dict(headers.items()), status, body))
        return status, payload, extra

    def _route(self, method: str, path: str, pairs: list[tuple[str, str]], body: Any) -> tuple[int, Any]:
        parts = path.split("/")
        if len(parts) < 3 or parts[:2] != ["", "v1"]:
            raise ApiError(404, "not found")
        parts = parts[2:]
        allowed: tuple[str, ...]
        if parts == ["me"]:
            allowed = ("GET",)
        elif len(parts) == 1 and parts[0] in RESOURCES:
            allowed = ("GET", "POST")
        elif len(parts) == 2 and parts[0] in RESOURCES and parts[1]:
            allowed = ("GET", "PUT", "DELETE")
        else:
            raise ApiError(404, "not found")
        if method not in allowed:
            raise ApiError(405, "method not allowed")
        if parts == ["me"]:
            return 200, {"data": dict(ME)}
        name = parts[0]
        res = RESOURCES[name]
        if len(parts) == 1:
            if method == "POST":
                return 201, {"data": copy.deepcopy(self._create(name, body))}
            return 200, self._list(name, res, path, pairs)
        key: Any = parts[1]
        if res.key_type is int:
            key = int(key) if key.isascii() and key.isdigit() else None
        if key not in self._store[name]:
            raise ApiError(404, "not found")
        if method == "DELETE":
            del self._store[name][key]
            return 204, None
        if method == "PUT":
            return 200, {"data": copy.deepcopy(self._update(name, key, body))}
        return 200, {"data": copy.deepcopy(self._store[name][key])}

    def _list(self, name: str, res: _Resource, path: str, pairs: list[tuple[str, str]]) -> dict:
        query: dict[str, str] = {}
        for param, value in pairs:
            if param not in ("limit", "updated_since", res.token_param):
                raise ApiError(400, f"unknown query parameter {param}")
            if param in query:
                raise ApiError(400, f"repeated query parameter {param}")
            query[param] = value
        limit = self.page_size_cap
        if "limit" in query:
            try:
                limit = min(int(query["limit"]), self.page_size_cap)
            except ValueError:
                limit = 0
            if limit < 1:
                raise ApiError(400, "invalid limit")
        mode = "u" if "updated_since" in query else "k"
        rows = list(self._store[name].values())
        if mode == "u":
            try:
                since = _parse_time(query["updated_since"])
            except ValueError:
                raise ApiError(400, "invalid updated_since") from None
            rows = [r for r in rows if (_parse_time(r["updated_at"]) >= since if self.inclusive
                                        else _parse_time(r["updated_at"]) > since)]

        def sort_key(r: dict) -> tuple:
            return (r["updated_at"], r[res.key]) if mode == "u" else (r[res.key],)

        rows.sort(key=sort_key)
        if res.token_param in query:
            after = self._decode_token(query[res.token_param], mode, res)
            rows = [r for r in rows if sort_key(r) > after]
        page = rows[:limit]
        token = self._encode_token(mode, sort_key(page[-1])) if len(rows) > limit else None
        data = copy.deepcopy(page)
        if res.token_param == "cursor":
            return {"data": data, "meta": {"next_cursor": token}}
        next_url = None
        if token is not None:
            kept = [(p, v) for p, v in pairs if p != res.token_param]
            next_url = f"{self.origin}{path}?{urlencode([*kept, (res.token_param, token)])}"
        return {"data": data, "links": {"next": next_url}}

    @staticmethod
    def _encode_token(mode: str, key: tuple) -> str:
        return base64.urlsafe_b64encode(orjson.dumps([mode, *key])).rstrip(b"=").decode("ascii")

    @staticmethod
    def _decode_token(token: str, mode: str, res: _Resource) -> tuple:
        try:
            decoded = orjson.loads(base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True))
        except (binascii.Error, ValueError):
            decoded = None
        kinds = (str, res.key_type) if mode == "u" else (res.key_type,)
        if (not isinstance(decoded, list) or len(decoded) != len(kinds) + 1 or decoded[0] != mode
                or not all(_type_ok(v, k) for v, k in zip(decoded[1:], kinds, strict=True))):
            raise ApiError(400, f"invalid {res.token_param}")
        return tuple(decoded[1:])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, api: FakeApi):
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address):
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 30
    server: _Server

    def _serve(self) -> None:
        try:
            length = max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            length = 0
        raw = self.rfile.read(length) if length else b""
        status, payload, extra = self.server.api._handle(self.command, self.path, self.headers, raw)
        body = b"" if payload is None else orjson.dumps(payload)
        self.send_response(status)
        for header, value in extra.items():
            self.send_header(header, value)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        if status != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def date_time_string(self, timestamp: float | None = None) -> str:
        with self.server.api._lock:
            moment = self.server.api._now
        return email.utils.formatdate(moment.timestamp(), usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        pass
