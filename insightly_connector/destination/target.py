"""One write's target: the resource, mode and match key, and what planning needs from them.

Built before any record is read: the validator (record schema, read-only fields, live custom fields),
the key two records must share to be one write, and the check that every write can be addressed."""

from __future__ import annotations

import uuid
from functools import partial

from insightly_connector.destination.plan import Plan, PlannedReject, PlannedWrite, record_key
from insightly_connector.destination.rejects import Rejection
from insightly_connector.destination.validation import CustomFieldShape, RecordRejected, RecordValidator
from insightly_connector.errors import AccessDenied
from insightly_connector.http.client import Client
from insightly_connector.redaction import process_redactor
from insightly_connector.source.custom_fields import CustomField, fetch_custom_fields
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource

#: The requests each mode builds from a record before sending (upsert's depend on its lookup).
_ADDRESSED_BY = {"create": ("create",), "update": ("update",), "delete": ("delete",), "upsert": ()}


class WriteTarget:
    """Everything about a write that does not depend on its records."""

    def __init__(self, client: Client, spec: Spec, resource: Resource, mode: str, upsert_key: str | None, *,
                 read_only: str, dry_run: bool):
        self.client = client
        self.spec = spec
        self.resource = resource
        self.mode = mode
        self.upsert_key = upsert_key
        self.dry_run = dry_run
        self.run_id = uuid.uuid4().hex[:16]
        self.redactor = process_redactor  # every secret loaded in this process, the credential's included
        self.templates = resource.writes
        self._custom_fields: list[CustomField] | None = None
        meta = spec.custom_fields
        self.shape = CustomFieldShape(meta.record_field, meta.name_field, meta.value_field) \
            if meta is not None and resource.custom_fields_path else None
        self.validator = RecordValidator(
            resource.schema, mode=mode, primary_key=resource.primary_key, upsert_key=upsert_key,
            read_only=read_only, custom_fields=self.shape, known_custom_fields=self._custom_field_names,
            addressing_fields=self.templates.addressing_fields(), fixed_custom_fields=self._fixed_custom_fields)
        self.key_of = partial(record_key, mode=mode, primary_key=resource.primary_key, upsert_key=upsert_key,
                              shape=self.shape)

    def _custom_field_names(self) -> dict[str, str]:
        """The account's custom fields of this resource and the JSON type of their values, fetched
        once per target: every record and field of a write asks, and each ask was a request."""
        if self._custom_fields is None:
            try:
                self._custom_fields = fetch_custom_fields(self.client, self.spec, self.resource)
            except AccessDenied:
                self._custom_fields = []
        return {f.name: f.json_type for f in self._custom_fields}

    def _fixed_custom_fields(self) -> set[str]:
        """The custom fields whose metadata says no write may set them (dropped like read-only fields)."""
        self._custom_field_names()
        return {f.name for f in self._custom_fields or () if not f.editable}

    def check_addresses(self, plan: Plan) -> None:
        """Reject before sending what no request could be built for (e.g. a note with no parent)."""
        kept = []
        for write in plan.writes:
            try:
                for action in _ADDRESSED_BY[self.mode]:
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
