"""The compiled spec's objects: what the rest of the runner reads, built once by `spec.loader`.

A `Resource` keeps the merged blocks it was declared with (`read`, `incremental`, `write`: for the
catalog, tools and tests) next to the objects compiled from them, which carry the behaviour: its
paginator, cursor policy, records path and write templates. The runner reads only the latter. The write
templates are compiled, and the record schema read, on first use: a read never needs the former (nor the
write side's modules), and a read of one resource needs one schema."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from insightly_connector.source.children import ChildPolicy
from insightly_connector.source.flatten import FlattenPolicy
from insightly_connector.source.incremental import CursorPolicy
from insightly_connector.source.pages import ListRequest
from insightly_connector.source.paginators import Paginator
from insightly_connector.spec.documents import load_record_schema

if TYPE_CHECKING:
    from insightly_connector.destination.templates import WriteTemplates


@dataclass(frozen=True, eq=False)  # compiled once, compared by identity: no generated __eq__ to create
class CustomFieldMeta:
    """How records carry custom-field values, and how the live custom-field metadata reads."""

    record_field: str
    name_field: str
    value_field: str
    label_field: str
    type_field: str
    options_field: str | None
    option_value_field: str | None
    default_type: str
    types: Mapping[str, str]
    formats: Mapping[str, str]  # field type -> the date format of its values (typed loads)
    editable_field: str | None = None  # metadata field that is false for a value no write may set
    name_suffix: str | None = None  # every custom field's name ends so (a name that does not is none)

    @classmethod
    def compile(cls, declared: Mapping[str, Any]) -> CustomFieldMeta:
        return cls(declared["record_field"], declared["name_field"], declared["value_field"],
                   declared["label_field"], declared["type_field"], declared.get("options_field"),
                   declared.get("option_value_field"), declared["default_type"], dict(declared["types"]),
                   dict(declared.get("formats") or {}), declared.get("editable_field"), declared.get("name_suffix"))


@dataclass(frozen=True, eq=False)
class Resource:
    """One readable (and maybe writable) collection, with defaults merged and `${}` filled.

    Three kinds: static (`dynamic` is None); a dynamic template (`dynamic` set, `dynamic_source`
    None, `${object_*}` placeholders kept: not readable until expanded); and a resource expanded
    from a template (`dynamic` describes the object, `dynamic_source` names the template). A static
    one may be read under a parent (`child`) or flattened from a parent's nested array (`flatten`)."""

    name: str
    display_name: str
    description: str
    path: str
    primary_key: str
    endpoint: str
    schema_path: Path
    schema_label: str | None  # where the schema is declared, for its errors; None: loaded without record schemas
    read: dict  # as declared (merged)
    incremental: dict | None  # as declared (merged)
    custom_fields_path: str | None
    write: dict  # as declared (merged)
    write_modes: tuple[str, ...]
    upsert_key: str | None
    single_object: bool
    dynamic: dict | None
    paginator: Paginator
    records_path: str
    params: Mapping[str, Any]
    cursor: CursorPolicy | None
    dynamic_source: str | None = None
    references: Mapping[str, Any] = field(default_factory=dict)  # field -> resource it holds an id of
    sub_writes: Mapping[str, dict] = field(default_factory=dict)  # mode -> template, writes under a record
    child: ChildPolicy | None = None  # read under each record of a parent resource (one request per parent)
    flatten: FlattenPolicy | None = None  # the items of a parent's nested array (no request of its own)

    @cached_property
    def schema(self) -> dict:
        """The record schema (`{}` when the spec was loaded without them)."""
        if self.schema_label is None:
            return {}
        return load_record_schema(self.schema_path, self.schema_label)

    @cached_property
    def writes(self) -> WriteTemplates:
        """The requests each write mode sends, compiled from `write` when a write first asks."""
        from insightly_connector.destination.templates import WriteTemplates

        return WriteTemplates.compile(self.primary_key, self.write)

    @property
    def key_fields(self) -> tuple[str, ...]:
        """What identifies a record: the primary key, preceded by the parent's key for records read
        under a parent (a tag name or a list id is unique only within its parent), and by the keys of the
        parent's own parents for records read under records read under records."""
        leading = self.child.leading_key_fields if self.child else (self.flatten.parent_key_field,) \
            if self.flatten else ()
        return tuple(dict.fromkeys(filter(None, (*leading, self.primary_key))))

    @property
    def opt_in(self) -> bool:
        """Read only when asked for by name: a child stream costs one request per parent."""
        return self.child is not None

    def list_request(self) -> ListRequest:
        """The plain list of this resource (no incremental bound)."""
        return ListRequest(self.path, self.params, self.records_path, self.primary_key)

    def since_request(self, bound: str) -> ListRequest:
        """The list of records updated after `bound` (the incremental path and parameter)."""
        assert self.cursor is not None, "only an incremental resource has an updated-after list"
        return ListRequest(self.cursor.path, {**self.params, self.cursor.param: bound}, self.records_path,
                           self.primary_key)
