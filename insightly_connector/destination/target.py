"""One write's target: the resource, mode and match key, and what planning needs from them.

Built before any record is read: the validator (record schema, read-only fields, live custom fields),
the key two records must share to be one write, and the check that every write can be addressed. A
sub-write mode (`add_tag`, ...) has its own validator and template; a copy (`id_map`) rewrites the
references the YAML declares."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from insightly_connector.destination.custom_field_cache import CustomFieldCache
from insightly_connector.destination.id_map import IdMap, References
from insightly_connector.destination.journal import record_digest
from insightly_connector.destination.plan import Plan, PlannedReject, PlannedWrite, record_key
from insightly_connector.destination.rejects import Rejection
from insightly_connector.destination.sub_writes import SubWrite, SubWriteValidator
from insightly_connector.destination.validation import CustomFieldShape, RecordRejected, RecordValidator
from insightly_connector.http.client import Client
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource

#: The requests each mode builds from a record before sending (upsert's depend on its lookup).
_ADDRESSED_BY = {"create": ("create",), "update": ("update",), "delete": ("delete",), "upsert": ()}


class WriteTarget:
    """Everything about a write that does not depend on its records."""

    def __init__(self, client: Client, spec: Spec, resource: Resource, mode: str, upsert_key: str | None, *,
                 read_only: str, dry_run: bool, unknown_fields: str = "reject",
                 custom_fields: CustomFieldCache | None = None, id_map: IdMap | None = None):
        self.client = client
        self.spec = spec
        self.resource = resource
        self.mode = mode
        self.upsert_key = upsert_key
        self.dry_run = dry_run
        self.run_id = uuid.uuid4().hex[:16]
        self.redactor = process_redactor  # every secret loaded in this process, the credential's included
        self.templates = resource.writes
        self.custom_fields = custom_fields if custom_fields is not None else CustomFieldCache()
        meta = spec.custom_fields
        self.shape = CustomFieldShape(meta.record_field, meta.name_field, meta.value_field) \
            if meta is not None and resource.custom_fields_path else None
        self.id_map = id_map
        self.references = References(resource.references)
        self.sub_write = SubWrite.compile(mode, resource.primary_key, resource.sub_writes[mode]) \
            if mode in resource.sub_writes else None
        if self.sub_write is not None:
            self.validator: RecordValidator | SubWriteValidator = SubWriteValidator(self.sub_write)
            self.key_of = _content_key  # every distinct sub-record is its own write; the same one twice is one
            return
        self.validator = RecordValidator(
            resource.schema, mode=mode, primary_key=resource.primary_key, upsert_key=upsert_key,
            read_only=read_only, unknown_fields=unknown_fields, custom_fields=self.shape,
            known_custom_fields=self._custom_field_names, addressing_fields=self.templates.addressing_fields(),
            fixed_custom_fields=self._fixed_custom_fields)
        self.key_of = partial(record_key, mode=mode, primary_key=resource.primary_key, upsert_key=upsert_key,
                              shape=self.shape)

    @property
    def rewrite(self):
        """What planning applies to each payload: a copy's references mapped to the new records."""
        if self.id_map is None or self.sub_write is not None:
            return None
        id_map, references = self.id_map, self.references
        return lambda payload: references.rewrite(payload, id_map)

    def _custom_field_names(self) -> dict[str, str]:
        """The account's custom fields of this resource and the JSON type of their values (the
        metadata is read once per run or session: every record and field of a write asks)."""
        return {f.name: f.json_type for f in self.custom_fields.fields(self.client, self.spec, self.resource)}

    def _fixed_custom_fields(self) -> set[str]:
        """The custom fields whose metadata says no write may set them (dropped like read-only fields)."""
        return {f.name for f in self.custom_fields.fields(self.client, self.spec, self.resource) if not f.editable}

    def check_addresses(self, plan: Plan) -> None:
        """Reject before sending what no request could be built for (e.g. a note with no parent)."""
        kept = []
        for write in plan.writes:
            try:
                if self.sub_write is not None:
                    self.sub_write.request(write.payload)
                for action in _ADDRESSED_BY.get(self.mode, ()):
                    self.templates.request(action, write.payload)
            except RecordRejected as exc:
                plan.rejects.extend(planned_rejects(write, Rejection(exc.category, exc.message)))
                continue
            kept.append(write)
        plan.writes = kept
        plan.rejects.sort(key=lambda reject: reject.line)


def planned_rejects(write: PlannedWrite, rejection: Rejection) -> list[PlannedReject]:
    pairs = zip(write.lines, write.raws, strict=True)
    return [PlannedReject(line, digest, raw, rejection) for (line, digest), raw in pairs]


def _content_key(payload: dict[str, Any]) -> str:
    return "content:" + record_digest(payload)
