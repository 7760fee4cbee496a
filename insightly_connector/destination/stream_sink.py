"""One stream of a streaming write: its resource, its writer, its journal segment and its buffered chunk.

Records are written a chunk at a time through the write verb's own path (plan, then writer), so a
chunk keeps its guarantees: validation before sending, duplicates collapsed, unknown-outcome creates
resolved before any re-send, the credential's shared limiter. One writer serves every chunk of the
stream, so the ids it confirmed stay claimed.

The journal holds one *segment*: the stream's records since the last checkpoint released for it,
numbered from 1. A platform that retries a sync resends exactly those records, so a re-run matches
them line by line: confirmed lines are skipped, in-flight creates are looked up. When a checkpoint
is released the segment is done and the journal starts again. A journal whose lines all ended
(settled) but that the input does not match is a segment the platform had already checkpointed, so
it is started again; an unsettled one is refused, because its in-flight creates could not be
resolved against other records."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from insightly_connector.destination.custom_field_cache import CustomFieldCache
from insightly_connector.destination.input_records import INVALID_INPUT, InputRecord
from insightly_connector.destination.journal import Journal, JournalState, load
from insightly_connector.destination.plan import COLLAPSE, build_plan
from insightly_connector.destination.rejects import Rejection, RejectsFile
from insightly_connector.destination.report import WriteReport
from insightly_connector.destination.target import WriteTarget
from insightly_connector.destination.write import check_journal_matches
from insightly_connector.destination.writer import Writer
from insightly_connector.errors import ConfigError
from insightly_connector.http.client import Client
from insightly_connector.protocols.typed_dates import DateConverter
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource


class PositionedRejects:
    """A rejects file whose `inputLine` is the record's position in the platform's message stream,
    not its line in the journal segment (which restarts at every checkpoint)."""

    def __init__(self, rejects: RejectsFile):
        self.file = rejects
        self.path = rejects.path
        self.positions: dict[int, int] = {}

    def write(self, line: int, raw: Any, rejection: Rejection) -> None:
        self.file.write(self.positions.get(line, line), raw, rejection)

    def close(self) -> None:
        self.file.close()


class StreamSink:
    """Buffers one stream's records and writes them a chunk at a time."""

    def __init__(self, client: Client, spec: Spec, resource: Resource, mode: str, upsert_key: str | None, *,
                 journal_path: str | None, rejects_path: str,
                 progress: Callable[[WriteReport], None] | None = None,
                 custom_fields: CustomFieldCache | None = None):
        self.target = WriteTarget(client, spec, resource, mode, upsert_key, read_only="drop", dry_run=False,
                                  custom_fields=custom_fields)
        self.report = WriteReport(resource.name, mode, self.target.run_id, journal_path=journal_path)
        self.dates = DateConverter.for_schema(resource.schema or {})
        self.journal_path = journal_path
        self.rejects = PositionedRejects(RejectsFile(
            rejects_path, resource=resource.name, mode=mode, run_id=self.target.run_id,
            redactor=process_redactor, fresh=False))
        self.report.rejects_path = rejects_path
        state = self._load() if journal_path else JournalState()
        self.writer = Writer(self.target, self.report, journal=self._start(), state=state, rejects=self.rejects,
                             progress=progress)
        self.buffer: list[InputRecord] = []
        self.line = 0  # the segment's last line number
        self.dropped_fields: set[str] = set()

    def __len__(self) -> int:
        return len(self.buffer)

    def add(self, data: Any, raw: Any, position: int) -> None:
        """Buffer one record (`raw` is what a reject shows); dates come back to the API's format."""
        self.line += 1
        self.rejects.positions[self.line] = position
        if isinstance(data, dict):
            self.buffer.append(InputRecord(self.line, self._writable(self.dates.to_api(data)), raw))
        else:
            self.buffer.append(InputRecord(self.line, None, raw, f"message {position}: the record is not an object"))

    def _writable(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record without the fields no write can send: a platform's records are a read's output,
        which carries fields the API sets itself and does not declare (read-only fields are dropped
        by the validator). Each dropped field counts as a warning and is named in `dropped_fields`."""
        target = self.target
        properties = (target.resource.schema or {}).get("properties") or {}
        kept = {}
        for name, value in record.items():
            if name in properties or (target.shape is not None and (
                    name == target.shape.array_field or name in target.validator.known_custom_fields)):
                kept[name] = value
            else:
                self.dropped_fields.add(name)
                self.report.warnings += 1
        return kept

    def flush(self) -> None:
        """Write the buffered chunk; every record of it ends confirmed or rejected, or the run stops."""
        if not self.buffer:
            return
        chunk, self.buffer = self.buffer, []
        plan = build_plan(chunk, self.target.validator, duplicates=COLLAPSE, key_of=self.target.key_of,
                          primary_key=self.target.resource.primary_key)  # a record's own id keeps it apart
        self.target.check_addresses(plan)
        self._match_journal(plan)
        self.report.records += plan.records
        self.report.warnings += plan.warnings
        self.writer.run(plan)
        if self.writer.stopped_by is not None:
            raise self.writer.stopped_by

    def segment_done(self) -> None:
        """A checkpoint covering this stream was released: its records need no journal any more."""
        assert not self.buffer, "flush before releasing a checkpoint"
        self._restart_journal()
        self.line = 0
        self.rejects.positions.clear()

    def close(self) -> None:
        if self.writer.journal is not None:
            self.writer.journal.close()
        self.rejects.close()
        if not os.path.exists(self.rejects.path):
            self.report.rejects_path = None

    # -- the journal segment --------------------------------------------------------------------------

    def _load(self) -> JournalState:
        target = self.target
        assert self.journal_path is not None
        try:
            return load(self.journal_path, resource=target.resource.name, mode=target.mode,
                        upsert_key=target.upsert_key)
        except ConfigError:
            if not load(self.journal_path, resource=None, mode=None, upsert_key=None).settled:
                raise
        with open(self.journal_path, "r+b") as handle:  # another mode's settled segment: nothing pending
            handle.truncate(0)
        return JournalState()

    def _start(self) -> Journal | None:
        if self.journal_path is None:
            return None
        target = self.target
        return Journal.start(self.journal_path, run_id=target.run_id, resource=target.resource.name,
                             mode=target.mode, upsert_key=target.upsert_key, redactor=target.redactor)

    def _restart_journal(self) -> None:
        if self.journal_path is None:
            return
        if self.writer.journal is not None:
            self.writer.journal.close()
        with open(self.journal_path, "r+b") as handle:  # emptied in place, like the rejects file
            handle.truncate(0)
        self.writer.restart_journal(self._start(), JournalState())

    def _match_journal(self, plan: Any) -> None:
        state = self.writer.state
        try:
            check_journal_matches(plan, state)
        except ConfigError as exc:
            if not state.settled:
                raise ConfigError(f"{self.journal_path}: {exc}; it has requests in flight, so the records it "
                                  "names must be resent as they were (or the journal removed, accepting that an "
                                  "in-flight create may be repeated)") from None
            self._restart_journal()  # an already checkpointed segment: nothing in it is pending


class UnroutableSink:
    """A stream that names no writable resource: each of its records is rejected, with the reason."""

    def __init__(self, stream: str, reason: str, *, rejects_path: str):
        self.report = WriteReport(stream, "none", "unroutable")
        self.rejects = RejectsFile(rejects_path, resource=stream, mode="none", run_id="unroutable",
                                   redactor=process_redactor, fresh=False)
        self.report.rejects_path = rejects_path
        self.reason = reason

    def __len__(self) -> int:
        return 0

    def add(self, data: Any, raw: Any, position: int) -> None:
        category = "unknown_stream" if isinstance(data, dict) else INVALID_INPUT
        self.rejects.write(position, raw, Rejection(category, self.reason))
        self.report.records += 1
        self.report.counts["rejected"] += 1

    def flush(self) -> None:
        """Nothing is buffered: each record is in the rejects file as soon as it arrives."""

    def segment_done(self) -> None:
        """No journal."""

    def close(self) -> None:
        self.rejects.close()
