"""The `discover` verb: every resource with its record schema and what the connector can do with it.

Static schemas come from `schemas/`; custom fields and custom objects are found live, so the catalog
always matches the account as it is now (schema drift is picked up on every discover)."""

from __future__ import annotations

from dataclasses import dataclass, field

from insightly_connector.errors import AccessDenied
from insightly_connector.http.client import Client
from insightly_connector.source.catalog import select
from insightly_connector.source.custom_fields import extend_schema, fetch_custom_fields
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource


@dataclass
class CatalogEntry:
    name: str
    display_name: str
    endpoint: str
    path: str
    primary_key: str | None
    cursor_field: str | None
    capabilities: dict[str, bool]
    schema: dict

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Catalog:
    entries: list[CatalogEntry]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"resources": [e.to_dict() for e in self.entries], "warnings": self.warnings}


def discover(client: Client, spec: Spec, names: list[str] | None = None) -> Catalog:
    selection = select(client, spec, names)
    warnings = list(selection.warnings)
    entries = []
    for resource in selection.resources:
        schema = resource.schema
        try:
            schema = extend_schema(schema, fetch_custom_fields(client, spec, resource), spec)
        except AccessDenied as exc:
            warnings.append(f"{resource.name}: custom fields not readable ({exc.category})")
        entries.append(_entry(resource, schema))
    return Catalog(entries, warnings)


def capabilities(resource: Resource) -> dict[str, bool]:
    modes = set(resource.write_modes)
    return {
        "read": True,
        "incremental": resource.cursor is not None,
        "create": "create" in modes,
        "update": "update" in modes,
        "upsert": "upsert" in modes,
        "delete": "delete" in modes,
    }


def _entry(resource: Resource, schema: dict) -> CatalogEntry:
    cursor = resource.cursor.cursor_field if resource.cursor else None
    return CatalogEntry(name=resource.name, display_name=resource.display_name, endpoint=resource.endpoint,
                        path=resource.path, primary_key=resource.primary_key, cursor_field=cursor,
                        capabilities=capabilities(resource), schema=schema)
