"""Record validation against a record schema: required, types, maxLength, read-only, custom fields."""

import pytest

from insightly_connector.destination.validation import CustomFieldShape, RecordRejected, RecordValidator

SCHEMA = {
    "type": "object",
    "x-primary-key": "CONTACT_ID",
    "x-required-on-create": ["FIRST_NAME"],
    "properties": {
        "CONTACT_ID": {"type": "integer", "readOnly": True},
        "FIRST_NAME": {"type": ["string", "null"], "maxLength": 10},
        "EMAIL_ADDRESS": {"type": ["string", "null"], "maxLength": 255},
        "OWNER_USER_ID": {"type": ["integer", "null"]},
        "DATE_UPDATED_UTC": {"type": ["string", "null"], "readOnly": True},
        "CUSTOMFIELDS": {"type": ["array", "null"], "items": {"type": "object"}},
    },
}
SHAPE = CustomFieldShape("CUSTOMFIELDS", "FIELD_NAME", "FIELD_VALUE")


def validator(mode="create", **options):
    options.setdefault("custom_fields", SHAPE)
    options.setdefault("known_custom_fields", {"Hobby__c", "Size__c"})
    return RecordValidator(SCHEMA, mode=mode, primary_key="CONTACT_ID", **options)


def rejected(check, record):
    with pytest.raises(RecordRejected) as info:
        check.validate(record)
    return info.value


def test_create_requires_the_required_fields():
    error = rejected(validator(), {"EMAIL_ADDRESS": "a@b.c"})
    assert error.category == "validation" and "FIRST_NAME" in error.message
    assert rejected(validator(), {"FIRST_NAME": ""}).category == "validation"


def test_types_and_max_length_are_checked_with_short_messages():
    error = rejected(validator(), {"FIRST_NAME": "x" * 5000})
    assert error.category == "validation"
    assert "5000 characters" in error.message and "maximum is 10" in error.message
    assert len(error.message) < 200
    error = rejected(validator(), {"FIRST_NAME": "Ada", "OWNER_USER_ID": "seven"})
    assert "OWNER_USER_ID must be integer or null" in error.message
    assert rejected(validator(), {"FIRST_NAME": "Ada", "OWNER_USER_ID": True}).category == "validation"


def test_read_only_fields_are_dropped_with_a_warning_or_rejected():
    result = validator().validate({"FIRST_NAME": "Ada", "DATE_UPDATED_UTC": "2024-01-01 00:00:00", "CONTACT_ID": 4})
    assert result.payload == {"FIRST_NAME": "Ada"}
    assert sorted(result.warnings) == ["dropped read-only field CONTACT_ID", "dropped read-only field DATE_UPDATED_UTC"]
    error = rejected(validator(read_only="reject"), {"FIRST_NAME": "Ada", "DATE_UPDATED_UTC": "x"})
    assert error.category == "read_only" and "DATE_UPDATED_UTC" in error.message


def test_update_keeps_the_read_only_primary_key_and_requires_it():
    result = validator("update").validate({"CONTACT_ID": 4, "EMAIL_ADDRESS": "a@b.c"})
    assert result.payload == {"CONTACT_ID": 4, "EMAIL_ADDRESS": "a@b.c"}
    assert "CONTACT_ID" in rejected(validator("update"), {"EMAIL_ADDRESS": "a@b.c"}).message
    assert rejected(validator("update"), {"CONTACT_ID": "four"}).category == "validation"


def test_delete_needs_only_the_primary_key():
    assert validator("delete").validate({"CONTACT_ID": 9, "FIRST_NAME": "x" * 99}).payload == {"CONTACT_ID": 9}
    assert rejected(validator("delete"), {"FIRST_NAME": "Ada"}).category == "validation"


def test_upsert_needs_its_key_and_reports_what_a_create_would_miss():
    check = validator("upsert", upsert_key="EMAIL_ADDRESS")
    result = check.validate({"EMAIL_ADDRESS": "a@b.c"})
    assert result.missing_for_create == ["FIRST_NAME"]
    assert "EMAIL_ADDRESS" in rejected(check, {"FIRST_NAME": "Ada"}).message


def test_flat_custom_fields_move_into_the_array_and_unknown_names_are_rejected():
    result = validator().validate({"FIRST_NAME": "Ada", "Hobby__c": "chess",
                                   "CUSTOMFIELDS": [{"FIELD_NAME": "Size__c", "FIELD_VALUE": 3}]})
    assert sorted(result.payload["CUSTOMFIELDS"], key=lambda item: item["FIELD_NAME"]) == [
        {"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "chess"}, {"FIELD_NAME": "Size__c", "FIELD_VALUE": 3}]
    error = rejected(validator(), {"FIRST_NAME": "Ada", "Nope__c": 1})
    assert error.category == "unknown_field" and "Nope__c" in error.message
    error = rejected(validator(), {"FIRST_NAME": "Ada", "CUSTOMFIELDS": [{"FIELD_NAME": "Nope__c", "FIELD_VALUE": 1}]})
    assert error.category == "unknown_field"


def test_without_custom_field_support_every_unknown_name_is_rejected():
    check = RecordValidator(SCHEMA, mode="create", primary_key="CONTACT_ID")
    assert rejected(check, {"FIRST_NAME": "Ada", "Hobby__c": "x"}).category == "unknown_field"


def test_an_upsert_key_may_be_a_custom_field():
    check = validator("upsert", upsert_key="Hobby__c")
    result = check.validate({"FIRST_NAME": "Ada", "Hobby__c": "chess"})
    assert result.payload["CUSTOMFIELDS"] == [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "chess"}]


def test_custom_field_values_must_have_their_field_types_json_type():
    check = validator(known_custom_fields=lambda: {"Hobby__c": "string", "Size__c": "number"})
    assert check.validate({"FIRST_NAME": "Ada", "Size__c": 4.5, "Hobby__c": None}).payload["CUSTOMFIELDS"]
    error = rejected(check, {"FIRST_NAME": "Ada", "Size__c": "large"})
    assert error.category == "validation" and "Size__c must be number" in error.message
    error = rejected(check, {"FIRST_NAME": "Ada", "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": 3}]})
    assert "Hobby__c must be string" in error.message
