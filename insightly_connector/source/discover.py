"""The `discover` verb: every resource with its record schema and what the connector can do with it.

Static schemas come from `schemas/`; custom fields and custom objects are found live, so the catalog
always matches the account as it is now (schema drift is picked up on every discover)."""

from __future__ import annotations

from dataclasses import dataclass, field

from insightly_connector.errors import AccessDenied
from insightly_connector.http.client import Client, requests_per_second
from insightly_connector.source.catalog import select
from insightly_connector.source.children import count_parents, estimate, lineage
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
    key_fields: list[str] = field(default_factory=list)  # the primary key, after the parent's key when read under one
    cost: dict | None = None  # a child stream's estimated requests per full read (one per parent)
    upsert_key: str | None = None  # the field an upsert matches on when `write` is given none
    sub_writes: list[str] = field(default_factory=list)  # writes under a record `write --mode` also takes

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Catalog:
    entries: list[CatalogEntry]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"resources": [e.to_dict() for e in self.entries], "warnings": self.warnings}


def discover(client: Client, spec: Spec, names: list[str] | None = None) -> Catalog:
    """Every resource (opt-in child streams included, each with its estimated cost)."""
    selection = select(client, spec, names, with_opt_in=True)
    warnings = list(selection.warnings)
    entries = []
    parent_counts: dict[str, int | None] = {}
    for resource in selection.resources:
        schema = resource.schema
        try:
            schema = extend_schema(schema, fetch_custom_fields(client, spec, resource), spec)
        except AccessDenied as exc:
            warnings.append(f"{resource.name}: custom fields not readable ({exc.category})")
        entry = _entry(resource, schema, _cost(client, spec, resource, parent_counts, warnings))
        declared = resource.child or resource.flatten
        if declared is not None:  # read incrementally in its parent's window, when the parent has one
            top = lineage(spec, resource)[0] if resource.child else spec.parent_of(resource)
            entry.capabilities["incremental"] = top.cursor is not None
        entries.append(entry)
    return Catalog(entries, warnings)


def _cost(client: Client, spec: Spec, resource: Resource, counts: dict[str, int | None],
          warnings: list[str]) -> dict | None:
    """A child stream's estimated requests for a full read: one per parent (counted live, once per parent);
    under parents read per record, one per top-level parent and then one per record under each (a floor)."""
    if resource.child is None:
        return None
    chain = lineage(spec, resource)
    parent = chain[0]
    if parent.name not in counts:
        try:
            counts[parent.name] = count_parents(client, parent)
        except AccessDenied as exc:
            counts[parent.name] = None
            warnings.append(f"{parent.name}: not readable ({exc.category}), so neither are its child streams")
    parents = counts[parent.name]
    if parents is None:
        return {"per": "parent", "parent": parent.name, "parents": None, "requests": None}
    found = estimate(parents, parent, requests_per_second(spec, client.credential), len(chain))
    return {"per": "parent", "parent": parent.name, "parents": parents, "requests": found.requests,
            **({"requests_are_a_floor": True, "levels": len(chain)} if len(chain) > 1 else {}),
            "text": found.describe()}


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


def _entry(resource: Resource, schema: dict, cost: dict | None = None) -> CatalogEntry:
    cursor = resource.cursor.cursor_field if resource.cursor else None
    return CatalogEntry(name=resource.name, display_name=resource.display_name, endpoint=resource.endpoint,
                        path=resource.path, primary_key=resource.primary_key, cursor_field=cursor,
                        capabilities=capabilities(resource), schema=schema, key_fields=list(resource.key_fields),
                        cost=cost, upsert_key=resource.upsert_key, sub_writes=list(resource.sub_writes))
