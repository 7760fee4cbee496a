"""The credential form's UI hints, mapped onto react-jsonschema-form's uiSchema.

The page renders `schemas/credential.schema.json` with @rjsf/core; this module says how each hint of the form
takes effect there, so the mapping is one readable table rather than logic in the browser:

| hint | uiSchema |
| --- | --- |
| `x-order` (else Nexla's `order`) | `ui:order` |
| `title`, `description` | rendered by the library as label and help text (Nexla's `display_name` only where no title) |
| `x-placeholder` | `ui:placeholder` |
| `x-hidden` | `ui:widget: hidden` (the value, e.g. a `const` or a default, is still submitted) |
| `secret`, `writeOnly`, Nexla's `secured` | `ui:widget: password`, `autocomplete: new-password` |
| `x-advanced` | `ui:classNames: field-advanced` (shown by the page's "advanced" switch) |
| Nexla's `allowed_values` | an `enum` already renders as a select; on a free-text field they join `examples`, |
| | which the library offers as suggestions (a datalist) |
| Nexla's `data_type: number` | the JSON type, `number`, already gives a number input |

A secret that is already saved is not required again: the page never receives it, and leaving the field blank
keeps the saved one."""

from __future__ import annotations

import copy
from typing import Any

NEXLA = "x-nexla"
ADVANCED_CLASS = "field-advanced"


def secret_fields(schema: dict) -> list[str]:
    """The fields whose value must never be shown or sent back to a page."""
    return [name for name, prop in schema.get("properties", {}).items() if is_secret(prop)]


def is_secret(prop: dict) -> bool:
    return bool(prop.get("secret") or prop.get("writeOnly") or prop.get(NEXLA, {}).get("secured"))


def form_schema(schema: dict, saved_secrets: list[str]) -> dict:
    """The schema the page renders: the credential form itself, with Nexla's allowed values offered as
    suggestions on free-text fields, and saved secrets no longer required."""
    rendered = copy.deepcopy(schema)
    for prop in rendered.get("properties", {}).values():
        allowed = prop.get(NEXLA, {}).get("allowed_values")
        if allowed and "enum" not in prop and "const" not in prop:
            examples = list(prop.get("examples", []))
            prop["examples"] = examples + [value for value in allowed if value not in examples]
    if saved_secrets and "required" in rendered:
        rendered["required"] = [name for name in rendered["required"] if name not in saved_secrets]
    return rendered


def ui_schema(schema: dict, saved_secrets: list[str]) -> dict[str, Any]:
    """The uiSchema that makes every hint of `schema` take effect in @rjsf/core."""
    properties = schema.get("properties", {})
    ui: dict[str, Any] = {"ui:order": [*sorted(properties, key=lambda name: _order(properties[name])), "*"]}
    for name, prop in properties.items():
        ui[name] = _field(prop, saved=name in saved_secrets)
    return ui


def _order(prop: dict) -> float:
    order = prop.get("x-order", prop.get(NEXLA, {}).get("order"))
    return float(order) if isinstance(order, int | float) else float("inf")


def _field(prop: dict, *, saved: bool) -> dict[str, Any]:
    nexla = prop.get(NEXLA, {})
    field: dict[str, Any] = {}
    if "title" not in prop and nexla.get("display_name"):
        field["ui:title"] = nexla["display_name"]
    if prop.get("x-placeholder"):
        field["ui:placeholder"] = prop["x-placeholder"]
    if prop.get("x-hidden"):
        field["ui:widget"] = "hidden"
        return field
    if is_secret(prop):
        field["ui:widget"] = "password"
        field["ui:autocomplete"] = "new-password"
        if saved:
            field["ui:placeholder"] = "saved (hidden); leave blank to keep it"
    if prop.get("x-advanced"):
        field["ui:classNames"] = ADVANCED_CLASS
    return field
