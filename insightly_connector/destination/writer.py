"""Sending a planned write: a few workers, all through the credential's shared client and limiter, each
taking the next key's writes from one shared queue and sending them in input order (so the order per
key is kept, and no worker idles while another still has a backlog: the run ends with its last write,
not with the slowest worker's share).

What a failed status means for a write (reject, fatal, stop and reject the rest, already absent) is
the error policy's write (or delete) action. A create whose outcome is unknown is never re-sent
blindly: `UnknownCreates` looks for it first, and only a proof of absence lets it be sent again.
The journal records each send before it leaves, so a killed run resolves its in-flight creates the
same way when re-run."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson

from insightly_connector.destination.created_record import Claims, UnknownCreates
from insightly_connector.destination.input_records import unwrap
from insightly_connector.destination.journal import Journal, JournalState, LineState
from insightly_connector.destination.plan import Plan, PlannedWrite
from insightly_connector.destination.rejects import Rejection, RejectsFile
from insightly_connector.destination.report import WriteReport, outcome_word
from insightly_connector.destination.results import ResultsFile
from insightly_connector.destination.target import WriteTarget
from insightly_connector.destination.templates import Request
from insightly_connector.destination.unchanged import changes_nothing
from insightly_connector.destination.validation import RecordRejected, field_value
from insightly_connector.errors import (
    ApiError,
    ConnectorError,
    ExitCode,
    OutcomeUnknown,
    QuotaExhausted,
    TransientError,
)
from insightly_connector.http.error_policy import Action, Verb
from insightly_connector.spec.json_path import follow

OUTCOME_UNKNOWN = "outcome_unknown"  # the reject category of a POST that may have landed
MAX_CREATE_SENDS = 3  # a create re-sent only after a lookup proved it absent; this bounds a flaky link


class _Stopped(Exception):
    """The run is stopping (fatal error or quota): leave this write pending, send nothing more."""


@dataclass
class _Job:
    write: PlannedWrite
    attempts: int = 0  # write requests sent for it (lookups not counted)
    resumed: LineState | None = None
    request: Request | None = None  # the latest write request (what a dry run shows)


class Writer:
    """Carries one write run over a plan: workers, counters, journal, rejects, the stop signal."""

    def __init__(self, target: WriteTarget, report: WriteReport, *, journal: Journal | None, state: JournalState,
                 rejects: RejectsFile | None, progress: Callable[[WriteReport], None] | None,
                 results: ResultsFile | None = None, retry_rejects: bool = False):
        self.client = target.client
        self.spec = target.spec
        self.resource = target.resource
        self.mode = target.mode
        self.upsert_key = target.upsert_key
        self.dry_run = target.dry_run
        self.shape = target.shape
        self.templates = target.resource.writes
        self.sub_write = target.sub_write
        self.id_map = target.id_map
        self.results = results
        self.retry_rejects = retry_rejects
        self.report = report
        self.journal = journal
        self.state = state
        self.rejects = rejects
        self.progress = progress
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_error: ConnectorError | None = None
        self._limit_error: ApiError | None = None
        self._crash: BaseException | None = None  # an unexpected error in a worker, re-raised by run()
        self._claims = Claims()
        for line_state in state.lines.values():
            if line_state.event == "confirmed" and line_state.entry.get("id") is not None:
                self._claims.add(line_state.entry["id"])
        # An upsert looks its key up right before each create: that lookup already shows what was there.
        self._unknown = UnknownCreates(self.client, self.resource, upsert_key=self.upsert_key, shape=self.shape,
                                       claims=self._claims, lookup=self._lookup,
                                       note_existing=self.mode != "upsert")

    @property
    def stopped_by(self) -> ConnectorError | None:
        """The error that stopped the run (fatal answer, quota, retries spent), if one did."""
        return self._stop_error

    def restart_journal(self, journal: Journal | None, state: JournalState) -> None:
        """Go on with another journal (a streaming write starts one per checkpointed segment)."""
        self.journal = journal
        self.state = state

    def run(self, plan: Plan) -> None:
        """Send one plan; a streaming write calls this once per chunk with the same writer, so the
        ids it confirmed stay claimed and an unknown-outcome create is never matched to them."""
        report, state = self.report, self.state
        for reject in plan.rejects:
            if self._settled_earlier([(reject.line, reject.digest)], [reject.raw]):
                continue
            self._reject([(reject.line, reject.digest)], [reject.raw], reject.rejection)
        jobs = []
        for write in plan.writes:
            if self._settled_earlier(write.lines, write.raws, write.payload):
                continue
            jobs.append(_Job(write, resumed=state.get(write.line)))
        by_key: dict[str, list[_Job]] = {}
        for job in jobs:
            by_key.setdefault(job.write.key, []).append(job)
        queue = deque(by_key.values())
        workers = min(self.spec.http.rate_limit.max_in_flight, len(queue))
        threads = [threading.Thread(target=self._work, args=(queue,), name=f"write-{n}", daemon=True)
                   for n in range(workers)]
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

    def _settled_earlier(self, lines: list[tuple[int, str]], raws: list[Any],
                         payload: dict[str, Any] | None = None) -> bool:
        """Lines the journal says an earlier run finished: confirmed ones are done; rejected ones stay
        rejected (counted, exit 3, their reject already in the file) unless `--retry-rejects`. A POST of
        unknown outcome stays rejected even then: sending it again could make a duplicate."""
        known = self.state.get(lines[0][0])
        if known is None or known.event == "sent":
            return False
        if known.event == "rejected" and self.retry_rejects and known.entry.get("category") != OUTCOME_UNKNOWN:
            return False
        rejected = known.event == "rejected"
        self._count("rejected" if rejected else "already_done", len(lines))
        if self.results is not None:
            for (line, _), raw in zip(lines, raws, strict=True):
                error = {"category": known.entry.get("category"), "status": known.entry.get("status")} \
                    if rejected else None
                self.results.write(line, key=self._key(payload if payload is not None else _record_of(raw)),
                                   outcome="rejected" if rejected else str(known.entry.get("outcome")),
                                   record_id=known.entry.get("id"), attempts=0, error=error, from_journal=True)
        return True

    def _work(self, queue: deque[list[_Job]]) -> None:
        """Take one key's writes at a time until none are left (`popleft` is atomic)."""
        while True:
            try:
                key_jobs = queue.popleft()
            except IndexError:
                return
            self._work_through(key_jobs)

    def _work_through(self, jobs: list[_Job]) -> None:
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
            if self.sub_write is not None and job.resumed is not None and job.resumed.event == "sent" \
                    and self.sub_write.method == "POST":
                raise RecordRejected(OUTCOME_UNKNOWN, f"a {self.mode} of this record was in flight when an earlier "
                                                        "run stopped; it is not sent again blindly: check it")
            if job.resumed is not None and job.resumed.event == "sent" and job.resumed.entry.get("action") == "create":
                found = self._find_created(write, _parse_since(job.resumed.entry.get("since")), sent_this_run=False)
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
        if self.sub_write is not None:
            return self._write_under(job)
        if self.mode == "create":
            return "created", self._create(job)
        if self.mode == "update":
            request = self.templates.request("update", payload)
            self._send(job, "update", request)
            return "updated", payload.get(self.resource.primary_key)
        if self.mode == "delete":
            request = self.templates.request("delete", payload)
            self._send(job, "delete", request)
            return "deleted", payload.get(self.resource.primary_key)
        return self._upsert(job)

    def _write_under(self, job: _Job) -> tuple[str, Any]:
        """A sub-write: one request under the parent; a POST of unknown outcome is rejected for the
        user to check, never sent again blindly (a second link or comment would be a duplicate)."""
        sub = self.sub_write
        assert sub is not None
        payload = job.write.payload
        request = sub.request(payload)
        try:
            content = sub.upload(payload).encode() if sub.multipart else None
            response = self._send(job, sub.mode, request, content=content)
        except OSError as exc:
            raise RecordRejected("validation", f"{sub.multipart.get('file')}: cannot read the file "
                                               f"({exc.strerror})") from None
        except OutcomeUnknown as exc:
            raise RecordRejected(OUTCOME_UNKNOWN, f"{exc}; not sent again: check whether it landed") from None
        record_id = payload.get(self.resource.primary_key)
        if sub.returns and response is not None and response.content:
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = None
            if isinstance(body, dict) and body.get(sub.returns) is not None:
                record_id = body[sub.returns]
        return sub.outcome, record_id

    def _upsert(self, job: _Job) -> tuple[str, Any]:
        write = job.write
        assert self.upsert_key is not None
        value = field_value(write.payload, self.upsert_key, self.shape)
        matches = self._lookup(self.upsert_key, value)
        if len(matches) > 1 and write.source_id is not None:
            # Several records share the key value: the record's own primary key, when it is among
            # them, says which one it is (a read written back). It never picks among strangers.
            own = [found for found in matches if found.get(self.resource.primary_key) == write.source_id]
            matches = own or matches
        if len(matches) > 1:
            raise RecordRejected("ambiguous_match", f"{len(matches)} records match {self.upsert_key}={value!r}; "
                                                    "the upsert key must be unique")
        if matches:
            found = matches[0]
            record_id = found.get(self.resource.primary_key)
            request = self.templates.request("update", {**write.payload, self.resource.primary_key: record_id})
            if request.body is not None and changes_nothing(request.body, found, self.shape):
                return "unchanged", record_id  # the lookup returned the live record: nothing to send
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
            since = None if self.dry_run else self._unknown.server_time_before_send()
            try:
                response = self._send(job, "create", request, since=since)
            except OutcomeUnknown:
                found = self._find_created(job.write, since, sent_this_run=True)
                if found is not None:
                    return found
                continue
            return None if self.dry_run else self._id_from(response, job.write.payload)
        raise TransientError(f"input line {job.write.line}: the create's outcome stayed unknown after "
                             f"{MAX_CREATE_SENDS} sends, each time confirmed absent; stopping")

    def _send(self, job: _Job, action: str, request: Request, *, since: datetime | None = None,
              content: tuple[bytes, str] | None = None) -> Any:
        job.request = request
        if self.dry_run:
            return None
        if self._stop.is_set():
            raise _Stopped
        if self.journal is not None:
            self.journal.sent(job.write.lines, action=action, method=request.method, path=request.path,
                              since=_format_since(since), attempt=job.attempts + 1)
        job.attempts += 1
        return self.client.request(request.method, request.path, params=request.params, json=request.body,
                                   content=content)

    def _lookup(self, field_name: str, value: Any) -> list[dict[str, Any]]:
        if self._stop.is_set():
            raise _Stopped
        request = self.templates.lookup(field_name, value)
        with self._lock:
            self.report.lookups += 1
        response = self.client.request(request.method, request.path, params=request.params)
        found = follow(orjson.loads(response.content or b"[]"), self.resource.records_path)
        return [record for record in found or [] if isinstance(record, dict)]

    def _find_created(self, write: PlannedWrite, since: datetime | None, *, sent_this_run: bool) -> Any:
        return None if self.dry_run else self._unknown.find(write, since, sent_this_run=sent_this_run)

    def _id_from(self, response: Any, payload: dict[str, Any]) -> Any:
        try:
            body = follow(orjson.loads(response.content), self.resource.records_path) if response.content else None
        except orjson.JSONDecodeError:
            body = None
        record_id = body.get(self.resource.primary_key) if isinstance(body, dict) else None
        if record_id is not None:
            self._claims.add(record_id)
        return record_id if record_id is not None else payload.get(self.resource.primary_key)

    # -- outcomes ----------------------------------------------------------------------------------

    def _api_failure(self, job: _Job, exc: ApiError) -> None:
        """The error policy's write action for this answer (a delete's own, when declared)."""
        verb = Verb.DELETE if self.mode == "delete" else Verb.WRITE
        action = self.spec.http.errors.resolve(exc.status, verb).action if exc.status is not None else Action.REJECT
        if action is Action.ALREADY_ABSENT:
            self._confirm(job, "unchanged", job.write.payload.get(self.resource.primary_key))
        elif action is Action.FATAL:
            self._halt(exc)
            self._count("pending", len(job.write.lines))
        elif action is Action.STOP:
            with self._lock:
                if self._limit_error is None:
                    self._limit_error = exc
            self._reject_write(job, Rejection(exc.category, exc.api_message or str(exc), exc.status, job.attempts))
        else:
            self._reject_write(job, Rejection(exc.category, exc.api_message or str(exc), exc.status, job.attempts))

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
        # The id map first: a run killed before the journal's entry resolves the create again and maps
        # the same id twice (harmless); the other order could leave a confirmed record unmapped.
        if self.id_map is not None and not self.dry_run and self.sub_write is None and record_id is not None \
                and write.source_id is not None and self.mode in ("create", "upsert"):
            self.id_map.add(self.resource.name, write.source_id, record_id)
        if self.dry_run:
            self._plan_entry(write.lines, outcome, job.request, record_id, warnings=write.warnings)
        elif self.journal is not None:
            self.journal.confirmed(write.lines, outcome=outcome, record_id=record_id)
        if self.results is not None:
            key = self._key(write.payload)
            for line, _ in write.lines:
                self.results.write(line, key=key, outcome=outcome_word(outcome, self.dry_run), record_id=record_id,
                                   attempts=job.attempts, source_id=write.source_id)
        self._count(outcome)
        self._count("collapsed", len(write.lines) - 1)

    def _reject_write(self, job: _Job, rejection: Rejection) -> None:
        self._reject(job.write.lines, job.write.raws, rejection, job.write.payload)

    def _reject(self, lines: list[tuple[int, str]], raws: list[Any], rejection: Rejection,
                payload: dict[str, Any] | None = None) -> None:
        if self.results is not None:
            error = {"category": rejection.category, "status": rejection.status, "message": rejection.message}
            for (line, _), raw in zip(lines, raws, strict=True):
                self.results.write(line, key=self._key(payload if payload is not None else _record_of(raw)),
                                   outcome="rejected", record_id=None, attempts=rejection.attempts, error=error)
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

    def _key(self, record: dict[str, Any] | None) -> dict[str, Any] | None:
        """The field a result line names the record by: the upsert key if the mode matches on one, else
        the primary key (absent on a create: the new id is the result's `id`)."""
        if not isinstance(record, dict):
            return None
        name = self.upsert_key if self.upsert_key and self.sub_write is None else self.resource.primary_key
        value = field_value(record, name, self.shape)
        return {name: value} if value is not None else None

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
        entry: dict[str, Any] = {"inputLines": [line for line, _ in lines], "outcome": outcome_word(outcome, True)}
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


def _record_of(raw: Any) -> dict[str, Any] | None:
    """The record inside an input line as given (a plain record or a RECORD message)."""
    kind, record = unwrap(raw)
    return record if kind == "record" else None


def _format_since(since: datetime | None) -> str | None:
    return since.strftime("%Y-%m-%dT%H:%M:%SZ") if since is not None else None


def _parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
