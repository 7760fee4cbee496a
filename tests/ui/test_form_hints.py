"""The mapping of the credential form's UI hints onto react-jsonschema-form's uiSchema (the browser tests see
them take effect; these pin each rule, including the fallbacks the bundled form does not use)."""

from __future__ import annotations

from insightly_connector.ui.form import ADVANCED_CLASS, form_schema, secret_fields, ui_schema


def test_the_bundled_form_maps_every_hint(spec):
    schema = spec.credential_form
    properties = schema["properties"]
    ui = ui_schema(schema, saved_secrets=[])
    assert ui["ui:order"] == [*sorted(properties, key=lambda n: properties[n]["x-order"]), "*"]
    for name, prop in properties.items():
        field = ui[name]
        if prop.get("x-hidden"):
            assert field["ui:widget"] == "hidden"
            continue
        assert field.get("ui:placeholder") == prop.get("x-placeholder")
        assert (field.get("ui:widget") == "password") == bool(prop.get("secret"))
        assert (field.get("ui:classNames") == ADVANCED_CLASS) == bool(prop.get("x-advanced"))
    assert secret_fields(schema) == [n for n, p in properties.items() if p.get("secret")]


def test_nexla_fields_stand_in_where_the_schema_says_nothing():
    schema = {"type": "object", "properties": {
        "token": {"type": "string", "x-nexla": {"display_name": "Token", "order": 1, "secured": True}},
        "region": {"type": "string", "examples": ["a"], "x-nexla": {"order": 0, "allowed_values": ["a", "b"]}},
        "tier": {"enum": ["x", "y"], "x-nexla": {"allowed_values": ["x", "y"]}},
    }}
    ui = ui_schema(schema, saved_secrets=[])
    assert ui["ui:order"] == ["region", "token", "tier", "*"]  # Nexla's order, then the unordered last
    assert ui["token"] == {"ui:title": "Token", "ui:widget": "password", "ui:autocomplete": "new-password"}
    rendered = form_schema(schema, saved_secrets=[])
    assert rendered["properties"]["region"]["examples"] == ["a", "b"]  # offered as suggestions
    assert "examples" not in rendered["properties"]["tier"]  # an enum is a select already
    assert schema["properties"]["region"]["examples"] == ["a"]  # the form itself is left as it is


def test_a_saved_secret_is_no_longer_required_and_says_so(spec):
    schema = spec.credential_form
    secret = secret_fields(schema)[0]
    assert secret in schema["required"]
    assert secret not in form_schema(schema, saved_secrets=[secret])["required"]
    assert "leave blank" in ui_schema(schema, saved_secrets=[secret])[secret]["ui:placeholder"]
