"""Fixtures for the platform sources (source-insightly, tap-insightly): a small harness on loopback, a platform
config file for it, and the console scripts' `main` run in this process with stdout captured (the scripts are
thin over it; tests/packaging runs the installed scripts themselves)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from insightly_connector.harness import Harness

#: Streams the read tests select: paged + incremental, paged without a cursor (none here), one request.
CONTACTS = 30


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes

    def lines(self) -> list[bytes]:
        return [line for line in self.stdout.splitlines() if line.strip()]

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def harness() -> Iterator[Harness]:
    with Harness(contacts=CONTACTS, rate_limit_per_second=None) as running:
        yield running


@pytest.fixture
def config_file(tmp_path: Path, harness: Harness) -> Callable[..., Path]:
    def write(**fields) -> Path:
        path = tmp_path / "config.json"
        path.write_text(json.dumps({"api_key": harness.api_key, "base_url": harness.base_url,
                                    "requests_per_second": 100, **fields}))  # paced fast: the harness has no limit
        return path

    return write


@pytest.fixture
def run_main(capfdbinary) -> Callable[..., Run]:
    """Run a console script's `main(argv)` here, returning its exit code and what it wrote."""

    def run(main: Callable[[list[str]], int], *args: str | Path) -> Run:
        capfdbinary.readouterr()
        code = main([str(a) for a in args])
        out, err = capfdbinary.readouterr()
        return Run(code, out, err)

    return run
