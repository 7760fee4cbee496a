"""Dates as typed destinations expect them: RFC 3339 UTC in the platform outputs, the API's own form back.

An API may spell its dates its own way (`2024-03-02 10:11:12`, declared in a record schema as
`x-format`). That is not RFC 3339, so declaring it `format: date-time` would fail strict validators,
and leaving it untyped makes warehouses store text. The Airbyte, Singer and dlt outputs therefore
carry these fields as `2024-03-02T10:11:12Z` with a `date-time` type, and a write converts them back
to the API's form. The plain jsonl output keeps the API's own spelling."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from insightly_connector.source.raw_records import RawRecords

_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
_SPACE_SEPARATED = "%Y-%m-%d %H:%M:%S"  # the common case, converted by slicing rather than strptime
_DATE_VALUE = re.compile(rb':"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)"')  # a value in that form, after its key
_DATE_TEXT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", re.ASCII)


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
        # `"FIELD":"2024-03-02 10:11:12"`: a quote inside a JSON string is always escaped, so these
        # bytes can only be a key and its value, at some depth (`serialised_to_rfc3339` checks which).
        self._keys = {name: orjson.dumps(name) + b":" for name, api_format in self.fields.items()
                      if api_format == _SPACE_SEPARATED}
        self._quoted_names = tuple(key[:-1] for key in self._keys.values())

    def serialised_to_rfc3339(self, serialised: bytes, records: RawRecords) -> bytes | None:
        """A page already serialised from `records`' raw bytes (each once, in an envelope that names
        none of the date fields), with every top-level date in RFC 3339, as `to_rfc3339` would give.

        None when the bytes cannot be converted exactly (a date field also nested in a record, an
        API format other than `%Y-%m-%d %H:%M:%S`, a value spelt otherwise): parse those records."""
        if not self._keys or len(self._keys) != len(self.fields):
            return None
        records.want(set(self.fields))
        expected = 0  # top-level dates to convert; each is one match below, so more matches are nested ones
        for name in self._keys:
            for value in records.column(name):
                if isinstance(value, str) and len(value) == 19 and value[10] == " ":
                    if not _DATE_TEXT.fullmatch(value):
                        return None  # `to_rfc3339` converts it by slicing; the scan below would not see it
                    expected += 1
        # Every value shaped like a date, then only those right after a declared field's name: one scan
        # for a literal start is several times faster than one for the alternatives of the names.
        parts = _DATE_VALUE.split(serialised)  # text, (date, time, text)*
        texts, dates, times = parts[0:-1:3], parts[1::3], parts[2::3]
        declared = [text.endswith(self._quoted_names) for text in texts]
        if sum(declared) != expected:
            return None
        values = [b':"' + date + (b"T" + time + b'Z"' if convert else b" " + time + b'"')
                  for convert, date, time in zip(declared, dates, times, strict=True)]
        out = [b""] * (2 * len(values) + 1)
        out[0:-1:2] = texts
        out[1::2] = values
        out[-1] = parts[-1]
        return b"".join(out)

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
    if api_format == _SPACE_SEPARATED and len(value) == 19 and value[10] == " ":
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
