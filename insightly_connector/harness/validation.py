"""Checks a write body against the collection's Swagger shape, as the API's "Data validation error." does:
types, maxLength, required fields, nested collections and custom-field names and types."""

from __future__ import annotations

from insightly_connector.harness import custom_fields as cf
from insightly_connector.harness.datetimes import parse_record_date
from insightly_connector.harness.table import CollectionSpec, FieldSpec

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# Set by the server whatever the body says (not all are flagged readOnly in the Swagger file).
SERVER_MANAGED = ("DATE_CREATED_UTC", "DATE_UPDATED_UTC", "CREATED_USER_ID")


class Invalid(ValueError):
    """A write the API would refuse with 400 "Data validation error."."""


def writable_fields(spec: CollectionSpec, body: dict, definitions: dict[str, tuple[FieldSpec, ...]],
                    custom: tuple[cf.CustomField, ...], *, trusted: bool = False, creating: bool = False) -> dict:
    """The body's fields the server keeps, type-checked. Unknown fields are ignored, as are read-only and
    server-managed ones (unless `trusted`: the control API may set dates and creators). A create keeps
    the read-only fields the Swagger requires in every record (a line item's PRICEBOOK_ENTRY_ID): only
    a create can set them."""
    if not isinstance(body, dict):
        raise Invalid("the request body must be a JSON object")
    fields = spec.field_map
    result = {}
    for name, value in body.items():
        field = fields.get(name)
        if field is None or name == spec.primary_key:
            continue
        set_once = creating and name in spec.schema_required and name not in SERVER_MANAGED
        if (field.read_only or name in SERVER_MANAGED) and not (trusted or set_once):
            continue
        problem = value_error(field, value, definitions, custom)
        if problem:
            raise Invalid(f"{name}: {problem}")
        result[name] = value
    return result


def missing_required(spec: CollectionSpec, record: dict) -> list[str]:
    return [name for name in spec.required if record.get(name) in (None, "")]


def value_error(field: FieldSpec, value, definitions: dict, custom: tuple[cf.CustomField, ...]) -> str | None:
    """Why `value` does not fit `field`, or None. Null fits every field (it clears it)."""
    if value is None:
        return None
    kind = field.type
    if kind == "string":
        if not isinstance(value, str):
            return "expected a string"
        if field.is_datetime and parse_record_date(value) is None:
            return "expected a date as 'YYYY-MM-DD HH:MM:SS'"
        if field.max_length and len(value) > field.max_length:
            return f"longer than {field.max_length} characters"
        return None
    if kind == "integer":
        low, high = INT32 if field.format == "int32" else INT64
        if not isinstance(value, int) or isinstance(value, bool):
            return "expected an integer"
        return None if low <= value <= high else f"out of range for {field.format}"
    if kind == "number":
        return None if isinstance(value, int | float) and not isinstance(value, bool) else "expected a number"
    if kind == "boolean":
        return None if isinstance(value, bool) else "expected true or false"
    if kind == "array":
        return _array_error(field, value, definitions, custom)
    return None if isinstance(value, dict) else "expected an object"


def _array_error(field: FieldSpec, value, definitions: dict, custom: tuple[cf.CustomField, ...]) -> str | None:
    if not isinstance(value, list):
        return "expected an array"
    known = {f.name: f for f in custom}
    item_fields = {f.name: f for f in definitions.get(field.items, ())}
    for item in value:
        if not isinstance(item, dict):
            return "expected an array of objects"
        if field.name == "CUSTOMFIELDS":
            name = item.get("FIELD_NAME")
            if name not in known:
                return f"unknown custom field {name!r}"
            problem = cf.value_error(known[name], item.get("FIELD_VALUE"))
            if problem:
                return problem
            continue
        for key, item_value in item.items():
            if key in item_fields:
                problem = value_error(item_fields[key], item_value, definitions, custom)
                if problem:
                    return f"{key}: {problem}"
        if field.name == "TAGS" and not isinstance(item.get("TAG_NAME"), str):
            return "TAG_NAME is required"
    return None
