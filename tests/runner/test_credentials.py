"""The credential: form validation, pod normalisation, and where the key may be sent."""

from __future__ import annotations

import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.harness import Harness
from insightly_connector.spec.credential import load_credential

from .conftest import assert_no_secret, run_cli, write_credential

KEY = "0a1b2c3d-1111-2222-3333-444455556666"


def test_pod_defaults_to_na1_and_pins_the_https_host(spec):
    credential = load_credential({"name": "c", "api_key": KEY}, spec)
    assert credential.pod == "na1"
    assert credential.base_url == "https://api.na1.insightly.com/v3.1"


@pytest.mark.parametrize("pasted", ["https://api.eu1.insightly.com/v3.1", "https://API.EU1.insightly.com/v3.1/",
                                    "https://api.eu1.insightly.com"])
def test_a_pasted_api_url_is_normalised_to_its_pod(spec, pasted):
    credential = load_credential({"name": "c", "api_key": KEY, "pod": pasted}, spec)
    assert credential.pod == "eu1"
    assert credential.base_url == "https://api.eu1.insightly.com/v3.1"


@pytest.mark.parametrize("base_url", ["https://evil.example.com/v3.1", "http://10.0.0.5:8080/v3.1",
                                      "http://api.na1.insightly.com.evil.com/v3.1"])
def test_a_non_loopback_override_is_refused_before_any_request(spec, base_url):
    with Harness(rate_limit_per_second=None) as harness:
        with pytest.raises(ConfigError) as caught:
            load_credential({"name": "c", "api_key": harness.api_key, "base_url": base_url}, spec)
        assert "loopback" in str(caught.value)
        assert harness.requests() == []


def test_the_key_is_never_in_repr_or_errors(spec):
    credential = load_credential({"name": "c", "api_key": KEY}, spec)
    assert_no_secret(KEY, repr(credential), str(credential.non_secure_data))
    with pytest.raises(ConfigError) as caught:
        load_credential({"name": "c", "api_key": KEY, "password": "not blank"}, spec)
    assert "password" in str(caught.value)
    assert_no_secret(KEY, str(caught.value))


@pytest.mark.parametrize(("data", "field"), [
    ({"api_key": KEY}, "name"),
    ({"name": "c"}, "api_key"),
    ({"name": "c", "api_key": KEY, "password": "x"}, "password"),
    ({"name": "c", "api_key": KEY, "pod": "https://example.com/v3.1"}, "pod"),
])
def test_bad_credentials_are_one_line_naming_the_field(tmp_path, data, field):
    result = run_cli("check", "--credential", write_credential(tmp_path, data))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in result.stderr
    assert_no_secret(KEY, result.stdout, result.stderr)


def test_unreadable_credential_file_is_a_usage_error(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "c", "api_key": ')
    for path in (str(broken), str(tmp_path / "missing.json")):
        result = run_cli("check", "--credential", path)
        assert result.returncode == 2
        assert "credential file" in result.stderr and "Traceback" not in result.stderr


def test_the_pace_comes_from_the_credential_then_its_plan_then_the_spec(spec):
    from insightly_connector.http.client import requests_per_second

    default = load_credential({"name": "c", "api_key": KEY}, spec)
    assert requests_per_second(spec, default) == spec.http.rate_limit.requests_per_second
    planned = load_credential({"name": "c", "api_key": KEY, "plan": "free"}, spec)
    assert requests_per_second(spec, planned) == spec.http.rate_limit.plans["free"]
    own = load_credential({"name": "c", "api_key": KEY, "plan": "free", "requests_per_second": 2.5}, spec)
    assert requests_per_second(spec, own) == 2.5
    assert own.non_secure_data["requests_per_second"] == 2.5
    with pytest.raises(ConfigError) as caught:
        load_credential({"name": "c", "api_key": KEY, "plan": "gold"}, spec)
    assert "plan" in str(caught.value)
