"""The write verb: records in, every one confirmed by the API or in the rejects file with its reason.

The flow is plan, then send. The plan (`write_plan`) validates every record and gives one write per
key. Writes are then sent by a few workers, each owning the keys that hash to it (so the order per
key is kept), all through the credential's shared client and limiter. How a write is addressed
(method, path, parent, id in the body, lookup) comes from the resource's write templates in
`connector.yaml`; what a failed status means for a write (reject, fatal, stop and reject the rest,
already absent) comes from `http.errors`. Nothing here knows Insightly.

A create whose outcome is unknown (timeout or reset after sending) is never re-sent blindly: it is
looked up first, by the upsert key when one is in force, otherwise by a fingerprint: the records the
incremental search returns as updated since just before the send, one of which must hold every
field that was sent. Only when it is not there is the create sent again. The journal records each
send before it leaves, so a killed run resolves its in-flight creates the same way when re-run.
"""

from __future__ import annotations

import difflib
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import orjson

from insightly_connector.destination.created_record import Claims, CreatedRecordFinder, before_send, holds
from insightly_connector.destination.input_records import InputRecord, unwrap
from insightly_connector.destination.journal import Journal, JournalState, LineState, load
from insightly_connector.destination.plan import COLLAPSE, Plan, PlannedReject, PlannedWrite, build_plan, record_key
from insightly_connector.destination.rejects import Rejection, RejectsFile
from insightly_connector.destination.validation import CustomFieldShape, RecordRejected, RecordValidator, field_value
from insightly_connector.errors import (
    AccessDenied,
    ApiError,
    ConfigError,
    ConnectorError,
    ExitCode,
    NotFound,
    OutcomeUnknown,
    QuotaExhausted,
    TransientError,
)
from insightly_connector.redaction import process_redactor
from insightly_connector.source.catalog import select
from insightly_connector.source.custom_fields import fetch_custom_fields
from insightly_connector.source.incremental import CursorPolicy
from insightly_connector.source.paging import OffsetPager, OffsetPagination, extract_records
from insightly_connector.spec.loader import Resource, Spec
from insightly_connector.spec.templating import TemplateValueError, render_runtime

MODES = ("create", "update", "upsert", "delete")
CONFIRMED_OUTCOMES = ("created", "updated", "deleted", "unchanged", "collapsed")
MAX_CREATE_SENDS = 3  # a create re-sent only after a lookup proved it absent; this bounds a flaky link
_MAX_FINGERPRINT_PAGES = 200


@dataclass
class WriteReport:
    """What a write did: counts per outcome, why it stopped (if it did) and its exit code."""

    resource: str
    mode: str
    run_id: str
    dry_run: bool = False
    records: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (*CONFIRMED_OUTCOMES, "rejected", "already_done", "pending"), 0))
    exit_code: int = ExitCode.OK
    stop_reason: str | None = None
    rejects_path: str | None = None
    journal_path: str | None = None
    warnings: int = 0
    requests: int = 0
    elapsed_seconds: float = 0.0
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def confirmed(self) -> int:
        return sum(self.counts[name] for name in CONFIRMED_OUTCOMES)

    def summary_table(self) -> str:
        """The end-of-run summary, one outcome per row."""
        title = f"write {self.resource} ({self.mode}{', dry run' if self.dry_run else ''}), run {self.run_id}"
        rows = [(name, self.counts[name]) for name in CONFIRMED_OUTCOMES]
        rows.append(("rejected", self.counts["rejected"]))
        if self.counts["already_done"]:
            rows.append(("already done (journal)", self.counts["already_done"]))
        if self.counts["pending"]:
            rows.append(("pending (not sent)", self.counts["pending"]))
        rows.append(("total records", self.records))
        width = max(len(name) for name, _ in rows)
        lines = [title, *(f"  {name:<{width}}  {count:>7}" for name, count in rows)]
        if self.counts["rejected"] and self.rejects_path:
            lines.append(f"  rejects: {self.rejects_path}")
        if self.warnings:
            lines.append(f"  warnings: {self.warnings} (read-only fields dropped)")
        lines.append(f"  requests: {self.requests}, {self.elapsed_seconds:.1f} s")
        if self.stop_reason:
            lines.append(f"  stopped: {self.stop_reason}")
        if self.counts["pending"]:
            hint = "re-run with the same input and journal to resume" if self.journal_path else \
                "a journal (--journal) would have made this resumable"
            lines.append(f"  {hint}")
        lines.append(f"  exit code {int(self.exit_code)} ({ExitCode(self.exit_code).name})")
        return "\n".join(lines)


def write(client: Any, spec: Spec, resource: str | Resource, mode: str, records: Iterable[Any], *,
          upsert_key: str | None = None, journal_path: str | None = None, rejects_path: str | None = None,
          dry_run: bool = False, read_only: str = "drop", duplicates: str = COLLAPSE,
          progress: Callable[[WriteReport], None] | None = None) -> WriteReport:
    """Write records (dicts, Airbyte/Singer RECORD messages, or `InputRecord`s) to one resource.

    Rejects go to `rejects_path` (default `<resource>.rejects.jsonl`, created only when needed); a
    journal makes the write resumable. A dry run validates and plans, looks up upsert keys, and sends
    no write request; its plan is in `report.plan`."""
    started = time.monotonic()
    requests_before = client.stats["requests"]
    target = _resolve_resource(client, spec, resource)
    if mode not in MODES:
        raise ConfigError(f"--mode: {mode!r} is not one of {', '.join(MODES)}")
    if mode not in target.write:
        allowed = ", ".join(m for m in MODES if m in target.write) or "none"
        raise ConfigError(f"--mode: {target.name} does not support {mode} (supported: {allowed})")
    key = _upsert_key(target, mode, upsert_key, client, spec)
    writer = _Writer(client, spec, target, mode, key, read_only=read_only, dry_run=dry_run)
    plan = build_plan(_as_inputs(records), writer.validator, duplicates=duplicates, key_of=writer.key_of)
    writer.check_addresses(plan)
    report = WriteReport(target.name, mode, writer.run_id, dry_run=dry_run, records=plan.records,
                         warnings=plan.warnings, journal_path=journal_path)
    state = load(journal_path, resource=target.name, mode=mode, upsert_key=key) if journal_path else JournalState()
    _check_journal_matches(plan, state)
    journal = None
    if journal_path and not dry_run:
        journal = Journal.start(journal_path, run_id=writer.run_id, resource=target.name, mode=mode,
                                upsert_key=key, redactor=writer.redactor)
    rejects = None
    if not dry_run:
        rejects = RejectsFile(rejects_path or f"{target.name}.rejects.jsonl", resource=target.name, mode=mode,
                              run_id=writer.run_id, redactor=writer.redactor, fresh=not state.lines)
    try:
        writer.run(plan, report, journal=journal, state=state, rejects=rejects, progress=progress)
    finally:
        if journal is not None:
            journal.close()
        if rejects is not None:
            rejects.close()
            report.rejects_path = rejects.path if os.path.exists(rejects.path) else None
    report.requests = client.stats["requests"] - requests_before
    report.elapsed_seconds = time.monotonic() - started
    return report


# -- setting up -------------------------------------------------------------------------------------


def _resolve_resource(client: Any, spec: Spec, resource: str | Resource) -> Resource:
    if not isinstance(resource, str):
        return resource
    found = select(client, spec, [resource]).resources
    if len(found) != 1:
        raise ConfigError(f"--resource: {resource!r} names {len(found)} resources; name exactly one")
    return found[0]


def _upsert_key(target: Resource, mode: str, given: str | None, client: Any = None,
                spec: Spec | None = None) -> str | None:
    """The key to match on: named by the user, else (upsert only) the resource's default.

    A named key must be a field of the resource: a property of its record schema, or (checked with
    one read of the custom-field metadata, before any write) one of the account's custom fields.
    Anything else is a usage error, not a reject per record."""
    if given:
        properties = (target.schema or {}).get("properties") or {}
        if properties and given not in properties:
            custom: list[str] = []
            if client is not None and spec is not None and target.custom_fields_path:
                try:
                    custom = [f.name for f in fetch_custom_fields(client, spec, target)]
                except (AccessDenied, NotFound):
                    custom = []
            if given not in custom:
                close = difflib.get_close_matches(given, [*properties, *custom], n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ConfigError(f"--upsert-key: {given!r} is not a field of {target.name}{hint}")
        return given
    if mode == "upsert":
        if not target.upsert_key:
            raise ConfigError(f"--upsert-key: {target.name} has no default upsert key; name the field to match on")
        return target.upsert_key
    return None


def _as_inputs(records: Iterable[Any]) -> Iterator[InputRecord]:
    """Accept InputRecords as they are; number plain dicts and messages 1, 2, ... like input lines."""
    for number, item in enumerate(records, start=1):
        if isinstance(item, InputRecord):
            yield item
            continue
        kind, record = unwrap(item)
        if kind == "record":
            yield InputRecord(number, record, record)
        elif kind == "invalid":
            yield InputRecord(number, None, item, f"record {number} is not a JSON object")


def _check_journal_matches(plan: Plan, state: JournalState) -> None:
    if not state.lines:
        return
    for write in plan.writes:
        for line, digest in write.lines:
            state.check_digest(line, digest)
    for reject in plan.rejects:
        state.check_digest(reject.line, reject.digest)


# -- addressing: the write templates ----------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any] | None
    body: dict[str, Any] | None


class _Templates:
    """Turns a payload into the request a write template describes (path macros, parent, params)."""

    def __init__(self, target: Resource):
        self.target = target
        self.primary_key = target.primary_key

    def request(self, action: str, payload: dict[str, Any]) -> Request:
        template = self.target.write[action]
        body: dict[str, Any] | None = dict(payload)
        parent: dict[str, Any] = {}
        if any("{parent." in text for text in _template_texts(template)):
            parent, body = self._parent(template, payload)
        values = {"record": payload, "parent": parent}
        path = _render_path(template["path"], values)
        params = {name: _render_param(str(value), values) for name, value in (template.get("params") or {}).items()}
        if action == "delete":
            body = None
        elif action == "update" and not template.get("id_in_body", True):
            body.pop(self.primary_key, None)
        return Request(template["method"], path, params or None, body)

    def lookup(self, field_name: str, value: Any) -> Request:
        template = self.target.write.get("upsert", {}).get("lookup")
        if not template:
            raise ConfigError(f"{self.target.name}: no lookup template to match on {field_name}")
        values = {"field": field_name, "value": value}
        params = {name: _render_param(str(text), values) for name, text in (template.get("params") or {}).items()}
        return Request(template.get("method", "GET"), _render_path(template["path"], values), params, None)

    @property
    def has_lookup(self) -> bool:
        return bool(self.target.write.get("upsert", {}).get("lookup"))

    def _parent(self, template: Mapping[str, Any], payload: dict[str, Any]) -> tuple[dict[str, Any], dict]:
        """The parent a path is built from, and the body without the link that named it."""
        config = template.get("parent") or {}
        id_field = config.get("id_field")
        links_field = config.get("links_field")
        if links_field:
            collections = config.get("collections", {})
            links = payload.get(links_field) or []
            for index, link in enumerate(links if isinstance(links, list) else []):
                name = link.get(config["name_field"]) if isinstance(link, Mapping) else None
                if name in collections and link.get(id_field) not in (None, ""):
                    body = dict(payload)
                    rest = [item for position, item in enumerate(links) if position != index]
                    if rest:
                        body[links_field] = rest
                    else:
                        body.pop(links_field)
                    return {"collection": collections[name], "id": link[id_field], "name": name}, body
            raise RecordRejected("validation", f"a {links_field} item with {config['name_field']} one of "
                                               f"{', '.join(collections)} and its {id_field} must name the parent")
        if id_field and payload.get(id_field) not in (None, ""):
            return {"id": payload[id_field]}, dict(payload)
        raise RecordRejected("validation", f"the parent's id {id_field} is needed to address the record")


def _template_texts(template: Mapping[str, Any]) -> list[str]:
    return [str(template.get("path", "")), *(str(v) for v in (template.get("params") or {}).values())]


def _render_path(text: str, values: Mapping[str, Any]) -> str:
    try:
        return render_runtime(text, values)
    except TemplateValueError as exc:
        raise RecordRejected("validation", f"cannot address the record: {exc}") from None


def _render_param(text: str, values: Mapping[str, Any]) -> str:
    try:
        return render_runtime(text, values, quote_values=False)
    except TemplateValueError as exc:
        raise RecordRejected("validation", f"cannot address the record: {exc}") from None


# -- sending ----------------------------------------------------------------------------------------


class _Stopped(Exception):
    """The run is stopping (fatal error or quota): leave this write pending, send nothing more."""


@dataclass
class _Job:
    write: PlannedWrite
    attempts: int = 0  # write requests sent for it (lookups not counted)
    resumed: LineState | None = None
    request: Request | None = None  # the latest write request (what a dry run shows)


class _Writer:
    """Carries one write run: validator, templates, workers, counters, stop signal."""

    def __init__(self, client: Any, spec: Spec, target: Resource, mode: str, upsert_key: str | None, *,
                 read_only: str, dry_run: bool):
        self.client = client
        self.spec = spec
        self.target = target
        self.mode = mode
        self.upsert_key = upsert_key
        self.dry_run = dry_run
        self.run_id = uuid.uuid4().hex[:16]
        self.redactor = process_redactor  # every secret loaded in this process, the credential's included
        self.templates = _Templates(target)
        self.shape = _custom_field_shape(spec, target)
        parents = [template.get("parent") or {} for template in target.write.values()]
        addressing = {parent["id_field"] for parent in parents
                      if parent.get("id_field") and not parent.get("links_field")}
        self.validator = RecordValidator(
            target.schema, mode=mode, primary_key=target.primary_key, upsert_key=upsert_key,
            read_only=read_only, custom_fields=self.shape, known_custom_fields=self._custom_field_names,
            addressing_fields=addressing)
        self.key_of = partial(record_key, mode=mode, primary_key=target.primary_key,
                              upsert_key=upsert_key, shape=self.shape)
        self._errors = spec.http.get("errors", {})
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_error: ConnectorError | None = None
        self._limit_error: ApiError | None = None
        self._claims = Claims()
        create = target.write.get("create") or {}
        self._created = CreatedRecordFinder(primary_key=target.primary_key, created_field=create.get("created_field"),
                                            created_format=create.get("created_format"), claims=self._claims)
        self._crash: BaseException | None = None  # an unexpected error in a worker, re-raised by run()

    # -- planning helpers --------------------------------------------------------------------------

    def _custom_field_names(self) -> dict[str, str]:
        """The account's custom fields of this resource and the JSON type of their values."""
        try:
            return {f.name: f.json_type for f in fetch_custom_fields(self.client, self.spec, self.target)}
        except (AccessDenied, NotFound):
            return {}

    def check_addresses(self, plan: Plan) -> None:
        """Reject before sending what no request could be built for (e.g. a note with no parent)."""
        actions = {"create": ["create"], "update": ["update"], "delete": ["delete"], "upsert": []}[self.mode]
        kept = []
        for write in plan.writes:
            try:
                for action in actions:
                    self.templates.request(action, write.payload)
            except RecordRejected as exc:
                plan.rejects.extend(_planned_rejects(write, Rejection(exc.category, exc.message)))
                continue
            kept.append(write)
        plan.writes = kept
        plan.rejects.sort(key=lambda reject: reject.line)

    # -- the run -----------------------------------------------------------------------------------

    def run(self, plan: Plan, report: WriteReport, *, journal: Journal | None, state: JournalState,
            rejects: RejectsFile | None, progress: Callable[[WriteReport], None] | None) -> None:
        self.report = report
        self.journal = journal
        self.state = state
        self.rejects = rejects
        self.progress = progress
        for line_state in state.lines.values():
            if line_state.event == "confirmed" and line_state.entry.get("id") is not None:
                self._claims.add(line_state.entry["id"])
        for reject in plan.rejects:
            known = state.get(reject.line)
            if known is not None and known.event in ("confirmed", "rejected"):
                self._count("already_done")
                continue
            self._reject([(reject.line, reject.digest)], [reject.raw], reject.rejection)
        jobs = []
        for write in plan.writes:
            known = state.get(write.line)
            if known is not None and known.event in ("confirmed", "rejected"):
                self._count("already_done", len(write.lines))
                continue
            jobs.append(_Job(write, resumed=known))
        workers = max(1, int(self.spec.http.get("rate_limit", {}).get("max_in_flight", 4)))
        partitions: list[list[_Job]] = [[] for _ in range(workers)]
        for job in jobs:
            partitions[zlib.crc32(job.write.key.encode()) % workers].append(job)
        threads = [threading.Thread(target=self._work, args=(part,), name=f"write-{n}", daemon=True)
                   for n, part in enumerate(partitions) if part]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._crash is not None:
            raise self._crash
        if self._stop_error is not None:
            report.stop_reason = str(self._stop_error)
            report.exit_code = self._stop_error.exit_code
        elif self._limit_error is not None:
            report.stop_reason = f"{self._limit_error}; the remaining records were rejected as record_limit"
            report.exit_code = ExitCode.FATAL
        elif report.counts["rejected"]:
            report.exit_code = ExitCode.REJECTED
        report.plan.sort(key=lambda entry: entry["inputLines"][0])

    def _work(self, jobs: list[_Job]) -> None:
        for job in jobs:
            if self._stop.is_set():
                self._count("pending", len(job.write.lines))
                continue
            try:
                self._process(job)
            except BaseException as exc:  # a bug must stop the run loudly, not die quietly in a thread
                with self._lock:
                    self._crash = self._crash or exc
                self._stop.set()
                self._count("pending", len(job.write.lines))

    def _process(self, job: _Job) -> None:
        write = job.write
        if self._limit_error is not None and not self.dry_run:
            self._reject_write(job, Rejection(self._limit_error.category, self._limit_message(), attempts=0))
            return
        try:
            if job.resumed is not None and job.resumed.event == "sent" and job.resumed.entry.get("action") == "create":
                found = self._find_created(write, _parse_since(job.resumed.entry.get("since")))
                if found is not None:
                    self._confirm(job, "created", found)
                    return
            outcome, record_id = self._dispatch(job)
            self._confirm(job, outcome, record_id)
        except RecordRejected as exc:
            self._reject_write(job, Rejection(exc.category, exc.message, attempts=job.attempts))
        except ApiError as exc:
            self._api_failure(job, exc)
        except _Stopped:
            self._count("pending", len(write.lines))
        except (QuotaExhausted, TransientError) as exc:
            self._halt(exc)
            self._count("pending", len(write.lines))

    def _dispatch(self, job: _Job) -> tuple[str, Any]:
        payload = job.write.payload
        if self.mode == "create":
            return "created", self._create(job)
        if self.mode == "update":
            request = self.templates.request("update", payload)
            self._send(job, "update", request)
            return "updated", payload.get(self.target.primary_key)
        if self.mode == "delete":
            request = self.templates.request("delete", payload)
            self._send(job, "delete", request)
            return "deleted", payload.get(self.target.primary_key)
        return self._upsert(job)

    def _upsert(self, job: _Job) -> tuple[str, Any]:
        write = job.write
        assert self.upsert_key is not None
        value = field_value(write.payload, self.upsert_key, self.shape)
        matches = self._lookup(self.upsert_key, value)
        if len(matches) > 1:
            raise RecordRejected("ambiguous_match", f"{len(matches)} records match {self.upsert_key}={value!r}; "
                                                    "the upsert key must be unique")
        if matches:
            found = matches[0]
            record_id = found.get(self.target.primary_key)
            if holds(write.payload, found):
                return "unchanged", record_id
            request = self.templates.request("update", {**write.payload, self.target.primary_key: record_id})
            self._send(job, "update", request)
            return "updated", record_id
        if write.missing_for_create:
            raise RecordRejected("validation", "no record matches the upsert key and a create needs: "
                                               + ", ".join(write.missing_for_create))
        return "created", self._create(job)

    def _create(self, job: _Job) -> Any:
        """POST, and on an unknown outcome find the record before ever sending again."""
        request = self.templates.request("create", job.write.payload)
        for _ in range(MAX_CREATE_SENDS):
            since = self._server_time_before_send()
            try:
                response = self._send(job, "create", request, since=since)
            except OutcomeUnknown:
                found = self._find_created(job.write, since)
                if found is not None:
                    return found
                continue
            return None if self.dry_run else self._id_from(response, job.write.payload)
        raise TransientError(f"input line {job.write.line}: the create's outcome stayed unknown after "
                             f"{MAX_CREATE_SENDS} sends, each time confirmed absent; stopping")

    def _send(self, job: _Job, action: str, request: Request, *, since: datetime | None = None) -> Any:
        job.request = request
        if self.dry_run:
            return None
        if self._stop.is_set():
            raise _Stopped
        if self.journal is not None:
            self.journal.sent(job.write.lines, action=action, method=request.method, path=request.path,
                              since=_format_since(since), attempt=job.attempts + 1)
        job.attempts += 1
        return self.client.request(request.method, request.path, params=request.params, json=request.body)

    def _lookup(self, field_name: str, value: Any) -> list[dict[str, Any]]:
        if self._stop.is_set():
            raise _Stopped
        request = self.templates.lookup(field_name, value)
        response = self.client.request(request.method, request.path, params=request.params)
        found = extract_records(orjson.loads(response.content or b"[]"), self.target.read.get("records_path", "$"))
        return [record for record in found or [] if isinstance(record, dict)]

    # -- resolving an unknown create ---------------------------------------------------------------

    def _find_created(self, write: PlannedWrite, since: datetime | None) -> Any:
        """The id of the record a create with an unknown outcome made, None if it made none.

        Raises RecordRejected (`outcome_unknown`) when the evidence cannot tell."""
        if self.dry_run:
            return None
        body = self.templates.request("create", write.payload).body or {}
        key_value = field_value(write.payload, self.upsert_key, self.shape) if self.upsert_key else None
        if key_value not in (None, "") and self.templates.has_lookup:
            # The upsert key names one record by itself (and a lookup may answer in brief).
            return self._created.find(write.line, since, iter(self._lookup(self.upsert_key, key_value)),
                                      lambda record: True)
        return self._created.find(write.line, since, self._recently_updated(since),
                                  lambda record: holds(body, record))

    def _recently_updated(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Records updated since `since` (incremental search), else the whole collection."""
        read = self.target.read
        params = dict(read.get("params") or {})
        path = self.target.path
        if self.target.incremental and since is not None:
            policy = CursorPolicy.from_config(self.target.incremental)
            path = policy.path
            params[policy.param] = (since - policy.granularity).strftime(policy.param_format)
        pagination = read.get("pagination") or {}
        if pagination.get("type", "offset") != "offset":
            response = self.client.request("GET", path, params=params)
            yield from extract_records(orjson.loads(response.content or b"[]"), read.get("records_path", "$")) or []
            return
        pager = OffsetPager(self.client, path, params, OffsetPagination.from_config(pagination),
                            primary_key=self.target.primary_key, records_path=read.get("records_path", "$"))
        for number, page in enumerate(pager.pages(), start=1):
            yield from page.records
            if number >= _MAX_FINGERPRINT_PAGES:
                raise TransientError(f"{path}: too many recently updated records to resolve an unknown create")

    def _server_time_before_send(self) -> datetime:
        """A lower bound of the server clock at the send, from a `Date` the server really sent."""
        granularity = timedelta(seconds=1)
        if self.target.incremental:
            granularity = CursorPolicy.from_config(self.target.incremental).granularity
        return before_send(self.client.server_time(probe=True), granularity)

    def _id_from(self, response: Any, payload: dict[str, Any]) -> Any:
        try:
            body = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        record_id = body.get(self.target.primary_key) if isinstance(body, dict) else None
        if record_id is not None:
            self._claims.add(record_id)
        return record_id if record_id is not None else payload.get(self.target.primary_key)

    # -- outcomes ----------------------------------------------------------------------------------

    def _api_failure(self, job: _Job, exc: ApiError) -> None:
        rule = self._rule(exc.status)
        action = rule.get(self.mode) or rule.get("write") or "reject"
        if action == "already_absent":
            self._confirm(job, "unchanged", job.write.payload.get(self.target.primary_key))
        elif action == "fatal":
            self._halt(exc)
            self._count("pending", len(job.write.lines))
        elif action == "stop_rejecting":
            with self._lock:
                if self._limit_error is None:
                    self._limit_error = exc
            self._reject_write(job, Rejection(exc.category, exc.api_message or str(exc), exc.status, job.attempts))
        else:
            self._reject_write(job, Rejection(exc.category, exc.api_message or str(exc), exc.status, job.attempts))

    def _rule(self, status: int | None) -> dict[str, Any]:
        if status is None:
            return {}
        return self._errors.get(str(status)) or self._errors.get(f"{status // 100}xx") or {}

    def _limit_message(self) -> str:
        assert self._limit_error is not None
        reason = self._limit_error.api_message or f"HTTP {self._limit_error.status}"
        return f"not sent: the record limit was reached earlier in this run ({reason})"

    def _halt(self, exc: ConnectorError) -> None:
        with self._lock:
            if self._stop_error is None:
                self._stop_error = exc
        self._stop.set()

    def _confirm(self, job: _Job, outcome: str, record_id: Any) -> None:
        write = job.write
        if self.dry_run:
            self._plan_entry(write.lines, outcome, job.request, record_id, warnings=write.warnings)
        elif self.journal is not None:
            self.journal.confirmed(write.lines, outcome=outcome, record_id=record_id)
        self._count(outcome)
        self._count("collapsed", len(write.lines) - 1)

    def _reject_write(self, job: _Job, rejection: Rejection) -> None:
        self._reject(job.write.lines, job.write.raws, rejection)

    def _reject(self, lines: list[tuple[int, str]], raws: list[Any], rejection: Rejection) -> None:
        if self.dry_run:
            self._plan_entry(lines, "rejected", None, None, rejection=rejection)
            self._count("rejected", len(lines))
            return
        if self.journal is not None:
            self.journal.rejected(lines, category=rejection.category, status=rejection.status)
        assert self.rejects is not None
        for (line, _), raw in zip(lines, raws, strict=True):
            self.rejects.write(line, raw, rejection)
        self._count("rejected", len(lines))

    def _count(self, outcome: str, amount: int = 1) -> None:
        if not amount:
            return
        with self._lock:
            self.report.counts[outcome] += amount
            if self.progress is not None:
                self.progress(self.report)

    def _plan_entry(self, lines: list[tuple[int, str]], outcome: str, request: Request | None, record_id: Any,
                    *, rejection: Rejection | None = None, warnings: list[str] | None = None) -> None:
        """One line of a dry run's plan: what would happen to these input lines, and why."""
        entry: dict[str, Any] = {"inputLines": [line for line, _ in lines], "outcome": outcome}
        if request is not None:
            entry.update(method=request.method, path=request.path)
            if request.params:
                entry["params"] = request.params
            if request.body:
                entry["fields"] = sorted(request.body)
        if record_id is not None:
            entry["id"] = record_id
        if rejection is not None:
            entry.update(category=rejection.category, message=rejection.message)
        if warnings:
            entry["warnings"] = warnings
        with self._lock:
            self.report.plan.append(entry)


def _planned_rejects(write: PlannedWrite, rejection: Rejection) -> list[PlannedReject]:
    pairs = zip(write.lines, write.raws, strict=True)
    return [PlannedReject(line, digest, raw, rejection) for (line, digest), raw in pairs]


def _custom_field_shape(spec: Spec, target: Resource) -> CustomFieldShape | None:
    if not target.custom_fields_path:
        return None
    meta = spec.custom_fields
    return CustomFieldShape(meta["record_field"], meta["name_field"], meta["value_field"])


def _format_since(since: datetime | None) -> str | None:
    return since.strftime("%Y-%m-%dT%H:%M:%SZ") if since is not None else None


def _parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
