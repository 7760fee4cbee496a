"""Fixtures for the runner tests (credential, client, check, discover, CLI): harnesses on loopback."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from insightly_connector.spec.loader import Spec, load_spec

CLI_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


def credential_dict(harness, **overrides) -> dict:
    data = {"name": "test", "api_key": harness.api_key, "password": "", "pod": harness.pod,
            "base_url": harness.base_url}
    data.update(overrides)
    return data


def write_credential(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(data))
    return str(path)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "insightly_connector", *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_SECONDS, check=False)


def assert_no_secret(key: str, *texts: str) -> None:
    """Neither the key nor any base64 form of it (with or without the trailing colon) appears."""
    forms = {key}
    for raw in (key, key + ":"):
        encoded = base64.b64encode(raw.encode()).decode()
        forms |= {encoded, encoded.rstrip("=")}
    for text in texts:
        for form in forms:
            assert form not in text
