"""`check`: each outcome a user can meet, over real HTTP to harnesses on loopback."""

from __future__ import annotations

import json
import socket

from insightly_connector.commands.check import (
    NETWORK_FAILURE,
    VERIFIED,
    WRONG_KEY,
    WRONG_POD,
    check,
)
from insightly_connector.harness import Harness
from insightly_connector.spec.credential import load_credential

from .conftest import assert_no_secret, credential_dict, run_cli, write_credential

ACCESS_DISABLED = "api_access_disabled"  # connector.yaml: credential.check.answers["403"].status


def test_verified_with_identity_status_and_timestamp(spec):
    with Harness(rate_limit_per_second=None) as harness:  # the probe of every resource at 100 a second
        result = check(spec, load_credential(credential_dict(harness, requests_per_second=100), spec))
    assert result.status == VERIFIED and result.ok
    assert result.verified_status == "200 Ok" and result.verified_at.endswith("Z")
    assert result.user["USER_ID"] is not None
    assert result.to_dict()["nexla_status"] == "VERIFIED"
    assert {a.resource for a in result.access} >= {"contacts", "tickets", "instance"}
    assert all(a.access == "ok" for a in result.access)


def test_a_forbidden_or_missing_resource_is_a_warning_not_a_failure(spec):
    with Harness(plan="professional", rate_limit_per_second=None) as harness:
        result = check(spec, load_credential(credential_dict(harness, requests_per_second=100), spec))
    access = {a.resource: a.access for a in result.access}
    assert result.ok
    assert access["tickets"] == "forbidden" and access["products"] == "not_available"
    assert access["contacts"] == "ok"
    assert any(w.startswith("tickets: forbidden") for w in result.warnings)


def test_wrong_key_says_which_pods_were_tried(spec):
    with Harness(rate_limit_per_second=None) as na1, Harness(pod="eu1", rate_limit_per_second=None) as eu1:
        wrong = "ffffffff-0000-0000-0000-000000000000"
        credential = load_credential(credential_dict(na1, api_key=wrong), spec,
                                     pod_base_urls={"eu1": eu1.base_url})
        result = check(spec, credential)
    assert result.status == WRONG_KEY and not result.ok
    assert result.pods_tried == ["na1", "eu1"]
    assert result.verified_at is None and result.verified_status.startswith("401")
    assert_no_secret(wrong, json.dumps(result.to_dict()))


def test_key_valid_on_another_pod(spec):
    with Harness(rate_limit_per_second=None) as na1, Harness(pod="eu1", rate_limit_per_second=None) as eu1:
        credential = load_credential(credential_dict(na1, api_key=eu1.api_key), spec,
                                     pod_base_urls={"eu1": eu1.base_url})
        result = check(spec, credential)
    assert result.status == WRONG_POD
    assert "eu1" in result.message and result.pods_tried == ["na1", "eu1"]


def test_api_access_disabled(spec):
    disabled = "dddddddd-0000-0000-0000-000000000000"
    with Harness(rate_limit_per_second=None, disabled_keys=[disabled]) as harness:
        result = check(spec, load_credential(credential_dict(harness, api_key=disabled), spec))
    assert result.status == ACCESS_DISABLED


def test_network_failure(spec):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = {"name": "c", "api_key": "0a1b2c3d-1111", "base_url": f"http://127.0.0.1:{port}/v3.1"}
    result = check(spec, load_credential(data, spec), probe_resources=False)
    assert result.status == NETWORK_FAILURE and not result.ok


def test_cli_exit_codes_and_no_secret_on_failure(tmp_path):
    with Harness(rate_limit_per_second=None) as harness:
        good = run_cli("check", "--credential", write_credential(tmp_path, credential_dict(harness)), "--no-probe")
        wrong_key = "eeeeeeee-0000-0000-0000-000000000000"
        bad = run_cli("check", "--credential", write_credential(tmp_path, credential_dict(harness, api_key=wrong_key)),
                      "--format", "airbyte")
    assert good.returncode == 0 and json.loads(good.stdout)["status"] == VERIFIED
    assert bad.returncode == 1
    message = json.loads(bad.stdout)
    assert message["type"] == "CONNECTION_STATUS" and message["connectionStatus"]["status"] == "FAILED"
    assert_no_secret(wrong_key, bad.stdout, bad.stderr)
    assert_no_secret(harness.api_key, good.stdout, good.stderr)
