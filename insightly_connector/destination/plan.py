"""The write plan: validated input grouped into one write per key, before any request is sent.

Planning first is what makes three promises cheap to keep: a key that appears twice in one input is
collapsed into one write (its records merged in input order) or its later records are rejected, so
it is never created twice; `--dry-run` can show the whole plan; and a resumed run rebuilds the same
writes from the same input, so the journal's line numbers mean the same thing again.

The key of a record is its primary key (update, delete), its upsert-key value (upsert, and create
when an upsert key is named), or otherwise the record's content: the same record twice in a create
is one record delivered twice, not two records. Records that carry different primary keys of their own
are different records even when their keys match (two organisations of one name, read and written
back): they are never merged, each is its own write, and writes of one key still run in input order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from insightly_connector.destination.input_records import INVALID_INPUT, InputRecord
from insightly_connector.destination.journal import record_digest
from insightly_connector.destination.rejects import Rejection
from insightly_connector.destination.validation import (
    CustomFieldShape,
    RecordRejected,
    RecordValidator,
    ValidatedRecord,
    field_value,
)

COLLAPSE = "collapse"
REJECT = "reject"


@dataclass
class PlannedWrite:
    """One write: the records it covers (the first one leads; the others were collapsed into it)."""

    lines: list[tuple[int, str]]  # (input line, record digest)
    raws: list[Any]
    key: str
    payload: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    missing_for_create: list[str] = field(default_factory=list)
    source_id: Any = None  # the record's own primary key as given (a copy's source id)

    @property
    def line(self) -> int:
        return self.lines[0][0]


@dataclass
class PlannedReject:
    """An input record refused before sending; `attempts` is 0 because no request was made."""

    line: int
    digest: str
    raw: Any
    rejection: Rejection


@dataclass
class Plan:
    writes: list[PlannedWrite] = field(default_factory=list)
    rejects: list[PlannedReject] = field(default_factory=list)
    warnings: int = 0

    @property
    def records(self) -> int:
        return sum(len(write.lines) for write in self.writes) + len(self.rejects)


def record_key(payload: dict[str, Any], *, mode: str, primary_key: str, upsert_key: str | None,
               shape: CustomFieldShape | None) -> str:
    """The identity two records must share to count as duplicates (a string, for hashing)."""
    if mode in ("update", "delete"):
        value: Any = payload.get(primary_key)
    elif upsert_key is not None:
        value = field_value(payload, upsert_key, shape)
    else:
        value = None
    if value is None or value == "":  # only a create can lack a key: then its content is its identity
        return "content:" + record_digest(payload)
    return f"{'id' if mode in ('update', 'delete') else upsert_key}:" + orjson.dumps(value, default=str).decode()


def build_plan(inputs: Iterable[InputRecord], validator: RecordValidator, *, duplicates: str,
               key_of: Callable[[dict[str, Any]], str], primary_key: str | None = None,
               rewrite: Callable[[dict[str, Any]], tuple[dict[str, Any], list[str]]] | None = None) -> Plan:
    """Validate every input record and group them into writes; nothing is sent here.

    `rewrite` changes a validated payload before it is keyed (a copy's references, through the id
    map), with warnings for what it left; it may reject the record. `primary_key` names the field
    whose given value is kept as the write's source id."""
    if duplicates not in (COLLAPSE, REJECT):
        raise ValueError(f"duplicates must be {COLLAPSE!r} or {REJECT!r}, not {duplicates!r}")
    plan = Plan()
    by_key: dict[tuple[str, str], PlannedWrite] = {}
    for item in inputs:
        digest = record_digest(item.raw)
        if not item.ok:
            plan.rejects.append(PlannedReject(item.line, digest, item.raw, Rejection(INVALID_INPUT, item.error)))
            continue
        assert item.record is not None
        try:
            checked = validator.validate(item.record)
            if rewrite is not None:
                checked.payload, notes = rewrite(checked.payload)
                checked.warnings.extend(notes)
        except RecordRejected as exc:
            plan.rejects.append(PlannedReject(item.line, digest, item.raw, Rejection(exc.category, exc.message)))
            continue
        key = key_of(checked.payload)
        source_id = item.record.get(primary_key) if primary_key is not None else None
        identity = (key, orjson.dumps(source_id, default=str).decode())
        earlier = by_key.get(identity)
        if earlier is None:
            write = PlannedWrite([(item.line, digest)], [item.raw], key, checked.payload, list(checked.warnings),
                                 list(checked.missing_for_create), source_id)
            by_key[identity] = write
            plan.writes.append(write)
        elif duplicates == REJECT:
            plan.rejects.append(PlannedReject(item.line, digest, item.raw, Rejection(
                "duplicate_key", f"the same key ({key}) already appears at input line {earlier.line}")))
            continue
        else:
            _collapse(earlier, checked, validator, item.line, digest, item.raw)
        plan.warnings += len(checked.warnings)
    return plan


def _collapse(write: PlannedWrite, later: ValidatedRecord, validator: RecordValidator, line: int,
              digest: str, raw: Any) -> None:
    """Merge a later record with the same key into the write: its fields win, in input order."""
    shape = validator.custom_fields
    merged = {**write.payload, **later.payload}
    if shape is not None and (shape.array_field in write.payload or shape.array_field in later.payload):
        customs = {item[shape.name_field]: item for item in write.payload.get(shape.array_field) or ()}
        customs.update({item[shape.name_field]: item for item in later.payload.get(shape.array_field) or ()})
        merged[shape.array_field] = list(customs.values())
    revalidated = validator.validate(merged)
    write.payload = revalidated.payload
    write.missing_for_create = revalidated.missing_for_create
    write.lines.append((line, digest))
    write.raws.append(raw)
    write.warnings.extend(later.warnings)
