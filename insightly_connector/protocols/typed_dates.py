"""Dates as typed destinations expect them: RFC 3339 UTC in the platform outputs, the API's own form back.

An API may spell its dates its own way (`2024-03-02 10:11:12`, declared in a record schema as
`x-format`). That is not RFC 3339, so declaring it `format: date-time` would fail strict validators,
and leaving it untyped makes warehouses store text. The Airbyte, Singer and dlt outputs therefore
carry these fields as `2024-03-02T10:11:12Z` with a `date-time` type, and a write converts them back
to the API's form. The plain jsonl output keeps the API's own spelling."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
SPACE_SEPARATED = "%Y-%m-%d %H:%M:%S"  # the common case, converted by slicing rather than strptime


def date_fields(schema: Mapping[str, Any]) -> dict[str, str]:
    """The top-level fields a record schema declares as dates in an API format: name -> format."""
    properties = schema.get("properties") or {}
    return {name: prop["x-format"] for name, prop in properties.items()
            if isinstance(prop, Mapping) and isinstance(prop.get("x-format"), str)}


def typed_schema(schema: Mapping[str, Any], *, airbyte: bool = False) -> dict[str, Any]:
    """A copy of the schema whose API-format dates are declared `format: date-time` (RFC 3339).

    `airbyte` adds `airbyte_type: timestamp_with_timezone`, Airbyte's marker for such columns."""
    typed = copy.deepcopy(dict(schema))
    for name in date_fields(schema):
        prop = typed["properties"][name]
        prop.pop("pattern", None)
        prop.pop("x-format", None)
        prop.pop("maxLength", None)
        prop["format"] = "date-time"
        if airbyte:
            prop["airbyte_type"] = "timestamp_with_timezone"
    return typed


class DateConverter:
    """Converts one resource's date fields between the API's format and RFC 3339 UTC."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)

    @classmethod
    def for_schema(cls, schema: Mapping[str, Any]) -> DateConverter:
        return cls(date_fields(schema))

    def to_rfc3339(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record with its date fields in RFC 3339; values that don't parse pass unchanged."""
        return self._convert(record, rfc3339_from)

    def to_api(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record with RFC 3339 date fields back in the API's format (other spellings unchanged)."""
        return self._convert(record, api_from)

    def _convert(self, record: Mapping[str, Any], convert: Callable[[str, str], str]) -> dict[str, Any]:
        out = dict(record)
        for name, api_format in self.fields.items():
            value = out.get(name)
            if isinstance(value, str):
                out[name] = convert(value, api_format)
        return out


def rfc3339_from(value: str, api_format: str) -> str:
    """`2024-03-02 10:11:12` -> `2024-03-02T10:11:12Z` (UTC); a value that doesn't parse is returned as is."""
    if api_format == SPACE_SEPARATED and len(value) == 19 and value[10] == " ":
        return f"{value[:10]}T{value[11:]}Z"
    try:
        parsed = datetime.strptime(value, api_format)
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.strftime(_RFC3339)


def api_from(value: str, api_format: str) -> str:
    """An RFC 3339 timestamp (any offset) -> the API's UTC format; anything else is returned as is."""
    if "T" not in value:
        return value
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed.strftime(api_format)
