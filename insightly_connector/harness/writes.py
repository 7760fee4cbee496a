"""Creating, updating and deleting records the way v3.1 does: server-set fields on create, partial
updates with the id in the body, custom fields merged by name, the record limit."""

from __future__ import annotations

import copy
from collections.abc import Callable

from insightly_connector.harness import custom_fields as cf
from insightly_connector.harness.dataset import Dataset
from insightly_connector.harness.datetimes import format_record_date
from insightly_connector.harness.reference_data import complete
from insightly_connector.harness.table import CollectionSpec
from insightly_connector.harness.validation import Invalid, missing_required, writable_fields


class RecordNotFound(LookupError):
    pass


class RecordLimitReached(RuntimeError):
    pass


# Defaults the server fills when a create leaves them out (api-notes §4.3, INFERRED).
def _lead_defaults(dataset: Dataset) -> dict:
    sources = [r for r in dataset.collection("LeadSources").records() if r.get("DEFAULT_VALUE")]
    statuses = [r for r in dataset.collection("LeadStatuses").records() if r.get("DEFAULT_STATUS")]
    return {"LEAD_SOURCE_ID": sources[0]["LEAD_SOURCE_ID"] if sources else None,
            "LEAD_STATUS_ID": statuses[0]["LEAD_STATUS_ID"] if statuses else None}


class Writer:
    def __init__(self, dataset: Dataset, now: Callable[[], float], record_limit: Callable[[], int | None]):
        self.dataset, self.now, self.record_limit = dataset, now, record_limit

    def spec(self, collection: str) -> CollectionSpec:
        return self.dataset.specs[collection]

    def _fields(self, collection: str, body, trusted: bool, *, creating: bool = False) -> dict:
        return writable_fields(self.spec(collection), body, self.dataset.table.definitions,
                               cf.fields_for(collection), trusted=trusted, creating=creating)

    def create(self, collection: str, body, user_id: int, *, trusted: bool = False,
               links: list[dict] | None = None, fixed: dict | None = None) -> dict:
        """A new record from `body`; `links` (a note's parent) and `fixed` (a child's parent id) are set
        by the route, not the client."""
        spec = self.spec(collection)
        fields = self._fields(collection, body, trusted, creating=True)
        store = self.dataset.collection(collection)
        key = store.next_key()
        stamp = format_record_date(self.now())
        record = complete(spec, {f.name: False for f in spec.fields if f.type == "boolean" and not f.read_only})
        record.update({name: value for name, value in self._defaults(spec, user_id, stamp).items()
                       if spec.has_field(name)})
        record.update(fields)
        record.update(fixed or {})
        record[spec.primary_key] = key
        if spec.has_field("CUSTOMFIELDS"):
            record["CUSTOMFIELDS"] = _merge_custom_fields(collection, [], fields.get("CUSTOMFIELDS") or [], key)
        if spec.has_field("LINKS"):
            self._check_links(fields.get("LINKS") or [])
            record["LINKS"] = _own_links(spec.title, key, (links or []) + list(fields.get("LINKS") or []))
        missing = missing_required(spec, record)
        if missing:
            raise Invalid(f"{', '.join(missing)} is required")
        limit = self.record_limit()
        if limit is not None and self.dataset.is_record_collection(collection) and \
                self.dataset.record_total() >= limit:
            raise RecordLimitReached(collection)
        store.put(record)
        return record

    def _check_links(self, links: list[dict]) -> None:
        """Links name their object in the singular ("Organisation"): the plural is a common 400."""
        titles = {spec.title for spec in self.dataset.specs.values()}
        for link in links:
            if link.get("LINK_OBJECT_NAME") not in titles:
                raise Invalid(f"LINKS: unknown LINK_OBJECT_NAME {link.get('LINK_OBJECT_NAME')!r}")
            if not isinstance(link.get("LINK_OBJECT_ID"), int):
                raise Invalid("LINKS: LINK_OBJECT_ID must be an integer")

    def _defaults(self, spec: CollectionSpec, user_id: int, stamp: str) -> dict:
        defaults = {"DATE_CREATED_UTC": stamp, "DATE_UPDATED_UTC": stamp, "CREATED_USER_ID": user_id,
                    "OWNER_USER_ID": user_id, "VISIBLE_TO": "EVERYONE"}
        if spec.name == "Leads":
            defaults.update(_lead_defaults(self.dataset))
        return defaults

    def update(self, collection: str, body, *, trusted: bool = False, key=None) -> dict:
        """A partial update: fields not sent stay, null clears. The id comes from the body (v3.1 `PUT
        /{Collection}`) unless `key` is given (control API)."""
        spec = self.spec(collection)
        if not isinstance(body, dict):
            raise Invalid("the request body must be a JSON object")
        if key is None:
            key = body.get(spec.primary_key)
            if key is None:
                raise Invalid(f"{spec.primary_key} is required")
            if not isinstance(key, int) or isinstance(key, bool):
                raise Invalid(f"{spec.primary_key}: expected an integer")
        store = self.dataset.collection(collection)
        current = store.get(key)
        if current is None:
            raise RecordNotFound(key)
        fields = self._fields(collection, body, trusted)
        record = copy.deepcopy(current)
        for name, value in fields.items():
            if name == "CUSTOMFIELDS":
                record[name] = _merge_custom_fields(collection, record.get(name) or [], value or [], key)
            elif name == "LINKS":
                self._check_links(value or [])
                record[name] = _own_links(spec.title, key, value or [])
            else:
                record[name] = [] if value is None and spec.field_map[name].nested else value
        missing = missing_required(spec, record)
        if missing:
            raise Invalid(f"{', '.join(missing)} is required")
        if spec.has_field("DATE_UPDATED_UTC") and not (trusted and "DATE_UPDATED_UTC" in fields):
            record["DATE_UPDATED_UTC"] = format_record_date(self.now())
        store.put(record)
        return record

    def delete(self, collection: str, key) -> bool:
        return self.dataset.collection(collection).delete(key)


def _merge_custom_fields(collection: str, current: list[dict], changes: list[dict], key: int) -> list[dict]:
    """Custom fields merge by FIELD_NAME: only those sent change, null clears. Standard objects list set
    fields only; custom objects list every field. AUTONUMBER values are the server's."""
    values = {item["FIELD_NAME"]: item.get("FIELD_VALUE") for item in current}
    values.update({item["FIELD_NAME"]: item.get("FIELD_VALUE") for item in changes})
    keep_unset = cf.lists_unset_fields(collection)
    result = []
    for field in cf.fields_for(collection):
        value = cf.autonumber(field, key) if field.type == "AUTONUMBER" else values.get(field.name)
        if value is not None or keep_unset:
            result.append({"FIELD_NAME": field.name, "FIELD_VALUE": value, "CUSTOM_FIELD_ID": field.name})
    return result


def _own_links(title: str, key: int, links: list[dict]) -> list[dict]:
    """LINKS as the server stores them: from this record, each with its own LINK_ID."""
    return [{"LINK_ID": key * 10 + n, "OBJECT_NAME": title, "OBJECT_ID": key,
             "LINK_OBJECT_NAME": link.get("LINK_OBJECT_NAME"), "LINK_OBJECT_ID": link.get("LINK_OBJECT_ID"),
             "ROLE": link.get("ROLE"), "DETAILS": link.get("DETAILS"), "RELATIONSHIP_ID": link.get("RELATIONSHIP_ID"),
             "IS_FORWARD": link.get("IS_FORWARD", True)}
            for n, link in enumerate(links, start=1)]
