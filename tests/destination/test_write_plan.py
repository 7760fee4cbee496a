"""Planning: validation rejects, duplicate keys collapsed or rejected, keys per mode."""

from functools import partial

from insightly_connector.destination.input_records import read_records
from insightly_connector.destination.plan import build_plan, record_key
from insightly_connector.destination.validation import CustomFieldShape, RecordValidator

SCHEMA = {
    "properties": {
        "CONTACT_ID": {"type": "integer", "readOnly": True},
        "FIRST_NAME": {"type": ["string", "null"]},
        "EMAIL_ADDRESS": {"type": ["string", "null"]},
        "CUSTOMFIELDS": {"type": ["array", "null"]},
    },
    "x-required-on-create": ["FIRST_NAME"],
}
SHAPE = CustomFieldShape("CUSTOMFIELDS", "FIELD_NAME", "FIELD_VALUE")


def plan_for(lines, mode="upsert", upsert_key="EMAIL_ADDRESS", duplicates="collapse"):
    validator = RecordValidator(SCHEMA, mode=mode, primary_key="CONTACT_ID", upsert_key=upsert_key,
                                custom_fields=SHAPE, known_custom_fields={"Hobby__c"})
    key_of = partial(record_key, mode=mode, primary_key="CONTACT_ID", upsert_key=upsert_key, shape=SHAPE)
    return build_plan(read_records(lines), validator, duplicates=duplicates, key_of=key_of)


LINES = [
    '{"EMAIL_ADDRESS": "a@x.io", "FIRST_NAME": "Ann", "Hobby__c": "golf"}',
    '{"EMAIL_ADDRESS": "b@x.io", "FIRST_NAME": "Bea"}',
    '{"EMAIL_ADDRESS": "a@x.io", "Hobby__c": "chess", "FIRST_NAME": null}',
    "not json",
    '{"FIRST_NAME": "no key"}',
]


def test_duplicates_collapse_into_one_write_with_later_fields_winning():
    plan = plan_for(LINES)
    assert [write.line for write in plan.writes] == [1, 2]
    first = plan.writes[0]
    assert [line for line, _ in first.lines] == [1, 3]
    assert first.payload == {"EMAIL_ADDRESS": "a@x.io", "FIRST_NAME": None,
                             "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "chess"}]}
    assert first.missing_for_create == ["FIRST_NAME"]
    assert sorted((r.line, r.rejection.category) for r in plan.rejects) == [(4, "invalid_input"), (5, "validation")]
    assert plan.records == 5


def test_duplicates_can_be_rejected_instead_naming_the_first_line():
    plan = plan_for(LINES, duplicates="reject")
    assert [[line for line, _ in write.lines] for write in plan.writes] == [[1], [2]]
    duplicate = next(r for r in plan.rejects if r.line == 3)
    assert duplicate.rejection.category == "duplicate_key" and "line 1" in duplicate.rejection.message


def test_create_without_key_dedupes_identical_records_only():
    lines = ['{"FIRST_NAME": "Ann"}', '{"FIRST_NAME": "Ann"}', '{"FIRST_NAME": "Bea"}']
    plan = plan_for(lines, mode="create", upsert_key=None)
    assert [[line for line, _ in write.lines] for write in plan.writes] == [[1, 2], [3]]


def test_update_and_delete_are_keyed_by_primary_key():
    lines = ['{"CONTACT_ID": 5, "FIRST_NAME": "A"}', '{"CONTACT_ID": 6}', '{"CONTACT_ID": 5, "EMAIL_ADDRESS": "e"}']
    plan = plan_for(lines, mode="update", upsert_key=None)
    assert [[line for line, _ in write.lines] for write in plan.writes] == [[1, 3], [2]]
    assert plan.writes[0].payload == {"CONTACT_ID": 5, "FIRST_NAME": "A", "EMAIL_ADDRESS": "e"}
    plan = plan_for(lines, mode="delete", upsert_key=None)
    assert [write.payload for write in plan.writes] == [{"CONTACT_ID": 5}, {"CONTACT_ID": 6}]
