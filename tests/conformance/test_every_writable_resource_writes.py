"""Every writable resource of the spec, written by the runner to the harness: a record created from a copy
of one the harness holds (its writable fields, one plain field marked), then updated, then deleted, each
step checked against the harness's own records. A mode the resource lacks is skipped; a resource that
cannot be created is updated and deleted on a record the harness already holds."""

from __future__ import annotations

from tests.destination.test_every_writable_resource import addressable, parent_fields, plain_field

from .conftest import collection, expand

MARK = "Conformance"  # plain_field picks fields of at least 40 characters


def writable_copy(resource, record: dict, field: str | None, value) -> dict:
    """The record's writable scalar fields, the fields a create requires and the parent ids its path
    needs (no primary key, no nested collection but a parent's links), with `field` set to `value`."""
    properties = resource.schema["properties"]
    needed = set(resource.schema.get("x-required-on-create", ())) | parent_fields(resource) | {
        t["parent"]["links_field"] for t in resource.write.values() if "links_field" in t.get("parent", {})}

    def kept(name: str) -> bool:
        prop = properties.get(name, {})
        kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
        return name in needed or ("array" not in kinds and not prop.get("readOnly"))

    copy = {name: v for name, v in record.items()
            if name in properties and name != resource.primary_key and v is not None and kept(name)}
    return {**copy, field: value} if field else copy


def lifecycle(harness, connector, resource, tmp_path) -> None:
    modes, name, where = resource.write, collection(resource), resource.name
    field, value = plain_field(resource) or (None, None)
    assert field or "update" not in modes, f"{where}: no plain field to update"
    existing = addressable(harness, resource)
    assert existing, f"{where}: the harness has no addressable record to start from"

    def write(mode: str, records: list[dict]):
        rejects = tmp_path / f"{where}.{mode}.rejects"
        report = connector.write(resource.name, mode, records, rejects_path=str(rejects))
        assert report.exit_code == 0, f"{where} {mode}: {rejects.read_text() if rejects.exists() else report}"
        return report

    target = existing[-1]
    if "create" in modes:
        before = set(harness.ids(name))
        mark = f"{MARK} create" if isinstance(value, str) else value
        sent = writable_copy(resource, target, field, mark)
        report = write("create", [sent])
        assert report.counts["created"] == 1, report.summary_table()
        (new_id,) = set(harness.ids(name)) - before
        target = harness.get(name, new_id)
        stamped = target.get(resource.write["create"].get("created_field"))  # the server's creation time
        differs = {k: (v, target.get(k)) for k, v in sent.items() if not isinstance(v, list)
                   and target.get(k) != v and target.get(k) != stamped}
        assert differs == {}, f"{where}: created, but (sent, stored) differ: {differs}"
    key = target[resource.primary_key]
    parents = {f: target[f] for f in parent_fields(resource)}
    if "update" in modes:
        changed = f"{MARK} update" if isinstance(value, str) else value + 1
        report = write("update", [{resource.primary_key: key, field: changed, **parents}])
        assert report.counts["updated"] == 1, report.summary_table()
        assert harness.get(name, key)[field] == changed, where
    if "delete" in modes:
        report = write("delete", [{resource.primary_key: key, **parents}])
        assert report.counts["deleted"] == 1, report.summary_table()
        after = harness.get(name, key)
        assert after is None or after.get("ACTIVE") is False, f"{where}: still there after the delete"


def test_create_update_delete(writable, connector, clean, tmp_path):
    for each in expand(connector, writable):
        lifecycle(clean, connector, each, tmp_path)
