"""The write journal: what was sent, confirmed and rejected, so a killed write resumes safely.

JSON lines, appended and fsync'ed. A `sent` entry is durable *before* its request leaves, and a
`confirmed` / `rejected` entry is written after the answer, so at any kill point the journal tells
the truth: a line that is confirmed or rejected is skipped on re-run; a line that is only `sent` was
in flight and is resolved (a create by lookup, an idempotent PUT/DELETE by sending again).

Entries name input records by line number and a digest of the record, so a re-run with a different
input is refused instead of skipping the wrong records. A journal starts with a `run` header naming
the resource, mode and upsert key; a file that does not (another file given as `--journal`, or not
a journal at all) is refused rather than appended to. A half-written last line (the process died
while writing it) is ignored: its request either had not left yet (`sent`), or is still covered by
the earlier `sent` entry. A device or FIFO given as the journal is written to and never read back.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson

from insightly_connector.destination.file_paths import check_writable_path, open_for_the_run
from insightly_connector.errors import ConfigError
from insightly_connector.redaction import Redactor

FORMAT_VERSION = 1
_EVENTS = ("run", "sent", "confirmed", "rejected")


def record_digest(raw: Any) -> str:
    """A short stable digest of one input record (key order does not matter)."""
    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    data = raw.encode() if isinstance(raw, str) else orjson.dumps(raw, option=options, default=str)
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass
class LineState:
    """The latest journal entry about one input line."""

    event: str  # sent | confirmed | rejected
    digest: str
    entry: dict[str, Any] = field(default_factory=dict)


@dataclass
class JournalState:
    """What an earlier run of the same write left behind."""

    lines: dict[int, LineState] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)

    def get(self, line: int) -> LineState | None:
        return self.lines.get(line)

    @property
    def settled(self) -> bool:
        """No request of the journal is in flight: every line it names ended confirmed or rejected."""
        return all(known.event != "sent" for known in self.lines.values())

    def rejected_lines(self, *, except_category: str | None = None) -> set[int]:
        """The input lines an earlier run rejected (what `--retry-rejects` sends again)."""
        return {line for line, known in self.lines.items()
                if known.event == "rejected" and known.entry.get("category") != except_category}

    def check_digest(self, line: int, digest: str) -> None:
        """Refuse to resume over a different input: skipping by line number would then be wrong."""
        known = self.lines.get(line)
        if known is not None and known.digest != digest:
            raise ConfigError(f"the journal does not match the input: line {line} differs from the "
                              "record the journal recorded; use the same input or a new journal")


class Journal:
    """Appends entries durably; thread-safe (workers confirm records concurrently)."""

    def __init__(self, path: str | os.PathLike[str], *, run_id: str, redactor: Redactor | None = None):
        self.path = os.fspath(path)
        self.run_id = run_id
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        check_writable_path(self.path, "--journal")
        self._handle = open_for_the_run(self.path, "--journal", "ab")
        self._syncable = stat.S_ISREG(os.fstat(self._handle.fileno()).st_mode)

    @classmethod
    def start(cls, path: str | os.PathLike[str], *, run_id: str, resource: str, mode: str,
              upsert_key: str | None, redactor: Redactor | None = None) -> Journal:
        """Start appending this run's entries (after `load` has checked an earlier run's)."""
        journal = cls(path, run_id=run_id, redactor=redactor)
        journal._append({"event": "run", "journal": FORMAT_VERSION, "runId": run_id, "resource": resource,
                         "mode": mode, "upsertKey": upsert_key, "at": _now()})
        return journal

    def sent(self, lines: Iterable[tuple[int, str]], *, action: str, method: str, path: str,
             since: str | None, attempt: int) -> None:
        """Record a request about to leave; must be called before it is sent."""
        self._append({"event": "sent", "lines": [list(pair) for pair in lines], "action": action,
                      "method": method, "path": path, "since": since, "attempt": attempt})

    def confirmed(self, lines: Iterable[tuple[int, str]], *, outcome: str, record_id: Any) -> None:
        self._append({"event": "confirmed", "lines": [list(pair) for pair in lines], "outcome": outcome,
                      "id": record_id})

    def rejected(self, lines: Iterable[tuple[int, str]], *, category: str, status: int | None) -> None:
        self._append({"event": "rejected", "lines": [list(pair) for pair in lines], "category": category,
                      "status": status})

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()

    def _append(self, entry: dict[str, Any]) -> None:
        entry.setdefault("runId", self.run_id)
        data = self._redactor.scrub_bytes(orjson.dumps(entry, default=str)) + b"\n"
        with self._lock:
            self._handle.write(data)
            self._handle.flush()
            if self._syncable:
                os.fsync(self._handle.fileno())


def load(path: str | os.PathLike[str], *, resource: str | None, mode: str | None,
         upsert_key: str | None) -> JournalState:
    """Read a journal (a missing file is an empty journal) and check it belongs to this write
    (`resource=None`: a journal of any write, read to see whether anything is in flight)."""
    state = JournalState()
    check_writable_path(path, "--journal")
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return state  # a device or FIFO: a sink the user chose, with nothing to resume from
        with open(path, "rb") as handle:
            raw_lines = handle.read().splitlines()
    except FileNotFoundError:
        return state
    except OSError as exc:
        raise ConfigError(f"cannot read the journal {os.fspath(path)}: {exc.strerror}") from None
    headed = False
    for index, text in enumerate(raw_lines):
        if not text.strip():
            continue
        try:
            entry = orjson.loads(text)
        except orjson.JSONDecodeError:
            if index == len(raw_lines) - 1 and headed:
                continue  # the process was killed while writing this last line
            entry = None
        if not headed and not (isinstance(entry, dict) and entry.get("event") == "run"):
            raise ConfigError(f"the journal {os.fspath(path)} does not start with a 'run' entry, so it is not a "
                              "journal of this connector's writes; use a new journal file")
        headed = True
        if not _well_formed(entry):
            raise ConfigError(f"the journal {os.fspath(path)} is corrupt at line {index + 1}")
        _apply(state, entry, resource=resource, mode=mode, upsert_key=upsert_key, path=path)
    return state


def _well_formed(entry: Any) -> bool:
    """An entry this module writes: a known event, and `lines` as [line number, digest] pairs."""
    if not isinstance(entry, dict) or entry.get("event") not in _EVENTS:
        return False
    if entry["event"] == "run":
        return True
    lines = entry.get("lines")
    return isinstance(lines, list) and all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int) and not isinstance(pair[0], bool)
        and isinstance(pair[1], str) for pair in lines)


def _apply(state: JournalState, entry: dict[str, Any], *, resource: str, mode: str,
           upsert_key: str | None, path: str | os.PathLike[str]) -> None:
    event = entry.get("event")
    if event == "run":
        recorded = (entry.get("resource"), entry.get("mode"), entry.get("upsertKey"))
        if resource is not None and recorded != (resource, mode, upsert_key):
            raise ConfigError(
                f"the journal {os.fspath(path)} belongs to another write (resource={recorded[0]}, "
                f"mode={recorded[1]}, upsert key={recorded[2]}); use a new journal file")
        state.run_ids.append(str(entry.get("runId")))
        return
    for line, digest in entry.get("lines", ()):
        state.lines[int(line)] = LineState(str(event), str(digest), entry)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
