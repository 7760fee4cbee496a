"""`discover` and `spec`: the catalog matches the account (live custom fields and objects)."""

from __future__ import annotations

import json

from insightly_connector.harness import Harness
from insightly_connector.http.client import Client
from insightly_connector.source.discover import discover
from insightly_connector.spec.credential import load_credential

from .conftest import credential_dict, run_cli, write_credential


def test_catalog_lists_every_resource_with_live_custom_objects_and_fields(spec):
    with Harness(rate_limit_per_second=None) as harness, \
            Client(spec, load_credential(credential_dict(harness), spec)) as client:
        catalog = discover(client, spec)
        live_objects = harness.custom_objects
        contact_fields = [f["FIELD_NAME"] for f in client.request("GET", "/CustomFields/Contacts").json()]
    entries = {e.name: e for e in catalog.entries}
    static = {name for name, r in spec.resources.items() if not r.dynamic}
    assert static <= set(entries)
    assert live_objects and all(name.lower() in entries for name in live_objects)
    contacts = entries["contacts"]
    assert contacts.capabilities == {"read": True, "incremental": True, "create": True, "update": True,
                                     "upsert": True, "delete": True}
    assert contacts.primary_key == "CONTACT_ID" and contacts.cursor_field == "DATE_UPDATED_UTC"
    assert [f["name"] for f in contacts.schema["x-custom-fields"]] == contact_fields
    assert entries["emails"].capabilities["create"] is False
    assert entries["pipelines"].capabilities == {"read": True, "incremental": False, "create": False,
                                                 "update": False, "upsert": False, "delete": False}


def test_new_custom_field_types_map_to_json_types(spec):
    with Harness(rate_limit_per_second=None) as harness, \
            Client(spec, load_credential(credential_dict(harness), spec)) as client:
        catalog = discover(client, spec, ["contacts"])
    fields = catalog.entries[0].schema["x-custom-fields"]
    by_type = {f["type"]: f["json_type"] for f in fields}
    assert by_type.get("BIT") == "boolean" and by_type.get("NUMERIC") == "number"
    assert by_type.get("TEXT") == "string"


def test_discover_cli_json_and_airbyte(tmp_path):
    with Harness(rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path, credential_dict(harness))
        plain = run_cli("discover", "--credential", credential, "--resources", "contacts,tickets")
        airbyte = run_cli("discover", "--credential", credential, "--resources", "contacts", "--format", "airbyte")
        unknown = run_cli("discover", "--credential", credential, "--resources", "contact")
    assert plain.returncode == 0
    assert [r["name"] for r in json.loads(plain.stdout)["resources"]] == ["contacts", "tickets"]
    message = json.loads(airbyte.stdout)
    stream = message["catalog"]["streams"][0]
    assert message["type"] == "CATALOG" and stream["name"] == "contacts"
    assert stream["source_defined_primary_key"] == [["CONTACT_ID"]]
    assert unknown.returncode == 2 and "contacts" in unknown.stderr and "Traceback" not in unknown.stderr


def test_spec_verb_renders_the_form_without_secrets():
    plain = run_cli("spec")
    airbyte = run_cli("spec", "--format", "airbyte")
    assert plain.returncode == 0 and airbyte.returncode == 0
    described = json.loads(plain.stdout)
    fields = {f["name"]: f for f in described["credential"]["fields"]}
    assert [f["name"] for f in described["credential"]["fields"]][:5] == ["name", "description", "api_key",
                                                                         "password", "pod"]
    assert fields["api_key"]["secured"] and fields["api_key"]["required"]
    assert fields["pod"]["default"] == "na1" and not fields["pod"]["secured"]
    assert described["connector"]["code"] == "insightly_api"
    assert any(e["name"] == "insightly_api.get_contacts" for e in described["source"]["endpoints"])
    assert any(e["name"] == "insightly_api.upsert_contacts" for e in described["sink"]["endpoints"])
    spec_message = json.loads(airbyte.stdout)
    assert spec_message["type"] == "SPEC"
    assert spec_message["spec"]["connectionSpecification"]["properties"]["api_key"]["airbyte_secret"] is True


def test_broken_yaml_is_one_line_naming_the_path(tmp_path, spec):
    broken = tmp_path / "connector.yaml"
    text = spec.path.read_text().replace("page_size: 500", "page_size: 900", 1)
    broken.write_text(text)
    for schema_dir in ("schemas",):
        (tmp_path / schema_dir).symlink_to(spec.root / schema_dir)
    result = run_cli("spec", "--config", str(broken))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "page_size" in lines[0] and "Traceback" not in result.stderr


def test_bad_cli_arguments_exit_2_without_traceback():
    result = run_cli("read", "--credential")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = run_cli("frobnicate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
