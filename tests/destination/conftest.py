"""Fixtures for the write tests: a harness on 127.0.0.1, a client bound to it, and helpers that look
at the harness over real HTTP (record counts) or through its request log."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from insightly_connector.destination.write import write
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import RateLimiter
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.loader import Spec, load_spec

Harness = getattr(pytest.importorskip("insightly_connector.harness"), "Harness", None)
FAST = 200  # requests/second for tests that are not about pacing


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="module")
def module_harness() -> Iterator[Any]:
    """One emulator per test file (building its data set is the slow part)."""
    if Harness is None:
        pytest.skip("the harness package has no Harness yet")
    with Harness(pod="na1", seed=5, plan="enterprise", contacts=6, rate_limit_per_second=None) as running:
        yield running


@pytest.fixture
def harness(module_harness: Any) -> Any:
    """The file's emulator with an empty request log, no faults, no record limit, a full quota."""
    module_harness.clear_faults()
    module_harness.set_record_limit(None)
    module_harness.reset_quota()
    module_harness.clear_requests()
    return module_harness


def credential_for(harness: Any) -> dict[str, str]:
    return {"name": "write tests", "api_key": harness.api_key, "pod": "na1", "base_url": harness.base_url}


@pytest.fixture
def client(spec: Spec, harness: Any) -> Iterator[Client]:
    credential = load_credential(credential_for(harness), spec)
    with Client(spec, credential, limiter=RateLimiter(FAST, max_in_flight=4)) as api:
        yield api


@pytest.fixture
def run_write(client: Client, spec: Spec, tmp_path: Any):
    """`write()` with the rejects file in the test's folder; returns the report."""

    def run(resource: str, mode: str, records: list, **options: Any):
        options.setdefault("rejects_path", str(tmp_path / "rejects.jsonl"))
        return write(client, spec, resource, mode, records, **options)

    return run


def find(harness: Any, collection: str, field: str, value: Any) -> list[dict]:
    """Records of a collection whose field equals value, read from the harness itself."""
    return [record for record in (harness.get(collection, key) for key in harness.ids(collection))
            if record is not None and record.get(field) == value]


def mutations(harness: Any) -> list[Any]:
    """Logged requests that change data."""
    return [entry for entry in harness.requests() if entry.method in ("POST", "PUT", "DELETE", "PATCH")]


def read_lines(path: Any) -> list[dict]:
    with open(path, "rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]


@pytest.fixture
def credential_file(harness: Any, tmp_path: Any) -> str:
    path = tmp_path / "credential.json"
    path.write_bytes(orjson.dumps(credential_for(harness)))
    return str(path)


def cli(*args: str, stdin: bytes | None = None, cwd: Any = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real command line in a child process."""
    return subprocess.run([sys.executable, "-m", "insightly_connector", *args], input=stdin, capture_output=True,
                          cwd=cwd, timeout=timeout, check=False)
