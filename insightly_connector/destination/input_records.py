"""Records to write, read from JSON lines: plain records, Airbyte RECORD or Singer RECORD messages.

The format is detected per line so any Singer tap or Airbyte source can feed the write verb; other
protocol messages (SCHEMA, STATE, LOG, ...) carry no record and are passed over. A line that is not
a JSON object is not dropped: it becomes an `invalid_input` item so that it ends in the rejects file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

INVALID_INPUT = "invalid_input"

# Message types of the two protocols that never carry a record to write.
_NON_RECORD_TYPES = frozenset({
    "SCHEMA", "STATE", "LOG", "TRACE", "CONTROL", "SPEC", "CATALOG", "CONNECTION_STATUS",
    "ACTIVATE_VERSION", "BATCH",
})


@dataclass(frozen=True)
class InputRecord:
    """One record of the input; `line` is 1-based and names the record in rejects and the journal."""

    line: int
    record: dict[str, Any] | None  # None when the line could not be read as a record
    raw: Any  # what the rejects file shows: the record, or the unreadable text
    error: str = ""  # why the line is not a record (category invalid_input)

    @property
    def ok(self) -> bool:
        return self.record is not None


def unwrap(message: Any) -> tuple[str, dict[str, Any] | None]:
    """Classify one parsed line: ("record", data), ("skip", None) or ("invalid", None)."""
    if not isinstance(message, dict):
        return "invalid", None
    kind = message.get("type")
    if isinstance(kind, str):
        if kind == "RECORD":
            inner = message.get("record")
            if isinstance(inner, dict) and isinstance(inner.get("data"), dict):  # Airbyte
                return "record", inner["data"]
            if isinstance(inner, dict) and isinstance(message.get("stream"), str):  # Singer
                return "record", inner
            return "invalid", None
        if kind in _NON_RECORD_TYPES:
            return "skip", None
    return "record", message


def read_records(lines: Iterable[str | bytes]) -> Iterator[InputRecord]:
    """Yield every record of the input in order; blank lines and non-record messages are skipped."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            parsed = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield InputRecord(number, None, _as_text(text), f"line {number} is not valid JSON: {exc}")
            continue
        kind, record = unwrap(parsed)
        if kind == "record":
            yield InputRecord(number, record, record)
        elif kind == "invalid":
            yield InputRecord(number, None, parsed,
                              f"line {number} is neither a JSON object record nor a RECORD message")


def _as_text(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text.rstrip("\r\n")
