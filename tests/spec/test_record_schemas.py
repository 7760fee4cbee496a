"""The record schemas: valid draft-07, regenerated identically from the Swagger, lenient where live
data is wider than the Swagger, and carrying the keys the runner needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from insightly_connector.spec.loader import REPO_ROOT

RECORDS_DIR = REPO_ROOT / "schemas" / "records"


def _walk_properties(schema: dict):
    """Every (name, property schema) pair, nested ones included."""
    for name, prop in schema.get("properties", {}).items():
        yield name, prop
        yield from _walk_properties(prop)
        if isinstance(prop.get("items"), dict):
            yield from _walk_properties(prop["items"])


def test_every_resource_schema_exists_and_is_valid_draft07(spec):
    for resource in spec.resources.values():
        assert resource.schema_path.is_file(), resource.name
        Draft7Validator.check_schema(resource.schema)
        assert resource.schema["additionalProperties"] is True
        assert resource.schema["x-primary-key"] == resource.primary_key
        cursor = resource.incremental["cursor_field"] if resource.incremental else None
        assert resource.schema["x-cursor-field"] == cursor


def test_regenerating_gives_byte_identical_files(tmp_path: Path):
    tool = REPO_ROOT / "tools" / "derive_record_schemas.py"
    subprocess.run([sys.executable, str(tool), "--out", str(tmp_path)], check=True, timeout=120)
    fresh = {path.name: path.read_bytes() for path in (tmp_path / "schemas" / "records").glob("*.json")}
    committed = {path.name: path.read_bytes() for path in RECORDS_DIR.glob("*.json")}
    assert sorted(fresh) == sorted(committed)
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert changed == [], "run tools/derive_record_schemas.py and commit the result"


def test_the_generator_is_deterministic(spec, swagger, derive_tool):
    first = derive_tool.derive_all(spec, swagger)
    second = derive_tool.derive_all(spec, swagger)
    assert [derive_tool.render(schema) for schema in first.values()] == \
        [derive_tool.render(schema) for schema in second.values()]


def test_swagger_quirks_are_normalised(spec):
    for resource in spec.resources.values():
        for name, prop in _walk_properties(resource.schema):
            assert prop.get("maxLength", 1) > 0, f"{resource.name}.{name}: maxLength 0 means unspecified"
            assert prop.get("format") != "date-time", f"{resource.name}.{name}: dates are not RFC 3339"
            assert prop.get("format") in (None, "int32", "int64"), f"{resource.name}.{name}"
            if "maxLength" in prop:
                assert "string" in prop["type"], f"{resource.name}.{name}: maxLength on a non-string"
    contact = spec.resource("contacts").schema["properties"]
    assert contact["SALUTATION"] == {"type": ["string", "null"], "maxLength": 50}
    assert contact["CONTACT_ID"] == {"type": ["integer", "null"], "format": "int64", "readOnly": True}
    assert contact["DATE_UPDATED_UTC"]["x-format"] == spec.defaults["incremental"]["cursor_format"]


def test_live_only_fields_are_added(spec):
    contact = spec.resource("contacts").schema["properties"]
    names = list(contact)
    assert names.index("VISIBLE_TO") == names.index("BACKGROUND") + 1
    assert contact["VISIBLE_TEAM_ID"]["x-source"] == "live"
    lead = spec.resource("leads").schema["properties"]
    assert {"VISIBLE_TO", "VISIBLE_TEAM_ID", "LINKS"} <= set(lead)
    assert lead["LINKS"]["items"]["properties"]["LINK_OBJECT_NAME"] == {"type": ["string", "null"]}
    record = spec.resource("custom_object_records").schema["properties"]
    assert record["DATE_UPDATED_UTC"]["readOnly"] and record["CREATED_USER_ID"]["readOnly"]
    for resource in spec.resources.values():
        if "CUSTOMFIELDS" in resource.schema["properties"]:
            item = resource.schema["properties"]["CUSTOMFIELDS"]["items"]["properties"]
            assert set(item) == {"FIELD_NAME", "FIELD_VALUE", "CUSTOM_FIELD_ID"}, resource.name


LIVE_CONTACT = {  # the shape of a live record (api-notes §4.3 key order, amp-labs capture values)
    "CONTACT_ID": 366638973, "SALUTATION": None, "FIRST_NAME": "Ada", "LAST_NAME": "Lovelace",
    "IMAGE_URL": None, "BACKGROUND": "", "VISIBLE_TO": "EVERYONE", "OWNER_USER_ID": 2240727,
    "VISIBLE_TEAM_ID": None, "DATE_CREATED_UTC": "2025-04-19 00:49:32", "DATE_UPDATED_UTC": "2025-04-19 00:49:33",
    "EMAIL_ADDRESS": "ada@example.com", "EMAIL_OPTED_OUT": False, "ETag": "W/\"abc\"",
    "CUSTOMFIELDS": [
        {"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "Chess", "CUSTOM_FIELD_ID": "Hobby__c"},
        {"FIELD_NAME": "Vip__c", "FIELD_VALUE": True, "CUSTOM_FIELD_ID": "Vip__c"},
        {"FIELD_NAME": "Score__c", "FIELD_VALUE": 3.2, "CUSTOM_FIELD_ID": "Score__c"},
        {"FIELD_NAME": "Gone__c", "FIELD_VALUE": None, "CUSTOM_FIELD_ID": "Gone__c"},
    ],
    "TAGS": [{"TAG_NAME": "Paris"}], "DATES": [],
    "LINKS": [{"LINK_ID": 1, "OBJECT_NAME": "Contact", "OBJECT_ID": 366638973, "LINK_OBJECT_NAME": "Organisation",
               "LINK_OBJECT_ID": 5, "ROLE": None, "DETAILS": None, "RELATIONSHIP_ID": None, "IS_FORWARD": None}],
}


def test_a_live_shaped_record_validates_and_wrong_shapes_do_not(spec):
    validator = Draft7Validator(spec.resource("contacts").schema)
    assert list(validator.iter_errors(LIVE_CONTACT)) == []
    assert list(validator.iter_errors({**LIVE_CONTACT, "DATE_UPDATED_UTC": "2025-04-19T00:49:33Z"}))
    assert list(validator.iter_errors({**LIVE_CONTACT, "SALUTATION": "x" * 51}))
    assert list(validator.iter_errors({**LIVE_CONTACT, "CONTACT_ID": "366638973"}))


@pytest.mark.parametrize(("resource", "required"), [
    ("contacts", ["FIRST_NAME"]),
    ("organisations", ["ORGANISATION_NAME"]),
    ("leads", ["LAST_NAME", "LEAD_SOURCE_ID", "LEAD_STATUS_ID"]),
    ("projects", ["STATUS", "PROJECT_NAME"]),
    ("tasks", ["TITLE", "COMPLETED", "OWNER_USER_ID"]),
    ("events", ["START_DATE_UTC", "END_DATE_UTC"]),
    ("notes", ["TITLE", "LINKS"]),
    ("milestones", ["DUE_DATE", "COMPLETED", "PROJECT_ID"]),
    ("tickets", ["SUBJECT", "TICKET_STATUS", "CONTACT_ID"]),
    ("products", ["PRODUCT_NAME", "DEFAULT_PRICE", "ACTIVE"]),
    ("quotations", ["QUOTATION_NAME", "OPPORTUNITY_ID"]),
    ("pricebooks", ["NAME", "ACTIVE"]),
    ("pricebook_entries", ["PRICEBOOK_ID", "PRODUCT_ID", "PRICE"]),
    ("quotation_line_items", ["QUOTE_ID", "PRICEBOOK_ENTRY_ID", "QUANTITY", "UNIT_PRICE"]),
    ("custom_object_records", ["RECORD_NAME"]),
])
def test_required_on_create_is_swagger_required_minus_read_only(spec, resource, required):
    assert spec.resource(resource).schema["x-required-on-create"] == required


def test_read_only_fields_required_on_create_are_marked_create_only(spec):
    for resource in spec.resources.values():
        properties = resource.schema["properties"]
        for field in resource.schema["x-required-on-create"]:
            assert field in properties, f"{resource.name}.{field}"
            assert not properties[field].get("readOnly") or properties[field].get("x-create-only"), \
                f"{resource.name}.{field}: read-only but required on create"
    entry = spec.resource("pricebook_entries").schema["properties"]
    assert entry["PRICEBOOK_ID"]["x-create-only"] and entry["PRICEBOOK_ID"]["readOnly"]
    assert "x-create-only" not in spec.resource("emails").schema["properties"]["OWNER_USER_ID"]
