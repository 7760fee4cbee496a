"""Records shaped for a typed destination (dlt): dates as timestamps, each custom field its own column.

Custom-field values arrive as a list of name/value pairs whose values differ in type per field (a
date, a number, a flag). Loaded as they come, a warehouse types the list's value column from the
first value it sees and then fails on the next field ("Cannot coerce type text to timestamp"). So
every live custom field becomes a column `<record_field>__<name>` typed from the account's own
custom-field metadata, and the original list is kept whole in one JSON column. Scalar fields are
typed from the record schema, so a column that is empty in one load still exists with its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from insightly_connector.protocols.typed_dates import DateConverter, rfc3339_from

if TYPE_CHECKING:
    from insightly_connector.source.custom_fields import CustomField
    from insightly_connector.spec.model import CustomFieldMeta

#: A JSON Schema type -> the destination's column type (dlt's data types).
DATA_TYPES = {"string": "text", "number": "double", "integer": "bigint", "boolean": "bool", "object": "json",
              "array": "json"}
TIMESTAMP = {"data_type": "timestamp", "timezone": True}


class TypedColumns:
    """Column hints and the per-record conversion for one resource and its live custom fields."""

    def __init__(self, schema: Mapping[str, Any], custom_fields: list[CustomField], meta: CustomFieldMeta | None):
        self.dates = DateConverter.for_schema(schema)
        self.meta = meta if custom_fields else None
        self.custom: dict[str, tuple[str, str | None]] = {}  # field name -> (column, its date format or None)
        self.columns: dict[str, dict] = {**scalar_columns(schema),
                                         **{name: dict(TIMESTAMP) for name in self.dates.fields}}
        if self.meta is None:
            return
        self.columns[self.meta.record_field] = {"data_type": "json"}
        for field in custom_fields:
            column = f"{self.meta.record_field}__{field.name}"
            date_format = self.meta.formats.get(field.type)
            self.custom[field.name] = (column, date_format)
            self.columns[column] = dict(TIMESTAMP) if date_format else {
                "data_type": DATA_TYPES.get(field.json_type, "text")}

    def shape(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record with RFC 3339 dates and one column per known custom field (None when unset)."""
        out = self.dates.to_rfc3339(record)
        if self.meta is None:
            return out
        values = {column: None for column, _ in self.custom.values()}
        for item in record.get(self.meta.record_field) or ():
            if not isinstance(item, Mapping) or item.get(self.meta.name_field) not in self.custom:
                continue
            column, date_format = self.custom[item[self.meta.name_field]]
            value = item.get(self.meta.value_field)
            values[column] = rfc3339_from(value, date_format) if date_format and isinstance(value, str) else value
        out.update(values)
        return out


def scalar_columns(schema: Mapping[str, Any]) -> dict[str, dict]:
    """Column hints for the top-level fields the record schema types as one scalar type (nulls aside);
    lists and objects are left to the destination (dlt makes child tables of them)."""
    columns = {}
    for name, prop in (schema.get("properties") or {}).items():
        declared = prop.get("type") if isinstance(prop, Mapping) else None
        types = {declared} if isinstance(declared, str) else set(declared or ()) - {"null"}
        if len(types) == 1 and (kind := types.pop()) in DATA_TYPES and DATA_TYPES[kind] != "json":
            columns[name] = {"data_type": DATA_TYPES[kind], "nullable": True}
    return columns
