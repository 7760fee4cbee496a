"""The credential form is checked without jsonschema when the credential is valid, and `form_check` never
accepts what jsonschema refuses: on the shipped form the two agree on every credential generated here, and on
schemas of the keywords it implements (and others it leaves to jsonschema) its yes is always jsonschema's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from insightly_connector.spec.form_check import DRAFT7_KEYWORDS, surely_valid

KEY = "5e1c0b4a-7d4f-4a8e-9c1b-2f3a4b5c6d7e"
_ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                     max_size=3), max_leaves=6)
#: Per field: values the form accepts, and values of the right type it may refuse (any JSON value is tried too).
_FIELD_VALUES = {
    "name": (st.text(min_size=1, max_size=255), st.sampled_from(["", "n" * 256])),
    "description": (st.text(max_size=20), st.just("d" * 4001)),
    "api_key": (st.sampled_from([KEY, "x" * 255, "!~"]) | st.text(st.characters(min_codepoint=33, max_codepoint=126,
                                                                                exclude_characters=":"), min_size=1),
                st.sampled_from([" ", "a:b", "ключ", "x" * 256, "", "a\nb"]) | st.text(max_size=6)),
    "password": (st.just(""), st.sampled_from([" ", "secret"])),
    "pod": (st.sampled_from(["na1", " eu1 ", "https://api.eu1.insightly.com/v3.1", "HTTPS://API.AU1.INSIGHTLY.COM/",
                             "x9"]),
            st.sampled_from(["eu-1", "ftp://api.eu1.insightly.com", "", "https://api.eu1.insightly.com/v2"])
            | st.text(max_size=6)),
    "base_url": (st.sampled_from(["http://127.0.0.1:8765/v3.1", "https://x", "http://h/p"]),
                 st.sampled_from(["http:// spaced", "127.0.0.1:1", "http://h/p?q"]) | st.text(max_size=6)),
    "plan": (st.sampled_from(["free", "legacy", "plus", "professional", "enterprise"]),
             st.sampled_from(["Free", "gold", ""])),
    "requests_per_second": (st.integers(1, 100) | st.floats(0.1, 100) | st.just(float("nan")),
                            st.integers(-5, 0) | st.floats(min_value=100.0001) | st.just(float("-inf"))
                            | st.sampled_from([0.09, 101, 150, "10", True])),
    "rate_limit_store": (st.sampled_from(["redis://127.0.0.1:6379/0", "rediss://h", "redis://h/"]),
                         st.sampled_from(["redis://h/x", "http://h", "redis://"])),
    "credentials_type": (st.just("insightly_api"), st.sampled_from(["other", 1])),
    "auth_mode": (st.just("insightly_api.basic"), st.sampled_from(["basic", None])),
}


@st.composite
def credentials(draw) -> dict:
    """A valid credential with none, one or two of its fields spoiled (a refused value, a value of any JSON
    type, a required field left out, or a field the form does not have)."""
    fields = {name: draw(valid) for name, (valid, _) in _FIELD_VALUES.items()
              if name in ("name", "api_key") or draw(st.booleans())}
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        name = draw(st.sampled_from(sorted(_FIELD_VALUES)))
        way = draw(st.sampled_from(["refused", "any", "left out", "unknown field"]))
        if way == "refused":
            fields[name] = draw(_FIELD_VALUES[name][1])
        elif way == "any":
            fields[name] = draw(_ANY_JSON)
        elif way == "left out":
            fields.pop(name, None)
        else:
            fields[draw(st.text(min_size=1, max_size=6))] = draw(_ANY_JSON)
    return fields


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(credential=credentials())
def test_on_the_shipped_form_the_check_agrees_with_jsonschema(spec, credential):
    form = spec.credential_form
    assert surely_valid(form, credential) == Draft7Validator(form).is_valid(credential)


_SUBSCHEMAS = st.recursive(
    st.booleans().map(lambda allowed: allowed)
    | st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(["string", "number", "integer", "boolean", "null", "object", "array", "strange"])
        | st.lists(st.sampled_from(["string", "integer", "null"]), min_size=1, max_size=2),
        "enum": st.lists(st.sampled_from([1, 1.0, True, False, 0, "a", None, [1], {"a": 1}]), min_size=1, max_size=3),
        "const": st.sampled_from([1, 1.0, True, "a", None, [1]]),
        "minLength": st.integers(0, 3) | st.just(1.0), "maxLength": st.integers(0, 3),
        "pattern": st.sampled_from(["^a", "b$", "[", "^\\s*a+\\s*$"]),
        "minimum": st.integers(-1, 1) | st.floats(-1, 1) | st.just("0"), "maximum": st.integers(-1, 1),
        "format": st.just("email"), "multipleOf": st.just(2), "title": st.text(max_size=3),
    }),
    lambda inner: st.fixed_dictionaries({}, optional={
        "type": st.just("object"), "properties": st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
        "required": st.lists(st.sampled_from("abcd"), max_size=2, unique=True),
        "additionalProperties": inner, "patternProperties": st.just({"^d": {"type": "string"}}),
    }), max_leaves=6)
_INSTANCES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["", "a", "ab", " aa ", "b", "abcd", 1.0]),
    lambda inner: st.dictionaries(st.sampled_from("abcd"), inner, max_size=4) | st.lists(inner, max_size=2),
    max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=_SUBSCHEMAS, instance=_INSTANCES)
def test_a_yes_is_always_jsonschemas_yes(schema, instance):
    if surely_valid(schema, instance):
        assert Draft7Validator(schema).is_valid(instance)


@pytest.mark.parametrize(("schema", "instance", "valid"), [
    ({"enum": [1]}, True, False), ({"enum": [True]}, 1, False), ({"const": 0}, False, False),
    ({"const": "a"}, "a", True), ({"enum": ["a", None]}, None, True), ({"maximum": 1}, 2, False),
    ({"maximum": 1}, 1, True), ({"minimum": 1}, 0.5, False), ({"minimum": 1}, float("nan"), True),
    ({"minimum": 1}, "0", True), ({"type": "number"}, True, False), ({"type": "integer"}, False, False),
    ({"type": ["string", "null"]}, None, True), ({"minLength": 1}, 5, True), ({"maxLength": 1}, "\U0001F600", True),
    ({"maxLength": 1}, "ab", False), ({"pattern": "a"}, "ba", True), ({"pattern": "^a"}, "ba", False),
    ({"required": ["a"]}, [], True), ({"required": ["a"]}, {}, False), ({"additionalProperties": False}, "x", True),
    ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"a": "x", "b": 1}, False),
    ({"properties": {"a": False}}, {"a": 1}, False), ({"properties": {"a": False}}, {"b": 1}, True),
])
def test_edge_cases_are_judged_as_jsonschema_judges_them(schema, instance, valid):
    assert Draft7Validator(schema).is_valid(instance) == valid
    assert surely_valid(schema, instance) == valid


def test_the_keywords_it_knows_to_leave_alone_are_draft_07s():
    assert set(DRAFT7_KEYWORDS) == set(Draft7Validator.VALIDATORS)


def test_a_schema_it_does_not_implement_is_left_to_jsonschema():
    assert not surely_valid({"type": "string", "format": "email"}, "a@b")
    assert not surely_valid({"properties": {"a": {"$ref": "#/definitions/x"}}}, {"a": 1})
    assert not surely_valid({"type": "integer"}, 1.0)  # valid, but judged by jsonschema
    assert surely_valid({"properties": {"a": {"$ref": "#"}}}, {"b": 1})  # the $ref is never reached


def test_a_valid_credential_is_checked_without_importing_jsonschema_and_an_invalid_one_explains(tmp_path):
    """In a fresh process (the validation cache already warm from loading the spec once)."""
    probe = ("import sys; from insightly_connector.errors import ConfigError; "
             "from insightly_connector.spec.loader import load_spec; "
             "from insightly_connector.spec.credential import load_credential; spec = load_spec(); "
             "print('jsonschema' in sys.modules); "
             f"load_credential({{'name': 'n', 'api_key': {KEY!r}, 'pod': 'eu1'}}, spec); "
             "print('jsonschema' in sys.modules)\n"
             "try: load_credential({'name': 'n', 'api_key': 'a:b'}, spec)\n"
             "except ConfigError as exc: print(exc)")
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    for _ in range(2):  # the first run fills the cache
        run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True,
                             env=environment)
    lines = run.stdout.splitlines()
    assert lines[:2] == ["False", "False"]
    assert lines[2] == "credential: api_key: does not have the expected format"
