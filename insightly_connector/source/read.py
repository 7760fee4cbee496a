"""The read verb: pages every selected resource out to an emitter, checkpointing after each page.

Per resource it chooses full or incremental (or resumes an interrupted window), walks it with the
resource's paginator, filters through the incremental window, emits, flushes, and only then saves
state, so state never covers a record that was not written out. What an API answer means comes from
the error policy: `skip_resource` is a reported skip, never an empty success; `fail` fails that
resource (no final cursor) and the run goes on to the next one, ending non-zero; `fatal` (the
credential is refused), a spent daily quota (resumable state) or exhausted retries stop the run.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from insightly_connector.errors import ApiError, ConfigError, ConnectorError, ExitCode, QuotaExhausted
from insightly_connector.http.client import Client, requests_per_second
from insightly_connector.http.error_policy import Action, Verb
from insightly_connector.protocols.emitters import Emitter, StreamInfo
from insightly_connector.protocols.progress import Progress
from insightly_connector.source.catalog import resolve_resources
from insightly_connector.source.children import ChildWalk, Estimate, child_window_policy, estimate, gone_action, lineage
from insightly_connector.source.incremental import CursorPolicy, Window
from insightly_connector.source.pages import ResumePoint
from insightly_connector.source.state import StateFile
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource

_MAX_PAGES_AHEAD = 4
#: A child stream saves its state (positioned at the last parent written) at most this often, and when it
#: stops cleanly (a spent quota, a failure): a walk is not paced by a file write and an fsync per parent
#: (about a request's time), and a killed run resumes with at most a second of parents asked again, the
#: output cut back to the saved point (as after a kill mid-page of a list).
CHILD_CHECKPOINT_SECONDS = 1.0
#: A saved cursor further ahead of the local clock than this cannot have come from a real read
#: (cursors are the server's clock): it would silently read nothing, so it is a usage error.
FUTURE_CURSOR_ALLOWANCE = timedelta(days=1)


class AllResourcesSkipped(ConnectorError):
    """Nothing the run was asked to read could be read: that is a failure, not an empty success."""

    category = "all_skipped"


@dataclass
class ResourceReport:
    name: str
    status: str = "not_started"  # complete | skipped | failed | stopped | interrupted | not_started
    mode: str = "full"  # full | incremental | single
    records: int = 0
    pages: int = 0
    requests: int = 0
    step_backs: int = 0  # pages re-read because records before the position vanished mid-read
    resumed: bool = False
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ReadReport:
    resources: list[ResourceReport] = field(default_factory=list)
    error: ConnectorError | None = None
    sampled: bool = False

    @property
    def exit_code(self) -> int:
        return int(self.error.exit_code) if self.error is not None else int(ExitCode.OK)

    def to_dict(self) -> dict[str, Any]:
        return {"resources": [r.to_dict() for r in self.resources], "exit_code": self.exit_code,
                "error": str(self.error) if self.error else None, "sampled": self.sampled}


def read(client: Client, spec: Spec, resources: Sequence[Resource | str] | None, *, emitter: Emitter,
         state_path: str | None = None, state: StateFile | None = None, limit: int | None = None,
         full_refresh: bool | Collection[str] = False, start_date: datetime | None = None,
         progress: Progress | None = None) -> ReadReport:
    """Read `resources` (Resource objects, names, or None for every readable one).

    `limit` is sample mode: at most that many records per resource, and no state is written or emitted.
    `state` is a state held in memory (a platform's), instead of the file at `state_path`. `full_refresh`
    is True for every resource, or the names of the resources to read in full. `start_date` (UTC) is where
    an incremental resource without a saved cursor starts, instead of a full read."""
    if limit is not None and limit < 1:
        raise ConfigError("--limit: must be a positive number of records")
    # The whole state file is checked before the first request and before any output is created.
    if state is None:
        state = StateFile(state_path, writable=limit is None, redactor=emitter.redactor)
    check_state(spec, state, full_refresh=full_refresh is True)
    emitter.open_output()
    progress = progress or Progress(quiet=True)
    client.on_wait = progress.waiting
    if resources is None or any(isinstance(r, str) for r in resources):
        resources = resolve_resources(client, spec, list(resources) if resources is not None else None)
    run = _Run(client, spec, emitter, state, progress, limit, full_refresh, start_date)
    report = ReadReport(sampled=limit is not None)
    report.resources = [ResourceReport(resource.name) for resource in resources]
    riders = run.riders(resources, report.resources)
    progress.run_started(sum(1 for resource in resources
                             if not any(rider is resource for rode in riders.values() for rider, _ in rode)))
    try:
        for resource, entry in zip(resources, report.resources, strict=True):
            if any(rider is resource for rode in riders.values() for rider, _ in rode):
                continue  # emitted from its parent's pages, in the parent's turn
            error, stop = run.resource(resource, entry, riders.get(resource.name, ()))
            report.error = report.error or error
            if stop:
                break
        if limit is None:
            emitter.end_run(state.document)
    finally:
        emitter.close()
        progress.close()
    if report.error is None and report.resources and all(r.status == "skipped" for r in report.resources):
        report.error = AllResourcesSkipped(
            f"every requested resource was skipped ({', '.join(r.name for r in report.resources)})"
            + (_base_url_hint(client, spec) if run.skip_statuses == {404} else ""))
        emitter.error(report.error)
        emitter.flush()
    return report


def _base_url_hint(client: Client, spec: Spec) -> str:
    """Every resource answering 404 is what an overridden base URL without the API's version path gives
    (the pod's own URL has it): say what a base URL looks like. Empty for the pod's own URL."""
    from insightly_connector.spec.templating import render_build

    policy = spec.credential_policy
    example = render_build(policy.base_url, {"pod": client.credential.pod}).rstrip("/")
    if client.base_url.rstrip("/") == example:
        return ""
    return (f"; each answered 404 (not found): if that is not the plan, check the base URL {client.base_url}: it "
            f"must be the API's root, with its version path, like {example}")


class _Run:
    """The shared context of one read; `resource()` reads one resource and fills its report."""

    def __init__(self, client: Client, spec: Spec, emitter: Emitter, state: StateFile, progress: Progress,
                 limit: int | None, full_refresh: bool | Collection[str], start_date: datetime | None):
        self.client = client
        self.spec = spec
        self.emitter = emitter
        self.state = state
        self.progress = progress
        self.limit = limit
        self.full_refresh = full_refresh
        self.start_date = start_date
        self.pages_ahead = 1 if limit is not None else max(1, min(_MAX_PAGES_AHEAD, client.limiter.max_in_flight))
        self.skip_statuses: set[int | None] = set()  # the HTTP statuses resources were skipped for

    def riders(self, resources: Sequence[Resource],
               reports: Sequence[ResourceReport]) -> dict[str, list[tuple[Resource, ResourceReport]]]:
        """Flattened streams read from their parent's pages in this run (parent name -> streams): those
        whose parent is read too, in the same window (the same saved state and refresh, or both read in
        full, which ignores the states and leaves them equal), so the items come at no extra request. Any
        other flattened stream walks its parent's list itself."""
        chosen = {resource.name: resource for resource in resources}
        riders: dict[str, list[tuple[Resource, ResourceReport]]] = {}
        if self.limit is not None:
            return riders
        for resource, report in zip(resources, reports, strict=True):
            parent = chosen.get(resource.flatten.parent) if resource.flatten else None
            if parent is None or parent.child or parent.flatten or parent.paginator.single_request:
                continue
            same_state = self.state.resource(resource.name) == self.state.resource(parent.name)
            refresh = (self._full_refresh(resource.name), self._full_refresh(parent.name))
            if refresh == (True, True) or (same_state and refresh[0] == refresh[1]):
                riders.setdefault(parent.name, []).append((resource, report))
        for name in list(self.state.document["resources"]):
            if not self.state.document["resources"][name]:
                self.state.forget(name)  # the comparison above made empty entries; they mean nothing
        return riders

    def resource(self, resource: Resource, report: ResourceReport,
                 riders: Sequence[tuple[Resource, ResourceReport]] = ()) -> tuple[ConnectorError | None, bool]:
        """Read one resource (and the flattened streams riding on its pages). Returns the error it ended
        with (if any) and whether the run must stop."""
        stream = _stream_info(resource)
        requests_before = self.client.stats["requests"]
        try:
            if resource.child is not None:
                self._read_children(resource, stream, report)
            elif resource.paginator.single_request:
                self._read_unpaged(resource, stream, report)
            else:
                self._read_paged(resource, stream, report, riders)
            for name in [resource.name, *(rider.name for rider, _ in riders)]:
                self.emitter.end_stream(name, "COMPLETE")
            for each in [report, *(rider_report for _, rider_report in riders)]:
                each.status = "complete"
            return None, False
        except ConnectorError as error:
            for rider, rider_report in riders:
                self._failed(_stream_info(rider), rider_report, error)
            return self._failed(stream, report, error)
        except BaseException:  # Ctrl-C, or a reader that closed the pipe: say so in the last progress line
            for each in [report, *(rider_report for _, rider_report in riders)]:
                each.status = "interrupted"
            raise
        finally:
            report.requests = self.client.stats["requests"] - requests_before
            for name, each in [(resource.name, report), *((rider.name, r) for rider, r in riders)]:
                self.progress.resource_finished(name, each.status, each.records, each.pages,
                                                each.requests if each is not report else report.requests,
                                                self.client.quota_remaining)

    # -- one resource ------------------------------------------------------------------------------

    def _read_unpaged(self, resource: Resource, stream: StreamInfo, report: ResourceReport) -> None:
        """One GET (a single object, or a short list the API does not page): no state to keep."""
        report.mode = "single" if resource.single_object else "full"
        self.emitter.begin_stream(stream, fresh=True)
        self.progress.resource_started(resource.name)
        [page] = resource.paginator.walk(self.client, resource.list_request()).pages()
        records = page.records
        if self.limit is not None:
            records = records[: self.limit]
        self.emitter.write_records(resource.name, records)
        self.emitter.flush()
        report.records, report.pages = len(records), 1
        self.state.forget(resource.name)  # nothing to resume or continue from: one request reads it all
        self._checkpoint(resource.name, {})

    def _read_paged(self, resource: Resource, stream: StreamInfo, report: ResourceReport,
                    riders: Sequence[tuple[Resource, ResourceReport]] = ()) -> None:
        """Page through the resource's list (a flattened stream: its parent's list, emitting the items);
        `riders` are flattened streams emitted from these same pages, their state kept equal to this one's."""
        name = resource.name
        walked = self.spec.parent_of(resource) if resource.flatten else resource
        entry = self.state.resource(name)
        window, resume = self._window(name, walked.cursor, entry)
        request = walked.list_request()
        if window is not None and window.incremental:
            request = walked.since_request(window.request_bound())
            report.mode = "incremental"
        pager = walked.paginator.walk(self.client, request, record_limit=self.limit, prefetch=self.pages_ahead,
                                      start=ResumePoint(resume.get("position", 0), resume.get("last_pk")))
        report.resumed = bool(resume) and pager.resumable
        fresh = report.mode == "full" and not report.resumed
        for each, each_report in [(resource, report), *riders]:
            each_report.mode, each_report.resumed = report.mode, report.resumed
            saved = self.state.resource(each.name).get("in_progress") or {}
            self.emitter.begin_stream(_stream_info(each), fresh=fresh,
                                      resume_output=saved.get("output") if report.resumed else None)
        self.progress.resource_started(name, since=window.cursor_text if window else None, resumed=report.resumed)
        pages = pager.pages()
        try:
            for page in pages:
                if window is not None:
                    if window.sync_start is None:
                        window.start(self.client.server_time() - timedelta(seconds=time.monotonic() - page.sent_at))
                    records = window.select(page.records, walked.primary_key)
                else:
                    records = page.records
                if self.limit is not None:
                    records = records[: self.limit - report.records]
                progress = window.in_progress() if window is not None else {"mode": "full"}
                for each, each_report in [(resource, report), *riders]:
                    emitted = each.flatten.items(records, walked.primary_key) if each.flatten else records
                    self.emitter.write_records(each.name, emitted)
                    each_report.records += len(emitted)
                    each_report.pages += 1
                self.emitter.flush()
                for each, _ in [(resource, report), *riders]:
                    self.state.document["resources"][each.name] = {
                        **entry, "in_progress": {**progress, "last_pk": page.last_key, "position": page.position,
                                                 "output": self.emitter.output_checkpoint(each.name)}}
                entry = self.state.resource(name)
                self._checkpoint(name, entry, also=[rider.name for rider, _ in riders])
                self.progress.page(name, report.records, report.pages, self.client.quota_remaining,
                                   total=self._expected(page.total) if not resource.flatten else None)
                if self.limit is not None and report.records >= self.limit:
                    break
        finally:
            pages.close()
            report.step_backs = pager.step_backs
        entry.pop("in_progress", None)
        if window is not None and self.limit is None:
            entry.update(window.completed())
        for each, _ in [(resource, report), *riders]:
            if entry:
                self.state.document["resources"][each.name] = dict(entry)
            else:
                self.state.forget(each.name)  # a finished read of a resource without a cursor leaves nothing
        self._checkpoint(name, entry, also=[rider.name for rider, _ in riders])

    def _read_children(self, resource: Resource, stream: StreamInfo, report: ResourceReport) -> None:
        """Walk the parents (all, or those changed since the cursor), emit each one's children, save state
        positioned at that parent (see source/children.py)."""
        name = resource.name
        parents = lineage(self.spec, resource)
        entry = self.state.resource(name)
        window, resume = self._window(name, child_window_policy(resource, parents[0]), entry)
        told: dict[str, Estimate | None] = {}  # the estimate said at the start, measured later under a child stream
        walk = ChildWalk(self.client, resource, parents, window=window, resume=resume, prefetch=self.pages_ahead,
                         skip_action=gone_action(self.spec),
                         on_first_page=lambda total: told.update(estimate=self._tell_cost(
                             name, parents, total, done=resume.get("position", -1) + 1 if walk.resumable else 0)),
                         on_sampled=lambda walked, found: self._tell_measured(name, told.get("estimate"), walked,
                                                                               found))
        report.mode = "incremental" if window is not None and window.incremental else "full"
        report.resumed = bool(resume) and walk.resumable
        self.emitter.begin_stream(stream, fresh=report.mode == "full" and not report.resumed,
                                  resume_output=resume.get("output") if report.resumed else None)
        self.progress.resource_started(name, since=window.cursor_text if window else None, resumed=report.resumed)
        walked = walk.parents()
        saved_at, unsaved = time.monotonic(), False
        try:
            for done in walked:
                records = done.records
                if self.limit is not None:
                    records = records[: self.limit - report.records]
                self.emitter.write_records(name, records)
                self.emitter.flush()
                report.records += len(records)
                report.pages += 1
                progress = window.in_progress() if window is not None else {"mode": "full"}
                entry["in_progress"] = {**progress, **done.resume, "output": self.emitter.output_checkpoint(name)}
                unsaved = True
                if time.monotonic() - saved_at >= CHILD_CHECKPOINT_SECONDS:
                    self._checkpoint(name, entry)
                    saved_at, unsaved = time.monotonic(), False
                self.progress.page(name, report.records, report.pages, self.client.quota_remaining)
                if self.limit is not None and report.records >= self.limit:
                    break
        except ConnectorError:
            if unsaved:  # a clean stop (a spent quota, a failure): state at the last parent written
                self._checkpoint(name, entry)
            raise
        finally:
            walked.close()
        if walk.parents_gone:
            self.emitter.log("INFO", f"{name}: {walk.parents_gone} parents were deleted during the read")
        if walk.parents_unaddressed:
            self.emitter.log("INFO", f"{name}: {walk.parents_unaddressed} parents lack a value its path "
                                     f"{resource.path} needs, so have none")
        entry.pop("in_progress", None)
        if window is not None and self.limit is None:
            entry.update(window.completed())
        if not entry:
            self.state.forget(name)
        self._checkpoint(name, entry)

    def _tell_cost(self, name: str, chain: list[Resource], parents: int | None, *, done: int) -> Estimate | None:
        """At the start of a child stream's read: the requests it will take, against what is left today
        (`done`: the top-level parents a stopped run already read, which a resumed one does not ask again)."""
        if parents is None:
            return None
        pace = requests_per_second(self.spec, self.client.credential)
        left = max(parents - done, 0)
        found = estimate(left, chain[0], pace, len(chain))
        text = f"{name}: {found.describe()}"
        if done:
            text += f", resuming after {done:,} of {parents:,} parents"
        remaining = self.client.quota_remaining
        if remaining is not None and left > remaining:
            text += (f"; only {remaining:,} requests are left today, so the read will stop when they run out "
                     "and the next run resumes at the parent it reached")
        self.progress.note(text)
        self.emitter.log("INFO", text)
        return found

    def _tell_measured(self, name: str, said: Estimate | None, walked: int, found: int) -> None:
        """Under a child stream, once the first top-level parents are read: the estimate with the number of
        records under each measured (the start could only give a floor)."""
        if said is None:
            return
        text = f"{name}: {said.measured(walked, found)}"
        self.progress.note(text)
        self.emitter.log("INFO", text)

    def _window(self, name: str, policy: CursorPolicy | None, entry: dict) -> tuple[Window | None, dict]:
        """The window to read (a resumed one, an incremental one, or a full one) and where to resume."""
        full = self._full_refresh(name)
        in_progress = entry.get("in_progress") or {}
        resumable = in_progress and not (full and in_progress.get("mode") == "incremental")
        if not resumable:
            in_progress = {}
        if policy is None:
            return None, in_progress
        cursor = entry.get("cursor") or (policy.format(self.start_date) if self.start_date else None)
        incremental = in_progress.get("mode") == "incremental" if in_progress else (bool(cursor) and not full)
        try:
            window = Window(policy, cursor=cursor if incremental else None,
                            boundary=entry.get("boundary") if incremental else None,
                            sync_start=in_progress.get("sync_start"), pending=in_progress.get("boundary"))
        except ValueError as exc:
            raise ConfigError(f"{self.state.label}: resources.{name} holds a date that does not "
                              f"match {policy.cursor_format!r} ({exc})") from None
        return window, in_progress

    def _full_refresh(self, name: str) -> bool:
        return self.full_refresh is True or (not isinstance(self.full_refresh, bool) and name in self.full_refresh)

    def _expected(self, total: int | None) -> int | None:
        """The records this read will take: the list's reported total, or fewer in sample mode."""
        if total is None or self.limit is None:
            return total
        return min(total, self.limit)

    def _checkpoint(self, name: str, entry: dict, also: Sequence[str] = ()) -> None:
        """Persist progress (after the records are flushed; when there is a file) and tell the protocol
        about it (always, but in sample mode: a platform keeps the state it is told). `also` names
        streams whose state moved with this one (flattened streams riding on its pages)."""
        if self.limit is not None:
            return
        self.state.save()
        self.emitter.state(name, entry, self.state.document)
        for other in also:
            self.emitter.state(other, self.state.document["resources"].get(other, {}), self.state.document)

    # -- failures ----------------------------------------------------------------------------------

    def _failed(self, stream: StreamInfo, report: ResourceReport,
                error: ConnectorError) -> tuple[ConnectorError | None, bool]:
        name = stream.name
        report.message = str(error)
        quota = isinstance(error, QuotaExhausted)
        action = self._action(error)
        if action is Action.SKIP:
            report.status = "skipped"
            self.skip_statuses.add(getattr(error, "status", None))
            said = self.spec.credential_policy.check.access_words(error)
            self.progress.warning(f"{name}: skipped: {said}")
            self.emitter.log("WARN", f"{name}: skipped: {said}")
        else:
            report.status = "stopped" if quota else "failed"
            self.emitter.error(error, name)
        self.emitter.end_stream(name, "INCOMPLETE", rate_limited=quota)
        self.emitter.flush()
        if action is Action.SKIP:
            return None, False
        return error, action is not Action.FAIL

    def _action(self, error: ConnectorError) -> Action | None:
        """The error policy's read action for an API answer; None for what is not one (network, quota)."""
        if not isinstance(error, ApiError) or error.status is None:
            return None
        return self.spec.http.errors.resolve(error.status, Verb.READ).action


def _stream_info(resource: Resource) -> StreamInfo:
    cursor = resource.cursor.cursor_field if resource.cursor else None
    return StreamInfo(resource.name, resource.schema or {}, resource.primary_key, cursor, resource.key_fields)


# -- the state file, checked against the spec ---------------------------------------------------------


def check_state(spec: Spec, state: StateFile, *, full_refresh: bool = False, now: datetime | None = None) -> None:
    """Check what only the spec can judge in a state file, before anything is sent: dates in each
    resource's cursor format, a cursor not in the future (unless `full_refresh` ignores it), and
    `last_pk` of the primary key's type.

    The file's shape was already checked when it was loaded (`state.py`); this raises a
    `ConfigError` naming the file and the field."""
    if not state.given:
        return
    now = (now or datetime.now(timezone.utc)).replace(tzinfo=None)
    for name, entry in state.document["resources"].items():
        resource = _state_resource(spec, name)
        if resource is None:
            continue
        while (resource.child or resource.flatten) and not resource.dynamic:
            resource = spec.parent_of(resource)  # its state holds its top-level parent's keys and dates
        problem = _entry_problem(f"resources.{name}", entry, resource, None if full_refresh else now)
        if problem:
            raise ConfigError(f"{state.label}: {problem}")


def _state_resource(spec: Spec, name: str) -> Resource | None:
    """The resource a state entry belongs to: a static one by name, else the one incremental dynamic
    template (a custom object's entry, whose resource is only known once listed live)."""
    resource = spec.resources.get(name)
    if resource is not None and resource.dynamic is None:
        return resource
    templates = [r for r in spec.resources.values()
                 if r.dynamic is not None and r.dynamic_source is None and r.incremental]
    return templates[0] if len(templates) == 1 else resource


def _entry_problem(where: str, entry: dict, resource: Resource, now: datetime | None) -> str:
    in_progress = entry.get("in_progress") or {}
    last_pk = in_progress.get("last_pk")
    expected = _key_type(resource)
    if last_pk is not None and expected is not None and not isinstance(last_pk, expected):
        kind = "an integer" if expected is int else "a string"
        return f"{where}.in_progress.last_pk must be {kind} ({resource.primary_key}), got {last_pk!r}"
    policy = resource.cursor
    if policy is None:
        return ""
    parse = policy.parser()
    dates = [(f"{where}.cursor", entry.get("cursor")),
             (f"{where}.in_progress.sync_start", in_progress.get("sync_start"))]
    for label, boundary in ((f"{where}.boundary", entry.get("boundary")),
                            (f"{where}.in_progress.boundary", in_progress.get("boundary"))):
        for key, version in (boundary or {}).items():
            dates.append((f"{label}.{key}", version if isinstance(version, str) else version[0]))
    for label, text in dates:
        if text is None:
            continue
        try:
            moment = parse(text)
        except ValueError:
            return f"{label}: {text!r} does not match the cursor format {policy.cursor_format!r}"
        if now is not None and label.endswith((".cursor", ".sync_start")) \
                and moment > now + FUTURE_CURSOR_ALLOWANCE:
            return (f"{label}: {text!r} is in the future, so an incremental read would quietly find "
                    "nothing; fix the date, or drop the entry (or use --full-refresh) to read everything")
    return ""


def _key_type(resource: Resource) -> type | None:
    """int or str when the record schema types the primary key as integer or string, else None."""
    declared = ((resource.schema or {}).get("properties") or {}).get(resource.primary_key or "", {}).get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ()) - {"null"}
    if types == {"integer"}:
        return int
    if types == {"string"}:
        return str
    return None
