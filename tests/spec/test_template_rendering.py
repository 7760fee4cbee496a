"""The two substitution syntaxes: `${param}` at build time, `{macro}` per request."""

from __future__ import annotations

import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.spec.templating import (
    TemplateValueError,
    build_placeholders,
    render_build,
    render_runtime,
    runtime_macros,
)


def test_build_placeholders_are_filled():
    assert render_build("https://api.${pod}.insightly.com/v3.1", {"pod": "eu1"}) == "https://api.eu1.insightly.com/v3.1"
    assert render_build("${path}/{record.${primary_key}}", {"path": "/Contacts", "primary_key": "CONTACT_ID"}) \
        == "/Contacts/{record.CONTACT_ID}"
    assert render_build("${flag}-${n}", {"flag": True, "n": 3}) == "true-3"


def test_a_blank_value_is_a_value_but_a_missing_one_is_an_error():
    assert render_build("${password}", {"password": ""}) == ""
    with pytest.raises(ConfigError, match=r"^Missing config api_key$"):
        render_build("${api_key}", {"pod": "na1"})
    with pytest.raises(ConfigError, match=r"^Missing config pod$"):
        render_build("${pod}", {"pod": None})


def test_runtime_macros_walk_nested_values_and_quote_path_segments():
    values = {"record": {"CONTACT_ID": 7, "NAME": "A/B c"}, "parent": {"collection": "Contacts", "id": 42}}
    assert render_runtime("/{parent.collection}/{parent.id}/Notes", values) == "/Contacts/42/Notes"
    assert render_runtime("/Contacts/{record.CONTACT_ID}", values) == "/Contacts/7"
    assert render_runtime("/X/{record.NAME}", values) == "/X/A%2FB%20c"
    assert render_runtime("{record.NAME}", values, quote_values=False) == "A/B c"
    assert render_runtime("/Contacts/{record.ID}", {"record": {"ID": "7/../../Users"}}) == \
        "/Contacts/7%2F..%2F..%2FUsers"
    assert render_runtime("{value}", {"value": False}) == "false"


@pytest.mark.parametrize(("values", "reason"), [
    ({"record": {}}, "no value"),
    ({"record": {"PROJECT_ID": None}}, "no value"),
    ({"record": {"PROJECT_ID": ""}}, "empty value"),
    ({"record": {"PROJECT_ID": [1, 2]}}, "not a single value"),
    ({}, "no value"),
])
def test_unusable_runtime_values_name_the_macro(values, reason):
    with pytest.raises(TemplateValueError) as caught:
        render_runtime("/Projects/{record.PROJECT_ID}/Milestones", values)
    assert str(caught.value) == f"{{record.PROJECT_ID}}: {reason}"
    assert caught.value.macro == "record.PROJECT_ID"


def test_the_two_syntaxes_do_not_touch_each_other():
    assert render_runtime("${pod}/{field}", {"field": "EMAIL"}) == "${pod}/EMAIL"
    assert build_placeholders("${path}/{record.${primary_key}}") == ["path", "primary_key"]
    assert runtime_macros("/{parent.collection}/{parent.id}/Notes?x=${y}") == ["parent.collection", "parent.id"]
