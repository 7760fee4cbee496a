"""The credential form: its fields and UI hints, what it accepts and refuses, and that its error
messages never repeat a secret."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft7Validator

from insightly_connector.errors import ConfigError
from insightly_connector.spec.documents import validate_against

KEY = "5e1c0b4a-7d4f-4a8e-9c1b-2f3a4b5c6d7e"


@pytest.fixture(scope="module")
def form(spec) -> dict:
    return spec.credential_form


def _valid(form, **fields) -> None:
    validate_against(form, {"name": "Sales", "api_key": KEY, **fields}, "credential")


def _error(form, credential) -> str:
    with pytest.raises(ConfigError) as caught:
        validate_against(form, credential, "credential")
    return str(caught.value)


def test_fields_come_in_order_with_ui_hints(form):
    Draft7Validator.check_schema(form)
    visible = [name for name, prop in sorted(form["properties"].items(), key=lambda item: item[1]["x-order"])
               if not prop.get("const")]
    assert visible == ["name", "description", "api_key", "password", "pod", "base_url", "plan", "requests_per_second",
                       "rate_limit_store"]
    for name in visible:
        prop = form["properties"][name]
        assert prop["title"] and prop["description"]
        assert prop["x-nexla"]["order"] == prop["x-order"]
    api_key = form["properties"]["api_key"]
    assert api_key["secret"] and api_key["airbyte_secret"] and api_key["writeOnly"]
    assert api_key["x-nexla"]["secured"] and "x-placeholder" in api_key
    password = form["properties"]["password"]
    assert password["secret"] and password["x-hidden"] and password["maxLength"] == 0
    assert form["properties"]["pod"]["default"] == "na1"
    assert form["properties"]["base_url"]["x-advanced"]


@pytest.mark.parametrize("pod", ["na1", "eu1", "au1", "https://api.eu1.insightly.com/v3.1",
                                 "https://api.au1.insightly.com/v3.1/", "https://api.na1.insightly.com",
                                 "HTTPS://API.EU1.INSIGHTLY.COM/V3.1", " eu1 "])
def test_a_pod_or_a_pasted_api_url_is_accepted(form, pod):
    _valid(form, pod=pod)


def test_the_minimal_credential_is_accepted_and_the_blank_password_too(form):
    _valid(form)
    _valid(form, password="", description="for the demo", base_url="http://127.0.0.1:8765/v3.1")


def test_the_yaml_url_pattern_reduces_accepted_urls_to_their_pod(spec, form):
    pattern = spec.credential["pods"]["url_pattern"]
    for url, pod in [("https://api.eu1.insightly.com/v3.1", "eu1"), ("https://api.au1.insightly.com/", "au1"),
                     ("https://api.na1.insightly.com", "na1")]:
        _valid(form, pod=url)
        assert re.match(pattern, url).group("pod") == pod
    assert spec.credential["pods"]["default"] == form["properties"]["pod"]["default"]


@pytest.mark.parametrize("pod", ["eu 1", "ftp://api.eu1.insightly.com", "https://evil.example.com/v3.1",
                                 "https://api.eu1.insightly.com.evil.io/v3.1", ""])
def test_other_pod_values_are_refused_naming_the_field(form, pod):
    message = _error(form, {"name": "Sales", "api_key": KEY, "pod": pod})
    assert message.startswith("credential: pod: "), message
    assert KEY not in message


def test_a_non_blank_password_is_refused_without_echoing_it(form):
    message = _error(form, {"name": "Sales", "api_key": KEY, "password": "hunter2-secret"})
    assert message == "credential: password: must be blank"


def test_a_missing_key_or_name_is_refused(form):
    assert _error(form, {"name": "Sales"}) == "credential: 'api_key' is a required property"
    assert _error(form, {"api_key": KEY}) == "credential: 'name' is a required property"


@pytest.mark.parametrize("credential", [
    {"name": "Sales", "api_key": KEY + " trailing"},
    {"name": "Sales", "api_key": KEY + ":"},
    {"name": "Sales", "api_key": 12345678},
    {"name": "Sales", "apikey": KEY},
    [KEY],
    {"name": "Sales", "api_key": KEY, "credentials_type": KEY},
])
def test_errors_never_repeat_the_key(form, credential):
    message = _error(form, credential)
    assert KEY not in message and "12345678" not in message
    assert message.startswith("credential: ")


def test_scalar_values_outside_secrets_are_shown_to_help(form):
    message = _error(form, {"name": "Sales", "api_key": KEY, "pod": "eu 1"})
    assert "'eu 1'" in message
