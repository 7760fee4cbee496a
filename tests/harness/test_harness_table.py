"""The resource table the harness runs on is a faithful derivation of the Swagger file."""

from __future__ import annotations

import json

from insightly_connector.harness.derive_table import DEFAULT_SWAGGER, TABLE_PATH, derive, load_swagger, render
from insightly_connector.harness.table import load_table


def test_committed_table_matches_a_fresh_derivation():
    fresh = derive(load_swagger(DEFAULT_SWAGGER))
    assert json.loads(TABLE_PATH.read_text(encoding="utf-8")) == json.loads(render(fresh))


def test_table_has_keys_operations_and_routes_per_collection():
    table = load_table()
    contacts = table.collections["Contacts"]
    assert contacts.primary_key == "CONTACT_ID"
    assert {"read", "get", "create", "update", "delete", "search", "search_by_tag"} <= set(contacts.operations)
    assert "create" not in table.collections["Notes"].operations  # notes are created under a parent
    assert "POST" in table.collections["Contacts"].subresources["Notes"]
    assert table.collections["Ticket"].primary_key == "TICKET_ID"
    assert table.collections["Quotation"].primary_key == "QUOTE_ID"
    assert "Users/Me" in table.collections and "CustomFields/{objectName}" in table.collections


def test_table_carries_swagger_types_limits_and_required_fields():
    contacts = load_table().collections["Contacts"]
    fields = contacts.field_map
    assert fields["FIRST_NAME"].type == "string" and fields["FIRST_NAME"].max_length == 255
    assert fields["DATE_UPDATED_UTC"].is_datetime and fields["DATE_UPDATED_UTC"].read_only
    assert fields["OWNER_USER_ID"].format == "int32"
    assert fields["CUSTOMFIELDS"].items == "APICustomField"
    assert contacts.required == ("FIRST_NAME",)
    assert load_table().collections["Organisations"].required == ("ORGANISATION_NAME",)  # read-only id dropped


def test_live_deltas_are_applied():
    table = load_table()
    contact_fields = [f.name for f in table.collections["Contacts"].fields]
    assert contact_fields.index("VISIBLE_TO") == contact_fields.index("BACKGROUND") + 1
    assert "VISIBLE_TEAM_ID" in contact_fields
    assert table.collections["Leads"].has_field("LINKS")
    assert table.custom_object_template.has_field("DATE_UPDATED_UTC")
    assert table.custom_object_template.has_field("CREATED_USER_ID")
    assert "CUSTOM_FIELD_ID" in [f.name for f in table.definitions["APICustomField"]]
