"""The emulated Insightly v3.1 API: one request in, one response out, no sockets.

Order of a request: latency; targeted or random fault (answered before processing for `status` and
`reset`); authentication (401 unknown key or other pod's key, 403 disabled key); daily quota (429 while
spent); per-second limit (429 + Retry-After); routing; the plan (403/404 for objects it lacks); the
handler. `X-RateLimit-Limit` and `X-RateLimit-Remaining` go on every answer.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import random
import threading
import time
from dataclasses import dataclass, field

import orjson

from insightly_connector.harness import children, sub_record_writes
from insightly_connector.harness import custom_fields as cf
from insightly_connector.harness.clock import Clock
from insightly_connector.harness.dataset import TAG_RECORD_TYPES, Dataset, time_field_of
from insightly_connector.harness.datetimes import parse_query_date, parse_record_date
from insightly_connector.harness.derive_table import NESTED_SUBRESOURCES
from insightly_connector.harness.faults import Churn, Injection, RandomFaults
from insightly_connector.harness.limits import DailyQuota, RateWindow
from insightly_connector.harness.plans import missing_status
from insightly_connector.harness.request_log import RequestLog, RequestLogEntry
from insightly_connector.harness.routing import MethodNotAllowed, NoRoute, Route, RouteTable
from insightly_connector.harness.selection import Selection
from insightly_connector.harness.table import CollectionSpec
from insightly_connector.harness.validation import Invalid
from insightly_connector.harness.writes import RecordLimitReached, RecordNotFound, Writer

API_PREFIX = "/v3.1"
DEFAULT_TOP, MAX_TOP = 100, 500
JSON = "application/json; charset=utf-8"
BAD_PARAMETER = "Often missing or invalid parameter."
BAD_DATA = "Data validation error."
# Wrong singular/plural forms the live API answers 405 (api-notes §2.1), beyond the generated ones.
EXTRA_WRONG_FORMS = {"quote": "Quotation", "quotes": "Quotation"}
SPECIAL_ROUTES = ("Tags", "CustomFields", "CustomObjects", "Users", "FileAttachments", "Comments")
PAGING_PARAMS = ("skip", "top", "brief", "count_total")
RESOLVED_ROUTES_KEPT = 4096  # successful route resolutions remembered, per (method, path)

# Every route of the emulated API, after `/v3.1`. The first segment is resolved first (unknown: 404; the
# wrong singular or plural: 405; an object the plan lacks: 403 or 404), then the first pattern here that
# matches the path owns it: its route for the method answers, else 405 (404 when none of its routes
# exists for the collection). `when` is an operation the collection must have for the route to exist
# (see routing.py); `{collection}` is a collection of the resource table and `{id}` its primary key (a
# non-integer for an integer key answers 400 whatever the method). Literals match case-insensitively.
API_ROUTES = (
    # method   path                                     handler                  when
    # Insightly's fixed endpoints: GET only, and nothing else below them.
    Route("GET", "/Users/Me", "_me"),
    Route("GET", "/Users/Me/**", "_not_found"),
    Route("GET", "/Tags", "_tags"),
    Route("GET", "/Tags/**", "_not_found"),
    Route("GET", "/CustomFields/{object}", "_custom_fields"),
    Route("GET", "/CustomFields/{object}/Search", "_custom_field"),
    Route("GET", "/CustomFields/{object}/{other}", "_under_custom_fields"),
    Route("GET", "/CustomFields/**", "_not_found"),
    Route("GET", "/CustomObjects", "_custom_objects"),
    Route("GET", "/CustomObjects/{name}", "_custom_object"),
    Route("GET", "/CustomObjects/**", "_not_found"),
    Route("DELETE", "/FileAttachments/{file_id}", "_delete_file_attachment"),  # sub_record_writes.py
    Route("GET", "/Comments/{comment_id}/FileAttachments", "_comment_file_attachments"),  # children.py
    Route("GET", "/Comments/**", "_not_found"),
    # Every collection of the resource table, custom objects included.
    Route("GET", "/{collection}", "_read"),
    Route("POST", "/{collection}", "_create_in", when="create"),
    Route("PUT", "/{collection}", "_update_in", when="update"),
    Route("DELETE", "/{collection}", "_delete_by_query", when="delete_by_query"),  # ?id=
    Route("GET", "/{collection}/Search", "_search_route", when="search"),
    Route("GET", "/{collection}/SearchByTag", "_search_by_tag_route", when="search_by_tag"),
    Route("GET", "/{collection}/{id}", "_get"),  # 405 where the collection has no get
    Route("DELETE", "/{collection}/{id}", "_delete_by_path", when="delete_by_path"),
    # Notes, child records and nested collections; the resource table's subresources decide (404/405).
    Route("*", "/{collection}/{id}/{sub}", "_subresource"),
    Route("*", "/{collection}/{id}/{sub}/{child_id}", "_subresource"),
    Route("*", "/{collection}/{id}/**", "_not_found"),
)


def collection_has(when: str, values: dict) -> bool:
    """A route's `when`: an operation of the resource table, or `delete_by_path` / `delete_by_query` (where
    the collection's DELETE takes the id)."""
    operations = values["collection"].operations
    if when.startswith("delete_by_"):
        return operations.get("delete", {}).get("id_in") == when.removeprefix("delete_by_")
    return when in operations


class EmulatedError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class IncomingRequest:
    method: str
    path: str  # as sent, without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class OutgoingResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    action: str | None = None  # "reset" | "truncate" | None
    delay: float = 0.0  # seconds to wait, after processing, before answering


@dataclass
class Options:
    """Behaviour switches for what the notes leave unknown; `set_option` changes them at run time."""

    search_inclusive: bool = False  # updated_after_utc: >= instead of >
    search_combined_filters: str = "and"  # field_name + updated_after_utc: "and" | "reject" (400)
    search_case_sensitive: bool = False  # field_value / tagName matching
    child_changes_touch_parent: bool = False  # a child change (comment, file) moves the parent's DATE_UPDATED_UTC

    def set(self, name: str, value) -> None:
        if name not in self.__dataclass_fields__:
            raise ValueError(f"unknown option {name!r}; one of {', '.join(self.__dataclass_fields__)}")
        if name == "search_combined_filters" and value not in ("and", "reject"):
            raise ValueError("search_combined_filters is 'and' or 'reject'")
        setattr(self, name, value)


class InsightlyApi:
    def __init__(self, dataset: Dataset, clock: Clock, *, plan: str, daily_quota: int, keys: dict[str, int],
                 disabled_keys: set[str], rate_limit_per_second: int | None, record_limit: int | None,
                 faults: RandomFaults, options: Options, seed: int, log_limit: int = 100_000):
        self.dataset, self.clock, self.plan, self.options = dataset, clock, plan, options
        self.keys, self.disabled_keys = keys, disabled_keys  # key -> user id
        self.quota = DailyQuota(daily_quota, clock.now().date())
        self.rate = RateWindow(rate_limit_per_second)
        self.record_limit = record_limit
        self.writer = Writer(dataset, clock.epoch, lambda: self.record_limit)
        self.children = children.ChildStore(
            dataset, seed, clock.epoch, touch_parent=lambda: self.options.child_changes_touch_parent,
            update_parent=lambda name, key: self.writer.update(name, {}, trusted=True, key=key))
        self.faults = faults
        self.injections: list[Injection] = []
        self.faults_played: dict[str, int] = {}  # faults actually played, by kind
        self.churns: dict[str, Churn] = {}
        self.churn_rng = random.Random(seed * 7919 + 1)
        self.log = RequestLog(log_limit)
        self.lock = threading.RLock()
        self._names = {name.lower(): name for name in (*dataset.specs, *SPECIAL_ROUTES)}
        self._wrong_forms = _wrong_forms(dataset.specs)
        self._routes = RouteTable([route.bound_to(self) for route in API_ROUTES], case_sensitive=False,
                                  converters={"collection": self._collection_param, "id": self._id_param},
                                  condition=collection_has)
        self._resolved: dict[tuple[str, str], tuple[Route, dict]] = {}

    # ---- the request pipeline --------------------------------------------------------------------------

    def handle(self, request: IncomingRequest) -> OutgoingResponse:
        with self.lock:
            pause = self.faults.delay_seconds()
        if pause:
            time.sleep(pause)
        arrived = time.monotonic()
        with self.lock:
            path = request.path[len(API_PREFIX):] if request.path.startswith(API_PREFIX + "/") else request.path
            injection = self._take_injection(request.method, path)
            drawn = None if injection else self.faults.draw()
            if drawn:
                played = f"random_{drawn[0]}" + (f"_{drawn[1]}" if drawn[1] else "")
                self.faults_played[played] = self.faults_played.get(played, 0) + 1
            if injection and injection.before_processing:
                response = self._injected(injection.kind, injection.status, injection.retry_after)
            elif drawn and drawn[0] in ("status", "reset"):
                response = self._injected(drawn[0], drawn[1], 1)
            else:
                response = self._process(request, path, arrived)
                if injection:
                    response.action = "reset" if injection.kind == "reset_after_processing" else (
                        "truncate" if injection.kind == "truncate" else None)
                    response.delay = injection.seconds if injection.kind == "delay_after_processing" else 0.0
                elif drawn:
                    response.action = "truncate"
            response.headers.setdefault("X-RateLimit-Limit", str(self.quota.limit))
            response.headers.setdefault("X-RateLimit-Remaining", str(self.quota.remaining))
            self.log.add(RequestLogEntry(request.method, path, dict(request.query),
                                         0 if response.action == "reset" else response.status,
                                         _parsed_body(request.body), arrived))
        return response

    def _take_injection(self, method: str, path: str) -> Injection | None:
        for injection in self.injections:
            if injection.matches(method, path):
                if injection.after > 0:  # not yet: this matching request passes untouched
                    injection.after -= 1
                    return None
                played = injection.kind if injection.kind != "status" else f"status_{injection.status}"
                self.faults_played[played] = self.faults_played.get(played, 0) + 1
                injection.count -= 1
                if injection.count <= 0:
                    self.injections.remove(injection)
                return injection
        return None

    def _injected(self, kind: str, status: int | None, retry_after: int | None) -> OutgoingResponse:
        if kind == "reset":
            return OutgoingResponse(0, action="reset")
        headers = {"Retry-After": str(retry_after)} if status == 429 and retry_after is not None else {}
        return _error(status, _STATUS_TEXT.get(status, "Injected fault."), headers)

    def _process(self, request: IncomingRequest, path: str, arrived: float) -> OutgoingResponse:
        try:
            if not request.path.startswith(API_PREFIX + "/"):
                raise _no_route(request.path)
            user_id = self._authenticate(request.headers.get("authorization", ""))
            self.quota.roll(self.clock.now().date())
            if self.quota.remaining <= 0:
                raise EmulatedError(429, f"Daily API request limit of {self.quota.limit} reached. Try again tomorrow.")
            if not self.rate.admit(arrived):
                raise EmulatedError(429, f"Too many requests: at most {self.rate.per_second} a second.",
                               {"Retry-After": "1"})
            self.quota.spend()
            return self._route(request, path, user_id)
        except EmulatedError as exc:
            return _error(exc.status, exc.message, exc.headers)

    def _authenticate(self, header: str) -> int:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise EmulatedError(401, "Authentication failed.")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise EmulatedError(401, "Authentication failed.") from exc
        key = decoded.split(":", 1)[0]
        if key in self.disabled_keys:
            raise EmulatedError(403, "API access is disabled for this user.")
        if key not in self.keys:
            raise EmulatedError(401, "Authentication failed.")
        return self.keys[key]

    # ---- routing ---------------------------------------------------------------------------------------

    def _route(self, request: IncomingRequest, path: str, user_id: int) -> OutgoingResponse:
        """The first segment names the resource (404 unknown, 405 its wrong singular or plural, then the
        plan's 403/404); API_ROUTES picks the handler for the rest. A resolution depends on the method
        and path alone, so successful ones are remembered (a client pages the same path over and over)."""
        resolved = self._resolved.get((request.method, path))
        if resolved is None:
            resolved = self._resolve(request, path)
            if len(self._resolved) >= RESOLVED_ROUTES_KEPT:
                self._resolved.clear()
            self._resolved[request.method, path] = resolved
        route, values = resolved
        return route.handler(request, user_id, **values)

    def _resolve(self, request: IncomingRequest, path: str) -> tuple[Route, dict]:
        parts = [p for p in path.split("/") if p]
        if not parts:
            raise _no_route(request.path)
        parts[0] = self._resource_name(parts[0], request)
        try:
            return self._routes.resolve(request.method, parts)
        except MethodNotAllowed:
            raise _not_allowed(request.method) from None
        except NoRoute:
            raise _no_route(request.path) from None

    def _resource_name(self, segment: str, request: IncomingRequest) -> str:
        name = self._names.get(segment.lower())
        if name is None:
            if segment.lower() in self._wrong_forms:
                raise _not_allowed(request.method)
            raise _no_route(request.path)
        status = missing_status(self.plan, name)
        if status == 403:
            raise EmulatedError(403, f"API User does not have access to {name}.")
        if status == 404:
            raise _no_route(request.path)
        return name

    def _collection_param(self, name: str, values: dict) -> CollectionSpec | None:
        """`{collection}`: a collection of the resource table (the first segment, already resolved)."""
        return self.dataset.specs.get(name)

    def _id_param(self, text: str, values: dict):
        """`{id}`: the collection's primary key; a non-integer for an integer key answers 400."""
        return self._key(values["collection"], text)

    def _key(self, spec: CollectionSpec, text: str):
        if spec.primary_key and spec.field_map[spec.primary_key].type == "integer":
            try:
                return int(text)
            except ValueError as exc:
                raise EmulatedError(400, f"{BAD_PARAMETER} The id must be an integer.") from exc
        return text

    def _not_found(self, request: IncomingRequest, user_id: int, **_) -> OutgoingResponse:
        raise _no_route(request.path)

    # ---- collections: /{Collection}, /{Collection}/Search|SearchByTag, /{Collection}/{id} ---------------

    def _read(self, request: IncomingRequest, user_id: int, collection: CollectionSpec) -> OutgoingResponse:
        records = self.dataset.collection(collection.name)
        if collection.shape == "object":
            return _json(200, records.render(next(iter(records.keys))))
        self._churn(collection.name)
        return self._list(collection, request.query)

    def _create_in(self, request: IncomingRequest, user_id: int, collection: CollectionSpec) -> OutgoingResponse:
        return self._create(collection, request.body, user_id)

    def _update_in(self, request: IncomingRequest, user_id: int, collection: CollectionSpec) -> OutgoingResponse:
        return self._update(collection, request.body)

    def _delete_by_query(self, request: IncomingRequest, user_id: int,
                         collection: CollectionSpec) -> OutgoingResponse:
        return self._delete(collection, self._key(collection, request.query.get("id", "")))

    def _delete_by_path(self, request: IncomingRequest, user_id: int, collection: CollectionSpec,
                        id) -> OutgoingResponse:
        return self._delete(collection, id)

    def _search_route(self, request: IncomingRequest, user_id: int, collection: CollectionSpec) -> OutgoingResponse:
        self._churn(collection.name)
        return self._search(collection, request.query, "search")

    def _search_by_tag_route(self, request: IncomingRequest, user_id: int,
                             collection: CollectionSpec) -> OutgoingResponse:
        self._churn(collection.name)
        return self._search(collection, request.query, "search_by_tag")

    def _get(self, request: IncomingRequest, user_id: int, collection: CollectionSpec, id) -> OutgoingResponse:
        if not collection.has("get"):
            raise _not_allowed(request.method)
        body = self.dataset.collection(collection.name).render(id)
        if body is None:
            raise EmulatedError(404, "Record not found.")
        return _json(200, body)

    # ---- fixed endpoints: /Users/Me, /Tags, /CustomFields/{object}, /CustomObjects ------------------------

    def _me(self, request: IncomingRequest, user_id: int) -> OutgoingResponse:
        return _json(200, self.dataset.collection("Users").render(user_id))

    def _tags(self, request: IncomingRequest, user_id: int) -> OutgoingResponse:
        record_type = (request.query.get("record_type") or "").lower()
        if record_type not in TAG_RECORD_TYPES:
            raise EmulatedError(400, "Invalid record_type specified.")
        tags = self.dataset.tags(TAG_RECORD_TYPES[record_type])
        skip, top = _integer(request.query, "skip", 0), min(_integer(request.query, "top", DEFAULT_TOP), MAX_TOP)
        headers = {"X-Total-Count": str(len(tags))} if _boolean(request.query, "count_total") else {}
        return _json(200, orjson.dumps([{"TAG_NAME": t} for t in tags[skip:skip + top]]), headers)

    def _custom_fields(self, request: IncomingRequest, user_id: int, object: str) -> OutgoingResponse:
        return _json(200, orjson.dumps(self._custom_field_metadata(object)))

    def _custom_field(self, request: IncomingRequest, user_id: int, object: str) -> OutgoingResponse:
        fields = self._custom_field_metadata(object)
        match = [f for f in fields if f["FIELD_NAME"] == request.query.get("fieldName")]
        if not match:
            raise EmulatedError(404, "Record not found.")
        return _json(200, orjson.dumps(match[0]))

    def _under_custom_fields(self, request: IncomingRequest, user_id: int, object: str,
                             other: str) -> OutgoingResponse:
        """`/CustomFields/{object}/{other}`: an unknown object still answers 400 before the 404."""
        self._custom_field_metadata(object)
        raise _no_route(request.path)

    def _custom_field_metadata(self, object_name: str) -> list[dict]:
        target = self._names.get(object_name.lower())
        if target is None or target in SPECIAL_ROUTES:
            raise EmulatedError(400, f"{BAD_PARAMETER} Unknown object {object_name!r}.")
        return cf.metadata(target)

    def _custom_objects(self, request: IncomingRequest, user_id: int) -> OutgoingResponse:
        store = self.dataset.collection("CustomObjects")
        return _json(200, _array([store.render(k) for k in store.keys]))

    def _custom_object(self, request: IncomingRequest, user_id: int, name: str) -> OutgoingResponse:
        body = self.dataset.collection("CustomObjects").render(name)
        if body is None:
            raise EmulatedError(404, "Record not found.")
        return _json(200, body)

    # ---- reading ---------------------------------------------------------------------------------------

    def _list(self, spec: CollectionSpec, query: dict) -> OutgoingResponse:
        """A plain list; a list parameter named after a field (`/Follows?record_type=`) filters on it."""
        params = spec.read_params()
        filters = [p for p in params if p not in PAGING_PARAMS and query.get(p) and spec.has_field(p.upper())]
        if filters:
            selection = self.dataset.search(spec.name, field=filters[0].upper(), value=query[filters[0]])
        else:
            selection = self.dataset.collection(spec.name).everything()
        return self._page(spec, selection, query, params)

    def _page(self, spec: CollectionSpec, selection: Selection, query: dict, params: list[str]) -> OutgoingResponse:
        skip = _integer(query, "skip", 0) if "skip" in params else 0
        top = min(_integer(query, "top", DEFAULT_TOP), MAX_TOP) if "top" in params else len(selection)
        brief = _boolean(query, "brief") if "brief" in params else False
        counted = "count_total" in params and _boolean(query, "count_total")
        headers = {"X-Total-Count": str(len(selection))} if counted else {}
        items = self.dataset.collection(spec.name).render_page(selection, skip, top, brief)
        return _json(200, _array(items), headers)

    def _search(self, spec: CollectionSpec, query: dict, operation: str) -> OutgoingResponse:
        params = spec.operations[operation]["params"]
        filters = {"case_sensitive": self.options.search_case_sensitive}
        if operation == "search_by_tag":
            if not query.get("tagName"):
                raise EmulatedError(400, f"{BAD_PARAMETER} tagName is required.")
            filters["tag"] = query["tagName"]
        else:
            filters.update(self._search_filters(spec, query))
        selection = self.dataset.search(spec.name, **filters)
        return self._page(spec, selection, query, params)

    def _search_filters(self, spec: CollectionSpec, query: dict) -> dict:
        filters = {}
        field_name, field_value = query.get("field_name"), query.get("field_value")
        if (field_name is None) != (field_value is None):
            raise EmulatedError(400, f"{BAD_PARAMETER} field_name and field_value must both be provided.")
        if field_name is not None:
            if field_name not in self.dataset.searchable_fields(spec.name):
                raise EmulatedError(400, f"{BAD_PARAMETER} Unknown field_name {field_name!r}.")
            filters.update(field=field_name, value=field_value)
        if "updated_after_utc" in query:
            instant = parse_query_date(query["updated_after_utc"])
            if instant is None or time_field_of(spec) is None:
                raise EmulatedError(400, f"{BAD_PARAMETER} updated_after_utc is not a valid date.")
            filters.update(updated_after=instant, inclusive=self.options.search_inclusive)
        if "field" in filters and "updated_after" in filters and self.options.search_combined_filters == "reject":
            raise EmulatedError(400, f"{BAD_PARAMETER} Only one search filter can be specified.")
        return filters

    # ---- writing ---------------------------------------------------------------------------------------

    def _create(self, spec: CollectionSpec, body: bytes, user_id: int, **route) -> OutgoingResponse:
        document = _parse_json(body)
        try:
            record = self.writer.create(spec.name, document, user_id, **route)
        except Invalid as exc:
            raise EmulatedError(400, f"{BAD_DATA} {exc}") from exc
        except RecordLimitReached as exc:
            raise EmulatedError(402, "Record limit reached.") from exc
        return _json(201, orjson.dumps(record))

    def _update(self, spec: CollectionSpec, body: bytes) -> OutgoingResponse:
        document = _parse_json(body)
        try:
            record = self.writer.update(spec.name, document)
        except Invalid as exc:
            raise EmulatedError(400, f"{BAD_DATA} {exc}") from exc
        except RecordNotFound as exc:
            raise EmulatedError(404, "Record not found.") from exc
        return _json(200, orjson.dumps(record))

    def _delete(self, spec: CollectionSpec, key) -> OutgoingResponse:
        """202 and gone; categories are deactivated instead ("Deactivation succeeded." in the Swagger)."""
        if spec.operations["delete"].get("deactivates"):
            record = self.dataset.collection(spec.name).get(key)
            if record is None:
                raise EmulatedError(404, "Record not found.")
            if record.get("ACTIVE") is False:
                raise EmulatedError(409, "The record is already deactivated.")
            self.writer.update(spec.name, {"ACTIVE": False}, key=key)
        elif not self.writer.delete(spec.name, key):
            raise EmulatedError(404, "Record not found.")
        return OutgoingResponse(202, b"", {"Content-Type": JSON})

    def _subresource(self, request: IncomingRequest, user_id: int, collection: CollectionSpec, id, sub: str,
                     child_id: str | None = None) -> OutgoingResponse:
        """`/{Collection}/{id}/{Sub}` and `/{Collection}/{id}/{Sub}/{childId}`: notes and child records
        (milestones, line items, price-book entries, team members) and the nested collections."""
        spec, key, rest = collection, id, [sub] if child_id is None else [sub, child_id]
        method = request.method
        route = rest[0] if len(rest) == 1 else rest[0] + "/{}"
        route = next((known for known in spec.subresources if known.lower() == route.lower()), route)
        methods = spec.subresources.get(route)
        if methods is None:
            raise _no_route(request.path)
        if method not in methods:
            raise _not_allowed(method)
        parent = self.dataset.collection(spec.name).get(key)
        if parent is None:
            raise EmulatedError(404, "Record not found.")
        sub = route.split("/")[0]
        if sub == "Notes":
            return self._notes(spec, key, request, user_id)
        child = self.dataset.specs.get(sub)
        if child is not None and child.has_field(spec.primary_key):
            return self._child(spec, key, child, rest[1:], request, user_id)
        if sub in NESTED_SUBRESOURCES and method == "GET" and len(rest) == 1:
            return _json(200, orjson.dumps(parent.get(NESTED_SUBRESOURCES[sub]) or []))
        if method == "GET" and (sub in children.KINDS or sub in children.ALIASES or sub in children.LINKED_LISTS):
            return self._children(spec, key, sub, rest[1:], request.query)
        if method != "GET" and sub_record_writes.handles(sub):
            return self._write_under(spec, key, sub, rest[1:], request, user_id)
        raise EmulatedError(501, f"Not emulated by the harness: {method} {spec.path}/{{id}}/{route}.")

    def _write_under(self, spec: CollectionSpec, key, sub: str, argument: list[str], request: IncomingRequest,
                     user_id: int) -> OutgoingResponse:
        """Tags, links, pipeline, state, dates, uploads, comments: harness/sub_record_writes.py."""
        try:
            status, body = sub_record_writes.write(self, spec, key, sub, argument, request.method, request.body,
                                                   request.headers, user_id)
        except sub_record_writes.SubRecordError as exc:
            raise EmulatedError(exc.status, exc.message) from None
        return _json(status, orjson.dumps(body) if body is not None else b"")

    def _delete_file_attachment(self, request: IncomingRequest, user_id: int, file_id: str) -> OutgoingResponse:
        try:
            found = sub_record_writes.delete_file_attachment(self, int(file_id))
        except ValueError:
            raise EmulatedError(400, f"{BAD_PARAMETER} The id must be an integer.") from None
        if not found:
            raise EmulatedError(404, "Record not found.")
        return OutgoingResponse(202, b"", {"Content-Type": JSON})

    def _comment_file_attachments(self, request: IncomingRequest, user_id: int, comment_id: str) -> OutgoingResponse:
        """`GET /Comments/{id}/FileAttachments`: a comment's attachments, three levels down (harness/children.py),
        paged and filtered as the Swagger lists for the route; 404 for a comment unknown or deleted."""
        try:
            key = int(comment_id)
        except ValueError:
            raise EmulatedError(400, f"{BAD_PARAMETER} The id must be an integer.") from None
        if self.children.comment_parent(key) is None:
            raise EmulatedError(404, "Record not found.")
        params = children.COMMENT_FILE_PARAMS
        after = _updated_after(params, request.query)
        records = self.children.records("FileAttachments", "Comments", key, updated_after=after,
                                        inclusive=self.options.search_inclusive)
        return _child_page(records, params, request.query)

    def _children(self, parent: CollectionSpec, key, sub: str, argument: list[str], query: dict) -> OutgoingResponse:
        """GET of a per-record child list or object (harness/children.py); paged and filtered on
        `updated_after_utc` where the Swagger lists those parameters for the route."""
        params = parent.subresource_params(sub + ("/{}" if argument else ""))
        after = _updated_after(params, query)
        if sub in children.LINKED_LISTS:
            records = children.linked_records(self.dataset, sub, parent.title, key)
            time_field = time_field_of(self.dataset.specs[sub])
            if after is not None:
                records = [r for r in records if _after_record(r.get(time_field), after, self.options.search_inclusive)]
        else:
            records = self.children.records(sub, parent.name, key, updated_after=after,
                                            inclusive=self.options.search_inclusive,
                                            language=argument[0] if argument else None)
        return _child_page(records, params, query)

    def _notes(self, parent: CollectionSpec, key, request: IncomingRequest, user_id: int) -> OutgoingResponse:
        notes = self.dataset.specs["Notes"]
        if request.method == "GET":
            filters = self._search_filters(notes, {k: v for k, v in request.query.items() if k == "updated_after_utc"})
            selection = self.dataset.search("Notes", parent=(parent.title, key), **filters)
            return self._page(notes, selection, request.query, list(PAGING_PARAMS))
        if request.method == "POST":
            link = {"LINK_OBJECT_NAME": parent.title, "LINK_OBJECT_ID": key}
            return self._create(notes, request.body, user_id, links=[link])
        return self._update(notes, request.body)

    def _child(self, parent: CollectionSpec, key, child: CollectionSpec, child_id: list[str], request: IncomingRequest,
               user_id: int) -> OutgoingResponse:
        """A child record hangs off its parent through the parent's primary key (PROJECT_ID, ...)."""
        link_field, method = parent.primary_key, request.method
        if method == "GET":
            selection = self.dataset.search(child.name, field=link_field, value=str(key), case_sensitive=True)
            return self._page(child, selection, request.query, list(PAGING_PARAMS))
        if method == "POST":
            return self._create(child, request.body, user_id, fixed={link_field: key})
        if child_id:  # DELETE /{Parent}/{id}/{Child}/{childId}
            target = self._key(child, child_id[0])
        else:  # PUT /{Parent}/{id}/{Child}, the child's id in the body
            document = _parse_json(request.body)
            target = document.get(child.primary_key) if isinstance(document, dict) else None
            if target is None:
                raise EmulatedError(400, f"{BAD_DATA} {child.primary_key} is required")
        existing = self.dataset.collection(child.name).get(target)
        if existing is None or existing.get(link_field) != key:
            raise EmulatedError(404, "Record not found.")
        if method == "DELETE":
            self.writer.delete(child.name, target)
            return OutgoingResponse(202, b"", {"Content-Type": JSON})
        return self._update(child, request.body)

    # ---- churn -----------------------------------------------------------------------------------------

    def _churn(self, name: str) -> None:
        churn = self.churns.get(name)
        if churn is None or not churn.due(time.monotonic()):
            return
        apply_churn(self.dataset, self.writer, churn, self.churn_rng, next(iter(self.keys.values())))


def apply_churn(dataset: Dataset, writer: Writer, churn: Churn, rng: random.Random, user_id: int) -> None:
    """Deletes, updates and creates, spread over the whole collection (low ids included, so a client
    part-way through its pages sees records vanish before its position)."""
    collection = dataset.collection(churn.collection)
    spec = collection.spec
    for _ in range(churn.deletes):
        if len(collection):
            writer.delete(churn.collection, _random_key(collection, rng))
    text_fields = [f.name for f in spec.fields if f.type == "string" and not f.read_only and not f.is_datetime
                   and f.name not in spec.required and (not f.max_length or f.max_length >= 20)]
    for _ in range(churn.updates):
        if len(collection):
            change = {rng.choice(text_fields): f"churned {rng.randrange(10**6)}"} if text_fields else {}
            writer.update(churn.collection, change, key=_random_key(collection, rng))
    for _ in range(churn.creates):
        values = collection.factory.sample_values(rng) if collection.factory else {}
        with contextlib.suppress(Invalid, RecordLimitReached):
            writer.create(churn.collection, values, user_id)


def _random_key(collection, rng: random.Random):
    return collection.key_at(rng.randrange(len(collection)))


# ---- helpers -----------------------------------------------------------------------------------------

_STATUS_TEXT = {429: "Too many requests.", 500: "An error has occurred.", 502: "Bad gateway.",
                503: "Service unavailable.", 504: "Gateway timeout."}


def _array(items: list[bytes]) -> bytes:
    """`[a,b,c]` with a single copy of the (possibly megabyte-sized) page."""
    if not items:
        return b"[]"
    parts = [b","] * (2 * len(items) + 1)
    parts[0], parts[-1] = b"[", b"]"
    parts[1::2] = items
    return b"".join(parts)


def _json(status: int, body: bytes, headers: dict | None = None) -> OutgoingResponse:
    return OutgoingResponse(status, body, {"Content-Type": JSON, **(headers or {})})


def _error(status: int, message: str, headers: dict | None = None) -> OutgoingResponse:
    return _json(status, orjson.dumps({"Message": message}), headers)


def _after_record(text, instant: int, inclusive: bool) -> bool:
    moment = parse_record_date(text) if text else None
    return moment is not None and (moment >= instant if inclusive else moment > instant)


def _no_route(path: str) -> EmulatedError:
    return EmulatedError(404, f"No HTTP resource was found that matches the request URI '{path}'.")


def _not_allowed(method: str) -> EmulatedError:
    return EmulatedError(405, f"The requested resource does not support http method '{method}'.")


def _require(method: str, allowed: str) -> None:
    if method != allowed:
        raise _not_allowed(method)


def _integer(query: dict, name: str, default: int) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise EmulatedError(400, f"{BAD_PARAMETER} {name} must be an integer.") from exc
    if value < 0:
        raise EmulatedError(400, f"{BAD_PARAMETER} {name} must not be negative.")
    return value


def _boolean(query: dict, name: str) -> bool:
    text = (query.get(name) or "false").lower()
    if text not in ("true", "false"):
        raise EmulatedError(400, f"{BAD_PARAMETER} {name} must be true or false.")
    return text == "true"


def _parse_json(body: bytes):
    try:
        return orjson.loads(body or b"null")
    except orjson.JSONDecodeError as exc:
        raise EmulatedError(400, f"{BAD_DATA} The request body is not valid JSON.") from exc


def _parsed_body(body: bytes):
    if not body:
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


def _wrong_forms(specs: dict[str, CollectionSpec]) -> set[str]:
    """The singular of each plural collection and the plural of each singular one (`/Tickets`,
    `/Contact`): the live API answers those 405 rather than 404."""
    names = {name.lower() for name in specs}
    forms = set(EXTRA_WRONG_FORMS)
    for name in names:
        if name.endswith("ies"):
            forms.add(name[:-3] + "y")
        elif name.endswith("s"):
            forms.add(name[:-1])
        else:
            forms.add(name[:-1] + "ies" if name.endswith("y") else name + "s")
    return forms - names


def _updated_after(params, query: dict) -> int | None:
    """A child route's `updated_after_utc` (where the route takes it), as epoch seconds."""
    if "updated_after_utc" not in params or "updated_after_utc" not in query:
        return None
    after = parse_query_date(query["updated_after_utc"])
    if after is None:
        raise EmulatedError(400, f"{BAD_PARAMETER} updated_after_utc is not a valid date.")
    return after


def _child_page(records: list[dict] | dict, params, query: dict) -> OutgoingResponse:
    """A child route's answer: one object as is; a list counted and paged where the route takes it."""
    if isinstance(records, dict):
        return _json(200, orjson.dumps(records))
    headers = {"X-Total-Count": str(len(records))} if "count_total" in params and _boolean(query, "count_total") \
        else {}
    if "top" in params:
        skip, top = _integer(query, "skip", 0), min(_integer(query, "top", DEFAULT_TOP), MAX_TOP)
        records = records[skip:skip + top]
    return _json(200, orjson.dumps(records), headers)
