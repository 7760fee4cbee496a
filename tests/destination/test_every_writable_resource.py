"""Every writable resource of connector.yaml, written through its templates to the harness: a delete
(by primary key, under the parent where the template says so, `?id=` where it says so) and, where the
resource can be updated, an update of one plain field. Updates run first: the deletes remove parents
(projects) that child records (milestones) are addressed under."""

import pytest

from insightly_connector.spec.loader import load_spec

SPEC = load_spec()


def writable(mode: str) -> list:
    return [pytest.param(resource, id=resource.name) for resource in SPEC.resources.values()
            if not resource.dynamic and mode in resource.write]


def collection(resource) -> str:
    return resource.path.strip("/")


def parent_fields(resource) -> set[str]:
    return {t["parent"]["id_field"] for t in resource.write.values()
            if "parent" in t and "links_field" not in t["parent"]}


def parent_collections(resource) -> dict[str, str]:
    """Parent id field -> the collection its write path names (e.g. PROJECT_ID -> Projects)."""
    return {t["parent"]["id_field"]: t["path"].split("/")[1] for t in resource.write.values()
            if "parent" in t and "links_field" not in t["parent"]}


def addressable(harness, resource) -> list[dict]:
    """Records whose parent (if the path needs one) still exists and with every field a create requires."""
    records = [harness.get(collection(resource), key) for key in harness.ids(collection(resource))]
    needs = parent_fields(resource) | set(resource.schema.get("x-required-on-create", ()))
    parents = parent_collections(resource)
    return [r for r in records if r and all(r.get(name) not in (None, "") for name in needs)
            and all(harness.get(parent, r[field]) is not None for field, parent in parents.items())]


def plain_field(resource) -> tuple[str, object] | None:
    """A plain, writable field (no pattern, no enum, not a key) and a new value for it."""
    for kind, value in (("string", "Changed by the write test"), ("number", 12.5)):
        for name, prop in resource.schema["properties"].items():
            kinds = prop.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if kind in kinds and not prop.get("readOnly") and "pattern" not in prop and "enum" not in prop \
                    and prop.get("maxLength", 255) >= 40 and name != resource.primary_key:
                return name, value
    return None


@pytest.mark.parametrize("resource", writable("update"))
def test_update(resource, harness, run_write):
    field, value = plain_field(resource) or (None, None)
    assert field, f"{resource.name} has no plain field to update"
    record = addressable(harness, resource)[0]
    payload = {resource.primary_key: record[resource.primary_key], field: value,
               **{f: record[f] for f in parent_fields(resource)}}
    report = run_write(resource.name, "update", [payload])
    assert report.counts["updated"] == 1, report.summary_table()
    assert harness.get(collection(resource), record[resource.primary_key])[field] == value


@pytest.mark.parametrize("resource", writable("delete"))
def test_delete(resource, harness, run_write):
    records = addressable(harness, resource)
    assert records, f"the harness has no addressable {collection(resource)} record"
    record = records[-1]
    payload = {resource.primary_key: record[resource.primary_key], **{f: record[f] for f in parent_fields(resource)}}
    report = run_write(resource.name, "delete", [payload])
    assert report.counts["deleted"] == 1, report.summary_table()
    after = harness.get(collection(resource), record[resource.primary_key])
    assert after is None or after.get("ACTIVE") is False  # categories are deactivated ("Deactivation succeeded.")
    (request,) = [e for e in harness.requests() if e.method == "DELETE"]
    assert str(record[resource.primary_key]) in request.path + str(request.query)


def test_custom_object_records_found_live_are_writable(harness, run_write):
    """Custom objects exist per account: the resource (`fruit__c`) is expanded from /CustomObjects."""
    before = harness.count("Fruit__c")
    report = run_write("fruit__c", "upsert", [{"RECORD_NAME": "Quince"}, {"RECORD_NAME": "Quince"}])
    assert (report.counts["created"], report.counts["collapsed"]) == (1, 1), report.summary_table()
    assert harness.count("Fruit__c") == before + 1
    (created,) = [harness.get("Fruit__c", key) for key in harness.ids("Fruit__c")
                  if harness.get("Fruit__c", key)["RECORD_NAME"] == "Quince"]
    report = run_write("fruit__c", "delete", [{"RECORD_ID": created["RECORD_ID"]}])
    assert report.counts["deleted"] == 1 and harness.count("Fruit__c") == before
    written = [e.path for e in harness.requests() if e.method != "GET"]
    assert written == ["/Fruit__c", f"/Fruit__c/{created['RECORD_ID']}"]
