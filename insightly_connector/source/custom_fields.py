"""Live custom-field metadata: what the account's custom fields are called and what they hold.

The names and types differ per account, so they are fetched at run time from the resource's
`custom_fields_path`; how to read that metadata (field names, type names) is in `connector.yaml`."""

from __future__ import annotations

from dataclasses import dataclass

from insightly_connector.http.client import Client
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource


@dataclass(frozen=True)
class CustomField:
    name: str
    label: str
    type: str
    json_type: str
    options: tuple[str, ...] = ()
    editable: bool = True  # False: the API sets the value; writes drop it


def fetch_custom_fields(client: Client, spec: Spec, resource: Resource) -> list[CustomField]:
    """The account's custom fields for one resource (empty when the resource has none)."""
    meta = spec.custom_fields
    if not resource.custom_fields_path or meta is None:
        return []
    response = client.request("GET", resource.custom_fields_path)
    items = response.json() if response.content else []
    fields = []
    for item in items if isinstance(items, list) else []:
        name = item.get(meta.name_field)
        if not name:
            continue
        field_type = str(item.get(meta.type_field) or "")
        options = tuple(str(o.get(meta.option_value_field)) for o in item.get(meta.options_field or "") or []
                        if isinstance(o, dict))
        fields.append(CustomField(
            name=name, label=str(item.get(meta.label_field) or name), type=field_type,
            json_type=meta.types.get(field_type, meta.default_type), options=options,
            editable=not meta.editable_field or item.get(meta.editable_field) is not False))
    return fields


def extend_schema(schema: dict, fields: list[CustomField], spec: Spec) -> dict:
    """A copy of a record schema that documents the live custom fields and their value types."""
    meta = spec.custom_fields
    if not fields or meta is None:
        return schema
    extended = dict(schema)
    properties = dict(extended.get("properties", {}))
    value_schemas = [
        {"properties": {meta.name_field: {"const": f.name},
                        meta.value_field: {"type": [f.json_type, "null"], "title": f.label}}}
        for f in fields
    ]
    container = dict(properties.get(meta.record_field, {"type": ["array", "null"]}))
    items = dict(container.get("items", {"type": "object"}))
    items["anyOf"] = [*value_schemas, {"properties": {meta.name_field: {"type": "string"}}}]
    container["items"] = items
    properties[meta.record_field] = container
    extended["properties"] = properties
    extended["x-custom-fields"] = [
        {"name": f.name, "label": f.label, "type": f.type, "json_type": f.json_type, "options": list(f.options)}
        for f in fields
    ]
    return extended
