"""Errors a newcomer meets first, each saying what is wrong and what to do: a base URL that finds
nothing, a port nobody listens on, an unknown pod, a resource not on the plan; and credentials from
the environment and stdin. Over real HTTP to harnesses on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from insightly_connector.commands.check import NETWORK_FAILURE, NOT_FOUND, VERIFIED, check
from insightly_connector.errors import ConfigError
from insightly_connector.harness import Harness
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.credential_sources import credential_from_environment, environment_names

from .conftest import CLI_TIMEOUT_SECONDS, assert_no_secret, credential_dict


def test_a_base_url_without_the_version_path_says_what_was_not_found_and_what_it_should_be(spec):
    with Harness(rate_limit_per_second=None) as harness:
        root = harness.base_url.rsplit("/", 1)[0]  # http://127.0.0.1:PORT, without /v3.1
        result = check(spec, load_credential(credential_dict(harness, base_url=root), spec), probe_resources=False)
    assert result.status == NOT_FOUND and not result.ok
    assert f"{root}/Users/Me" in result.message and "HTTP 404" in result.message
    assert "https://api.na1.insightly.com/v3.1" in result.message
    assert "could not reach" not in result.message


def test_a_connection_failure_names_the_host_and_port(spec):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = {"name": "c", "api_key": "0a1b2c3d-1111", "base_url": f"http://127.0.0.1:{port}/v3.1"}
    result = check(spec, load_credential(data, spec), probe_resources=False)
    assert result.status == NETWORK_FAILURE
    assert f"could not connect to 127.0.0.1:{port}" in result.message


def test_an_unknown_pod_is_refused_naming_the_known_ones(spec):
    with pytest.raises(ConfigError) as caught:
        load_credential({"name": "c", "api_key": "0a1b2c3d-1111", "pod": "eu"}, spec)
    assert "unknown pod 'eu'; known: na1, eu1, au1" in str(caught.value)
    assert "--" not in str(caught.value)  # the Python API raises it too: no command-line flag in it


def test_a_new_pod_can_be_allowed_explicitly_and_still_goes_only_to_an_allowed_host(spec):
    credential = load_credential({"name": "c", "api_key": "0a1b2c3d-1111", "pod": "eu2"}, spec, extra_pods=["eu2"])
    assert credential.base_url == "https://api.eu2.insightly.com/v3.1"


def test_a_resource_not_on_the_plan_is_said_in_the_connectors_words(spec):
    with Harness(plan="professional", rate_limit_per_second=None, contacts=3) as harness:
        fast = credential_dict(harness, requests_per_second=100)  # the probe's 68 requests in under a second
        result = check(spec, load_credential(fast, spec))
    access = {a.resource: a for a in result.access}
    assert access["products"].access == "not_available"
    assert access["products"].message == "not on this account's plan"
    assert "No HTTP resource" in access["products"].detail  # the API's own words stay in the JSON result
    assert access["tickets"].access == "forbidden" and "administrator" in access["tickets"].message
    assert not any("No HTTP resource" in warning for warning in result.warnings)


def test_environment_variable_names_come_from_the_spec(spec):
    names = environment_names(spec)
    assert names["api_key"] == "INSIGHTLY_API_KEY" and names["pod"] == "INSIGHTLY_POD"
    data = credential_from_environment(spec, {"INSIGHTLY_API_KEY": "k" * 8, "INSIGHTLY_REQUESTS_PER_SECOND": "2.5"})
    assert data == {"api_key": "k" * 8, "requests_per_second": 2.5, "name": "environment"}
    with pytest.raises(ConfigError) as caught:
        credential_from_environment(spec, {})
    assert "INSIGHTLY_API_KEY" in str(caught.value)


def test_the_cli_takes_the_credential_from_the_environment_or_stdin(tmp_path):
    with Harness(rate_limit_per_second=None, contacts=3) as harness:
        env = {**os.environ, "INSIGHTLY_API_KEY": harness.api_key, "INSIGHTLY_BASE_URL": harness.base_url}
        from_env = _cli(["check", "--no-probe"], env=env)
        from_stdin = _cli(["check", "--no-probe", "--credential", "-"], stdin=json.dumps(credential_dict(harness)))
        key = harness.api_key
    assert from_env.returncode == 0, from_env.stderr
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert json.loads(from_env.stdout)["status"] == VERIFIED == json.loads(from_stdin.stdout)["status"]
    assert_no_secret(key, from_env.stdout, from_env.stderr, from_stdin.stdout, from_stdin.stderr)
    clean = {name: value for name, value in os.environ.items() if not name.startswith("INSIGHTLY_")}
    nothing = _cli(["check"], env=clean)
    assert nothing.returncode == 2 and "INSIGHTLY_API_KEY" in nothing.stderr


def _cli(args: list[str], *, env: dict | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "insightly_connector", *args], capture_output=True, text=True,
                          input=stdin, env=env, timeout=CLI_TIMEOUT_SECONDS, check=False)


def test_the_credential_and_the_records_cannot_both_come_from_stdin():
    done = _cli(["write", "--credential", "-", "--resource", "contacts", "--mode", "create"], stdin="{}")
    assert done.returncode == 2 and "--credential -" in done.stderr and "--input" in done.stderr


def test_a_read_says_a_skipped_resource_in_the_connectors_words(tmp_path):
    with Harness(plan="professional", rate_limit_per_second=None, contacts=3) as harness:
        path = tmp_path / "credential.json"
        path.write_text(json.dumps(credential_dict(harness)))
        done = _cli(["read", "--credential", str(path), "--resources", "products,pipelines", "--output",
                     str(tmp_path / "out"), "--quiet"])
    assert done.returncode == 0, done.stderr
    assert "warning: products: skipped: not on this account's plan (GET /Product: HTTP 404)" in done.stderr
    assert "No HTTP resource" not in done.stderr


@pytest.mark.parametrize("verb", ["discover", "read"])
def test_a_refused_key_says_what_it_usually_means(tmp_path, verb):
    """Not only the API's 'Authentication failed.': what a 401 means here (a wrong key, or API access
    disabled), and where to find out which."""
    with Harness(rate_limit_per_second=None, contacts=3) as harness:
        path = tmp_path / "credential.json"
        path.write_text(json.dumps(credential_dict(harness, api_key="0" * 36)))
        extra = ["--resources", "contacts", "--output", str(tmp_path / "out")] if verb == "read" else []
        done = _cli([verb, "--credential", str(path), *extra])
    assert done.returncode == 1, done.stderr
    assert "HTTP 401" in done.stderr and "wrong key, or API access disabled" in done.stderr
    assert "checking the credential tells which" in done.stderr
