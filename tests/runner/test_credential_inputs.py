"""Credential values that used to pass the form and fail later: each is now a one-line field error
(or, for a pasted key's surrounding whitespace, quietly mended), and a slow pace shows progress."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.harness import Harness
from insightly_connector.spec.credential import load_credential

from .conftest import credential_dict, run_cli, write_credential


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(rate_limit_per_second=None, contacts=3) as running:
        yield running


@pytest.mark.parametrize("padding", ["\n", " ", "\r\n", "\t "])
def test_whitespace_around_a_pasted_key_is_removed_and_the_check_passes(harness, tmp_path, padding):
    path = write_credential(tmp_path, credential_dict(harness, api_key=padding + harness.api_key + padding,
                                                      requests_per_second=100))
    result = run_cli("check", "--credential", path)
    assert result.returncode == 0, result.stderr
    assert harness.api_key not in result.stdout + result.stderr


@pytest.mark.parametrize("bad", ["a\x00b", "ключ", "ab cd", "a:b", "a\nb"])
def test_a_key_with_characters_no_key_has_is_a_field_error(spec, harness, bad):
    with pytest.raises(ConfigError) as caught:
        load_credential(credential_dict(harness, api_key=bad), spec)
    assert "api_key" in str(caught.value) and bad not in str(caught.value)


@pytest.mark.parametrize(("content", "says"), [
    ("[" * 100_000, "nested too deeply"),
    (json.dumps({"name": "é", "api_key": "k"}).replace("\\u00e9", "é").encode("latin-1"), "not UTF-8"),
    (json.dumps({"name": "x", "api_key": "k"}).encode("utf-16"), "not UTF-8"),
])
def test_unreadable_credential_files_are_one_line_usage_errors(tmp_path, content, says):
    path = tmp_path / "credential.json"
    if isinstance(content, str):
        path.write_text(content)
    else:
        path.write_bytes(content)
    result = run_cli("check", "--credential", str(path))
    assert result.returncode == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "internal error" not in result.stderr


def test_a_huge_pod_is_not_echoed_back(spec):
    with pytest.raises(ConfigError) as caught:
        load_credential({"name": "x", "api_key": "k", "pod": "x" * 1_000_000 + "!"}, spec)
    assert len(str(caught.value)) < 400


def test_a_tiny_pace_is_refused(spec, harness):
    with pytest.raises(ConfigError) as caught:
        load_credential(credential_dict(harness, requests_per_second=0.001), spec)
    assert "requests_per_second" in str(caught.value)


def test_a_slow_pace_shows_progress_while_waiting(harness, tmp_path):
    path = write_credential(tmp_path, credential_dict(harness, requests_per_second=0.5))
    result = run_cli("read", "--credential", path, "--resources", "teams,users")
    assert result.returncode == 0, result.stderr
    assert "for the rate limiter (0.5 requests a second)" in result.stderr
