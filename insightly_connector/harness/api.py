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

from insightly_connector.harness import custom_fields as cf
from insightly_connector.harness.clock import Clock
from insightly_connector.harness.dataset import TAG_RECORD_TYPES, Dataset, time_field_of
from insightly_connector.harness.datetimes import parse_query_date
from insightly_connector.harness.derive_table import NESTED_SUBRESOURCES
from insightly_connector.harness.faults import Churn, Injection, RandomFaults
from insightly_connector.harness.limits import DailyQuota, RateWindow
from insightly_connector.harness.plans import missing_status
from insightly_connector.harness.request_log import RequestLog, RequestLogEntry
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
SPECIAL_ROUTES = ("Tags", "CustomFields", "CustomObjects", "Users")
PAGING_PARAMS = ("skip", "top", "brief", "count_total")


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class Request:
    method: str
    path: str  # as sent, without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes = b""


@dataclass
class Response:
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
        self.faults = faults
        self.injections: list[Injection] = []
        self.faults_played: dict[str, int] = {}  # faults actually played, by kind
        self.churns: dict[str, Churn] = {}
        self.churn_rng = random.Random(seed * 7919 + 1)
        self.log = RequestLog(log_limit)
        self.lock = threading.RLock()
        self._names = {name.lower(): name for name in (*dataset.specs, *SPECIAL_ROUTES)}
        self._wrong_forms = _wrong_forms(dataset.specs)

    # ---- the request pipeline --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
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

    def _injected(self, kind: str, status: int | None, retry_after: int | None) -> Response:
        if kind == "reset":
            return Response(0, action="reset")
        headers = {"Retry-After": str(retry_after)} if status == 429 and retry_after is not None else {}
        return _error(status, _STATUS_TEXT.get(status, "Injected fault."), headers)

    def _process(self, request: Request, path: str, arrived: float) -> Response:
        try:
            if not request.path.startswith(API_PREFIX + "/"):
                raise _no_route(request.path)
            user_id = self._authenticate(request.headers.get("authorization", ""))
            self.quota.roll(self.clock.now().date())
            if self.quota.remaining <= 0:
                raise ApiError(429, f"Daily API request limit of {self.quota.limit} reached. Try again tomorrow.")
            if not self.rate.admit(arrived):
                raise ApiError(429, f"Too many requests: at most {self.rate.per_second} a second.",
                               {"Retry-After": "1"})
            self.quota.spend()
            return self._route(request, path, user_id)
        except ApiError as exc:
            return _error(exc.status, exc.message, exc.headers)

    def _authenticate(self, header: str) -> int:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise ApiError(401, "Authentication failed.")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError(401, "Authentication failed.") from exc
        key = decoded.split(":", 1)[0]
        if key in self.disabled_keys:
            raise ApiError(403, "API access is disabled for this user.")
        if key not in self.keys:
            raise ApiError(401, "Authentication failed.")
        return self.keys[key]

    # ---- routing ---------------------------------------------------------------------------------------

    def _route(self, request: Request, path: str, user_id: int) -> Response:
        parts = [p for p in path.split("/") if p]
        method = request.method
        if not parts:
            raise _no_route(request.path)
        name = self._names.get(parts[0].lower())
        if name is None:
            if parts[0].lower() in self._wrong_forms:
                raise ApiError(405, f"The requested resource does not support http method '{method}'.")
            raise _no_route(request.path)
        status = missing_status(self.plan, name)
        if status == 403:
            raise ApiError(403, f"API User does not have access to {name}.")
        if status == 404:
            raise _no_route(request.path)
        words = [p.lower() for p in parts]
        if name in SPECIAL_ROUTES and (name != "Users" or words[1:2] == ["me"]):
            return self._special(name, parts, request, user_id)
        spec = self.dataset.specs[name]
        if len(parts) == 1:
            return self._on_collection(spec, request, user_id)
        if len(parts) == 2 and words[1] in ("search", "searchbytag"):
            operation = "search" if words[1] == "search" else "search_by_tag"
            if not spec.has(operation):
                raise _no_route(request.path)
            _require(method, "GET")
            self._churn(name)
            return self._search(spec, request.query, operation)
        key = self._key(spec, parts[1])
        if len(parts) == 2:
            if method == "GET" and spec.has("get"):
                return self._get(spec, key)
            if method == "DELETE" and spec.operations.get("delete", {}).get("id_in") == "path":
                return self._delete(spec, key)
            raise _not_allowed(method)
        if len(parts) in (3, 4):
            return self._subresource(spec, key, parts[2:], request, user_id)
        raise _no_route(request.path)

    def _key(self, spec: CollectionSpec, text: str):
        if spec.primary_key and spec.field_map[spec.primary_key].type == "integer":
            try:
                return int(text)
            except ValueError as exc:
                raise ApiError(400, f"{BAD_PARAMETER} The id must be an integer.") from exc
        return text

    def _on_collection(self, spec: CollectionSpec, request: Request, user_id: int) -> Response:
        method, name = request.method, spec.name
        if method == "GET":
            if spec.shape == "object":
                return _json(200, self.dataset.collection(name).render(next(iter(self.dataset.collection(name).keys))))
            self._churn(name)
            return self._list(spec, request.query)
        if method == "POST" and spec.has("create"):
            return self._create(spec, request.body, user_id)
        if method == "PUT" and spec.has("update"):
            return self._update(spec, request.body)
        if method == "DELETE" and spec.operations.get("delete", {}).get("id_in") == "query":
            return self._delete(spec, self._key(spec, request.query.get("id", "")))
        raise _not_allowed(method)

    # ---- reading ---------------------------------------------------------------------------------------

    def _list(self, spec: CollectionSpec, query: dict) -> Response:
        """A plain list; a list parameter named after a field (`/Follows?record_type=`) filters on it."""
        params = spec.read_params()
        filters = [p for p in params if p not in PAGING_PARAMS and query.get(p) and spec.has_field(p.upper())]
        if filters:
            selection = self.dataset.search(spec.name, field=filters[0].upper(), value=query[filters[0]])
        else:
            selection = self.dataset.collection(spec.name).everything()
        return self._page(spec, selection, query, params)

    def _page(self, spec: CollectionSpec, selection: Selection, query: dict, params: list[str]) -> Response:
        skip = _integer(query, "skip", 0) if "skip" in params else 0
        top = min(_integer(query, "top", DEFAULT_TOP), MAX_TOP) if "top" in params else len(selection)
        brief = _boolean(query, "brief") if "brief" in params else False
        counted = "count_total" in params and _boolean(query, "count_total")
        headers = {"X-Total-Count": str(len(selection))} if counted else {}
        items = self.dataset.collection(spec.name).render_page(selection, skip, top, brief)
        return _json(200, _array(items), headers)

    def _search(self, spec: CollectionSpec, query: dict, operation: str) -> Response:
        params = spec.operations[operation]["params"]
        filters = {"case_sensitive": self.options.search_case_sensitive}
        if operation == "search_by_tag":
            if not query.get("tagName"):
                raise ApiError(400, f"{BAD_PARAMETER} tagName is required.")
            filters["tag"] = query["tagName"]
        else:
            filters.update(self._search_filters(spec, query))
        selection = self.dataset.search(spec.name, **filters)
        return self._page(spec, selection, query, params)

    def _search_filters(self, spec: CollectionSpec, query: dict) -> dict:
        filters = {}
        field_name, field_value = query.get("field_name"), query.get("field_value")
        if (field_name is None) != (field_value is None):
            raise ApiError(400, f"{BAD_PARAMETER} field_name and field_value must both be provided.")
        if field_name is not None:
            if field_name not in self.dataset.searchable_fields(spec.name):
                raise ApiError(400, f"{BAD_PARAMETER} Unknown field_name {field_name!r}.")
            filters.update(field=field_name, value=field_value)
        if "updated_after_utc" in query:
            instant = parse_query_date(query["updated_after_utc"])
            if instant is None or time_field_of(spec) is None:
                raise ApiError(400, f"{BAD_PARAMETER} updated_after_utc is not a valid date.")
            filters.update(updated_after=instant, inclusive=self.options.search_inclusive)
        if "field" in filters and "updated_after" in filters and self.options.search_combined_filters == "reject":
            raise ApiError(400, f"{BAD_PARAMETER} Only one search filter can be specified.")
        return filters

    def _get(self, spec: CollectionSpec, key) -> Response:
        body = self.dataset.collection(spec.name).render(key)
        if body is None:
            raise ApiError(404, "Record not found.")
        return _json(200, body)

    def _special(self, name: str, parts: list[str], request: Request, user_id: int) -> Response:
        _require(request.method, "GET")
        if name == "Users":  # /Users/Me
            if len(parts) != 2:
                raise _no_route(request.path)
            return _json(200, self.dataset.collection("Users").render(user_id))
        if name == "Tags" and len(parts) == 1:
            record_type = (request.query.get("record_type") or "").lower()
            if record_type not in TAG_RECORD_TYPES:
                raise ApiError(400, "Invalid record_type specified.")
            tags = self.dataset.tags(TAG_RECORD_TYPES[record_type])
            skip, top = _integer(request.query, "skip", 0), min(_integer(request.query, "top", DEFAULT_TOP), MAX_TOP)
            headers = {"X-Total-Count": str(len(tags))} if _boolean(request.query, "count_total") else {}
            return _json(200, orjson.dumps([{"TAG_NAME": t} for t in tags[skip:skip + top]]), headers)
        if name == "CustomFields" and len(parts) in (2, 3):
            target = self._names.get(parts[1].lower())
            if target is None or target in SPECIAL_ROUTES:
                raise ApiError(400, f"{BAD_PARAMETER} Unknown object {parts[1]!r}.")
            fields = cf.metadata(target)
            if len(parts) == 2:
                return _json(200, orjson.dumps(fields))
            if parts[2].lower() != "search":
                raise _no_route(request.path)
            match = [f for f in fields if f["FIELD_NAME"] == request.query.get("fieldName")]
            if not match:
                raise ApiError(404, "Record not found.")
            return _json(200, orjson.dumps(match[0]))
        if name == "CustomObjects" and len(parts) in (1, 2):
            store = self.dataset.collection("CustomObjects")
            if len(parts) == 1:
                return _json(200, _array([store.render(k) for k in store.keys]))
            body = store.render(parts[1])
            if body is None:
                raise ApiError(404, "Record not found.")
            return _json(200, body)
        raise _no_route(request.path)

    # ---- writing ---------------------------------------------------------------------------------------

    def _create(self, spec: CollectionSpec, body: bytes, user_id: int, **route) -> Response:
        document = _parse_json(body)
        try:
            record = self.writer.create(spec.name, document, user_id, **route)
        except Invalid as exc:
            raise ApiError(400, f"{BAD_DATA} {exc}") from exc
        except RecordLimitReached as exc:
            raise ApiError(402, "Record limit reached.") from exc
        return _json(201, orjson.dumps(record))

    def _update(self, spec: CollectionSpec, body: bytes) -> Response:
        document = _parse_json(body)
        try:
            record = self.writer.update(spec.name, document)
        except Invalid as exc:
            raise ApiError(400, f"{BAD_DATA} {exc}") from exc
        except RecordNotFound as exc:
            raise ApiError(404, "Record not found.") from exc
        return _json(200, orjson.dumps(record))

    def _delete(self, spec: CollectionSpec, key) -> Response:
        """202 and gone; categories are deactivated instead ("Deactivation succeeded." in the Swagger)."""
        if spec.operations["delete"].get("deactivates"):
            record = self.dataset.collection(spec.name).get(key)
            if record is None:
                raise ApiError(404, "Record not found.")
            if record.get("ACTIVE") is False:
                raise ApiError(409, "The record is already deactivated.")
            self.writer.update(spec.name, {"ACTIVE": False}, key=key)
        elif not self.writer.delete(spec.name, key):
            raise ApiError(404, "Record not found.")
        return Response(202, b"", {"Content-Type": JSON})

    def _subresource(self, spec: CollectionSpec, key, rest: list[str], request: Request, user_id: int) -> Response:
        """`/{Collection}/{id}/{Sub}` and `/{Collection}/{id}/{Sub}/{childId}`: notes and child records
        (milestones, line items, price-book entries, team members) and the nested collections."""
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
            raise ApiError(404, "Record not found.")
        sub = route.split("/")[0]
        if sub == "Notes":
            return self._notes(spec, key, request, user_id)
        child = self.dataset.specs.get(sub)
        if child is not None and child.has_field(spec.primary_key):
            return self._child(spec, key, child, rest[1:], request, user_id)
        if sub in NESTED_SUBRESOURCES and method == "GET" and len(rest) == 1:
            return _json(200, orjson.dumps(parent.get(NESTED_SUBRESOURCES[sub]) or []))
        raise ApiError(501, f"Not emulated by the harness: {method} {spec.path}/{{id}}/{route}.")

    def _notes(self, parent: CollectionSpec, key, request: Request, user_id: int) -> Response:
        notes = self.dataset.specs["Notes"]
        if request.method == "GET":
            filters = self._search_filters(notes, {k: v for k, v in request.query.items() if k == "updated_after_utc"})
            selection = self.dataset.search("Notes", parent=(parent.title, key), **filters)
            return self._page(notes, selection, request.query, list(PAGING_PARAMS))
        if request.method == "POST":
            link = {"LINK_OBJECT_NAME": parent.title, "LINK_OBJECT_ID": key}
            return self._create(notes, request.body, user_id, links=[link])
        return self._update(notes, request.body)

    def _child(self, parent: CollectionSpec, key, child: CollectionSpec, child_id: list[str], request: Request,
               user_id: int) -> Response:
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
                raise ApiError(400, f"{BAD_DATA} {child.primary_key} is required")
        existing = self.dataset.collection(child.name).get(target)
        if existing is None or existing.get(link_field) != key:
            raise ApiError(404, "Record not found.")
        if method == "DELETE":
            self.writer.delete(child.name, target)
            return Response(202, b"", {"Content-Type": JSON})
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


def _json(status: int, body: bytes, headers: dict | None = None) -> Response:
    return Response(status, body, {"Content-Type": JSON, **(headers or {})})


def _error(status: int, message: str, headers: dict | None = None) -> Response:
    return _json(status, orjson.dumps({"Message": message}), headers)


def _no_route(path: str) -> ApiError:
    return ApiError(404, f"No HTTP resource was found that matches the request URI '{path}'.")


def _not_allowed(method: str) -> ApiError:
    return ApiError(405, f"The requested resource does not support http method '{method}'.")


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
        raise ApiError(400, f"{BAD_PARAMETER} {name} must be an integer.") from exc
    if value < 0:
        raise ApiError(400, f"{BAD_PARAMETER} {name} must not be negative.")
    return value


def _boolean(query: dict, name: str) -> bool:
    text = (query.get(name) or "false").lower()
    if text not in ("true", "false"):
        raise ApiError(400, f"{BAD_PARAMETER} {name} must be true or false.")
    return text == "true"


def _parse_json(body: bytes):
    try:
        return orjson.loads(body or b"null")
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"{BAD_DATA} The request body is not valid JSON.") from exc


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
