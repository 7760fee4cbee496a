"""The record schemas' verdict (each an object schema with the fields the declaration names) is remembered by
each file's size and modification time: a load that finds it reads no schema until a resource's is asked for,
and an edited schema is judged again at load, with the same one-line errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.spec.loader import DEFAULT_SPEC_PATH, REPO_ROOT, load_spec


@pytest.fixture()
def spec_copy(tmp_path, monkeypatch) -> Path:
    """connector.yaml and a real copy of schemas/ in a folder of its own, with a cache of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shutil.copyfile(DEFAULT_SPEC_PATH, tmp_path / "connector.yaml")
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "schemas")
    return tmp_path / "connector.yaml"


def _edit_schema(path: Path, change) -> None:
    """Rewrite a record schema, its modification time moved on (as any later edit's is)."""
    before = path.stat().st_mtime_ns
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema), encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_a_remembered_verdict_leaves_every_schema_unread_until_asked_for(spec_copy):
    first = load_spec(spec_copy)
    assert "schema" in vars(first.resources["contacts"])  # judged: every schema was read
    again = load_spec(spec_copy)
    contacts = again.resources["contacts"]
    assert "schema" not in vars(contacts)
    assert contacts.schema == first.resources["contacts"].schema


def test_an_edited_schema_is_judged_again_at_load(spec_copy):
    load_spec(spec_copy)
    contacts_schema = spec_copy.parent / "schemas" / "records" / "contacts.json"
    _edit_schema(contacts_schema, lambda schema: schema["properties"].pop("CONTACT_ID"))
    with pytest.raises(ConfigError) as caught:
        load_spec(spec_copy)
    assert str(caught.value) == "connector.yaml: resources.contacts.primary_key: 'CONTACT_ID' is not a field of " \
                                "contacts.json"


def test_a_schema_that_is_no_longer_an_object_schema_is_refused_at_load(spec_copy):
    load_spec(spec_copy)
    _edit_schema(spec_copy.parent / "schemas" / "records" / "notes.json", lambda schema: schema.pop("properties"))
    with pytest.raises(ConfigError) as caught:
        load_spec(spec_copy)
    assert str(caught.value) == "connector.yaml: resources.notes.schema: schemas/records/notes.json: must be an " \
                                "object schema with properties"


def test_a_dynamic_resource_expanded_live_has_its_fields_checked(spec_copy):
    spec = load_spec(spec_copy)
    [records] = spec.expand_dynamic("custom_object_records", [{"OBJECT_NAME": "Gadget__c"}])
    assert "properties" in records.schema
    assert records.schema_path.name == "custom_object_records.json"
