"""The rejects file: one JSON line per record that was not written, shaped like Nexla's quarantine.

A line holds the original record (`rawMessage`), where it came from (`nexlaMetaData`) and why it was
refused (`error`: category, HTTP status, the API's message, attempts), so a user can fix the record
and feed the file's `rawMessage` values back in. What the connector says (`nexlaMetaData`, `error`,
the API's message included) is scrubbed of secrets; `rawMessage` is the user's own record and is
kept exactly as given, so it can be fed back unaltered.

A fresh file is started by truncating a regular file in place, never by deleting it: a device
(`/dev/null`) or a FIFO given as the rejects file stays what it is and keeps working as a sink.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson

from insightly_connector.destination.file_paths import check_writable_path, open_for_the_run
from insightly_connector.redaction import Redactor


@dataclass(frozen=True)
class Rejection:
    """Why one record was not written."""

    category: str
    message: str
    status: int | None = None
    attempts: int = 0


def reject_line(*, resource: str, mode: str, line: int, run_id: str, raw: Any,
                rejection: Rejection, ingest_time: str | None = None) -> dict[str, Any]:
    """The quarantine-style dict for one rejected record."""
    return {
        "nexlaMetaData": {
            "resource": resource,
            "mode": mode,
            "inputLine": line,
            "runId": run_id,
            "ingestTime": ingest_time or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
        "error": {
            "category": rejection.category,
            "status": rejection.status,
            "message": rejection.message,
            "attempts": rejection.attempts,
        },
        "rawMessage": raw,
    }


class RejectsFile:
    """Appends reject lines to a file, opened on the first reject so a clean run creates no file.

    `fresh=True` starts a new file (a run without a journal): an existing regular file is emptied
    (truncated, not removed) so no stale rejects of an earlier run remain; a resumed run appends,
    so rejects from the interrupted run are kept and not repeated (the journal skips them).
    """

    def __init__(self, path: str | os.PathLike[str], *, resource: str, mode: str, run_id: str,
                 redactor: Redactor | None = None, fresh: bool = True):
        self.path = os.fspath(path)
        self.count = 0
        self._resource = resource
        self._mode = mode
        self._run_id = run_id
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._handle = None
        check_writable_path(self.path, "--rejects")
        if fresh and os.path.isfile(self.path):
            with open(self.path, "r+b") as stale:  # empty it in place: never delete what the user named
                stale.truncate(0)

    def forget(self, lines: set[int]) -> None:
        """Remove the lines of records sent again (`--retry-rejects`): each ends once more confirmed or
        rejected, so its old reject must not stay behind. A device or FIFO is left alone."""
        if not lines or not os.path.isfile(self.path):
            return
        with open(self.path, "r+b") as handle:
            kept = []
            for text in handle.read().splitlines(keepends=True):
                try:
                    line = orjson.loads(text)["nexlaMetaData"]["inputLine"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    line = None
                if line not in lines:
                    kept.append(text)
            handle.seek(0)
            handle.write(b"".join(kept))
            handle.truncate()

    def write(self, line: int, raw: Any, rejection: Rejection) -> None:
        entry = reject_line(resource=self._resource, mode=self._mode, line=line, run_id=self._run_id,
                            raw=raw, rejection=rejection)
        data = serialise(entry, self._redactor)
        with self._lock:
            if self._handle is None:
                self._handle = open_for_the_run(self.path, "--rejects", "ab")
            self._handle.write(data)
            self._handle.flush()
            self.count += 1

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def serialise(entry: dict[str, Any], redactor: Redactor) -> bytes:
    """One reject line: everything but `rawMessage` scrubbed, `rawMessage` (the user's record) as given."""
    raw = entry.get("rawMessage")
    said = {key: value for key, value in entry.items() if key != "rawMessage"}
    head = redactor.scrub_bytes(orjson.dumps(said, default=str))
    return head[:-1] + b',"rawMessage":' + orjson.dumps(raw, default=str) + b"}\n"
