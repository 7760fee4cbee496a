"""The resource table (derived from the Swagger file) as typed objects the rest of the harness uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property

from insightly_connector.harness.derive_table import CUSTOM_OBJECT_ROUTE, TABLE_PATH

NESTED_TYPES = ("array",)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    format: str | None = None
    max_length: int = 0
    read_only: bool = False
    items: str | None = None  # definition name of array items (APITag, APILinkDto, ...)

    @property
    def nested(self) -> bool:
        return self.type in NESTED_TYPES

    @property
    def is_datetime(self) -> bool:
        return self.format == "date-time"


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    path: str
    title: str
    primary_key: str
    fields: tuple[FieldSpec, ...]
    required: tuple[str, ...]  # on create
    operations: dict
    subresources: dict = field(default_factory=dict)
    schema_required: tuple[str, ...] = ()  # always set in answers, read-only fields included
    subresource_queries: dict = field(default_factory=dict)  # sub-route -> query parameters of its GET

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    @property
    def shape(self) -> str:
        return self.operations["read"]["shape"]

    def read_params(self) -> list[str]:
        return self.operations["read"]["params"]

    def has(self, operation: str) -> bool:
        return operation in self.operations

    def has_field(self, name: str) -> bool:
        return name in self.field_map

    def subresource_params(self, route: str) -> list[str]:
        """The query parameters the GET of `/{id}/{route}` takes (`Sub` or `Sub/{}`), as the Swagger lists them."""
        return self.subresource_queries.get(route, [])

    def renamed(self, name: str, title: str) -> CollectionSpec:
        """This shape under another name: each custom object is the `/{objectName}` template."""
        return CollectionSpec(name, "/" + name, title, self.primary_key, self.fields, self.required,
                              self.operations, self.subresources, self.schema_required, self.subresource_queries)


@dataclass(frozen=True)
class Table:
    collections: dict[str, CollectionSpec]
    definitions: dict[str, tuple[FieldSpec, ...]]
    swagger_sha256: str

    @property
    def custom_object_template(self) -> CollectionSpec:
        return self.collections[CUSTOM_OBJECT_ROUTE]


def _field(raw: dict) -> FieldSpec:
    return FieldSpec(name=raw["name"], type=raw["type"], format=raw.get("format"),
                     max_length=raw.get("max_length", 0), read_only=raw.get("read_only", False),
                     items=raw.get("items"))


def build_table(raw: dict) -> Table:
    collections = {
        name: CollectionSpec(name=name, path=c["path"], title=c["title"], primary_key=c["primary_key"],
                             fields=tuple(_field(f) for f in c["fields"]), required=tuple(c["required"]),
                             operations=c["operations"], subresources=c["subresources"],
                             schema_required=tuple(c["schema_required"]),
                             subresource_queries=c.get("subresource_queries", {}))
        for name, c in raw["collections"].items()
    }
    definitions = {name: tuple(_field(f) for f in fields) for name, fields in raw["definitions"].items()}
    return Table(collections, definitions, raw["swagger_sha256"])


@cache
def load_table() -> Table:
    return build_table(json.loads(TABLE_PATH.read_text(encoding="utf-8")))
