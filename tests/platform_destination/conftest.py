"""Fixtures for the platform destinations (destination-insightly, target-insightly): harnesses on loopback,
a platform config file aimed at one, and the installed console scripts run as platforms run them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from insightly_connector.harness import Harness

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def target() -> Iterator[Harness]:
    """The harness written to (a few seeded records of its own)."""
    with Harness(seed=11, contacts=3, rate_limit_per_second=None) as running:
        yield running


def config(harness: Harness, folder: Path, **options: Any) -> Path:
    """A platform config: the credential's fields (no name: platforms have none) and the write options."""
    for name in ("journal", "rejects"):
        (folder / name).mkdir(exist_ok=True)
    path = folder / "config.json"
    fields = {"api_key": harness.api_key, "base_url": harness.base_url, "requests_per_second": 100,
              "journal_dir": str(folder / "journal"), "rejects_dir": str(folder / "rejects"), **options}
    path.write_text(json.dumps(fields))
    return path


def script(name: str, *args: str | Path, stdin: bytes = b"", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / name), *map(str, args)], input=stdin, capture_output=True, timeout=timeout,
                          check=False)


def values(harness: Harness, collection: str, field: str) -> list[Any]:
    """Every record's value of `field`, read from the harness's own store (its ground truth)."""
    return [record.get(field) for record in (harness.get(collection, key) for key in harness.ids(collection))
            if record is not None]


def jsonl(*messages: dict) -> bytes:
    return b"".join(json.dumps(message).encode() + b"\n" for message in messages)


def reject_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
