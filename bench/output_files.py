"""Reading back what a run wrote: how many records, and which keys (checked so a fast figure is a real one)."""

from __future__ import annotations

from pathlib import Path

import orjson

_RECORD_MESSAGE = b'{"type":"RECORD"'


def count_records(path: Path, format_name: str) -> int:
    """Records in an `--output` file: every line in jsonl, RECORD messages in airbyte and singer."""
    with open(path, "rb") as handle:
        if format_name == "jsonl":
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        return sum(1 for line in handle if line.startswith(_RECORD_MESSAGE))


def record_keys(path: Path, key: str) -> list:
    """The primary keys of a jsonl output file, in file order."""
    with open(path, "rb") as handle:
        return [orjson.loads(line)[key] for line in handle]
