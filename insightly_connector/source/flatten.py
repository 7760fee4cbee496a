"""A nested array of a parent's records as a stream of its own, at no request of its own.

Warehouses want nested arrays (a record's links, tags, dates) as tables. A flattened stream declares its
parent resource, the array field and the field that carries the parent's key; each array item becomes one
record with the parent's key added. When the parent is read in the same run the items are emitted from
the parent's own pages (no extra request); read alone, the stream walks the parent's list itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)  # compiled once, compared by identity: no generated __eq__ to create
class FlattenPolicy:
    """`flatten: {parent, field, parent_key_field}` compiled."""

    parent: str
    field: str
    parent_key_field: str

    @classmethod
    def compile(cls, declared: Mapping[str, Any]) -> FlattenPolicy:
        return cls(declared["parent"], declared["field"], declared["parent_key_field"])

    def items(self, parents: list[dict], parent_key: str) -> list[dict]:
        """Every item of the array of each parent record, with the parent's key added (an item that
        already carries the field keeps its own value: records pass through unaltered)."""
        out: list[dict] = []
        for parent in parents:
            key = parent.get(parent_key)
            for item in parent.get(self.field) or ():
                if isinstance(item, dict):
                    out.append(item if self.parent_key_field in item else {self.parent_key_field: key, **item})
        return out
