"""Fixtures for the source tests: a harness on loopback, in-process reads and CLI reads against it.

In-process reads use a client limiter without a per-second cap (the harness's limit is off too), so
the tests exercise behaviour, not pacing. CLI reads run the real console entry point in a subprocess.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from insightly_connector.harness import Harness
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import UnlimitedLimiter
from insightly_connector.protocols.emitters import make_emitter
from insightly_connector.redaction import process_redactor
from insightly_connector.source.read import ReadReport, read
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.loader import Spec, load_spec

CLI_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@contextlib.contextmanager
def running_harness(**options) -> Iterator[Harness]:
    """A harness with its per-second limit off unless a test asks for it; always stopped."""
    options.setdefault("rate_limit_per_second", None)
    with Harness(**options) as harness:
        yield harness


@pytest.fixture
def harness_factory() -> Callable[..., contextlib.AbstractContextManager[Harness]]:
    return running_harness


@dataclass
class InProcessRead:
    report: ReadReport
    output: bytes
    client_stats: dict

    def lines(self) -> list[dict]:
        return [orjson.loads(line) for line in self.output.splitlines()]


@pytest.fixture
def read_in_process(spec: Spec) -> Callable[..., InProcessRead]:
    """Read through `source.read` over real HTTP to the harness, output captured in memory."""

    def run(harness: Harness, resources: list[str] | None, *, output_format: str = "jsonl",
            state_path: Path | None = None, limit: int | None = None, full_refresh: bool = False,
            api_key: str | None = None, with_spec: Spec = spec) -> InProcessRead:
        spec = with_spec
        credential = load_credential({"name": "test", "api_key": api_key or harness.api_key,
                                      "base_url": harness.base_url}, spec)
        out = io.BytesIO()
        emitter = make_emitter(output_format, process_redactor, stdout=out)
        with Client(spec, credential, limiter=UnlimitedLimiter(max_in_flight=4)) as client:
            report = read(client, spec, resources, emitter=emitter, state_path=str(state_path) if state_path else None,
                          limit=limit, full_refresh=full_refresh)
            return InProcessRead(report, out.getvalue(), dict(client.stats))

    return run


@pytest.fixture
def credential_file(tmp_path: Path) -> Callable[..., Path]:
    def write(harness: Harness | None, *, api_key: str | None = None, base_url: str | None = None) -> Path:
        path = tmp_path / "credential.json"
        path.write_text(json.dumps({"name": "test", "api_key": api_key or harness.api_key,
                                    "base_url": base_url or harness.base_url}))
        return path

    return write


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "insightly_connector", "read", *args]


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess]:
    """Run `insightly-connector read ...` to completion (bounded by a timeout)."""

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(cli_command(*args), capture_output=True, timeout=CLI_TIMEOUT_SECONDS,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"}, check=False)

    return run




@pytest.fixture(scope="session")
def fast_retry_config(tmp_path_factory) -> Path:
    """connector.yaml with short backoffs (the `--config` override), so retry paths run in milliseconds."""
    import yaml

    source = load_spec().path
    document = yaml.safe_load(source.read_text())
    document["http"]["retry"].update({"max_attempts": 5, "initial_backoff_seconds": 0.05,
                                      "max_backoff_seconds": 0.1, "max_retry_after_seconds": 0.1})
    directory = tmp_path_factory.mktemp("fast-config")
    (directory / "schemas").symlink_to(source.resolve().parent / "schemas")
    path = directory / "connector.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def fast_spec(fast_retry_config: Path) -> Spec:
    return load_spec(fast_retry_config)


@dataclass
class CliResult:
    returncode: int
    stdout: bytes
    stderr: bytes


@pytest.fixture
def run_cli_here(capfdbinary) -> Callable[..., CliResult]:
    """Run the CLI's `main` in this process (argument parsing, the verb, error printing, exit code),
    for tests that need the CLI's behaviour but not a fresh process."""
    from insightly_connector.cli import main

    def run(*args: str) -> CliResult:
        capfdbinary.readouterr()
        thresholds = gc.get_threshold()
        try:
            code = main(["read", *args])
        finally:  # the CLI tunes the collector for its own process; give the test process its settings back
            gc.unfreeze()
            gc.set_threshold(*thresholds)
        out, err = capfdbinary.readouterr()
        return CliResult(code, out, err)

    return run
