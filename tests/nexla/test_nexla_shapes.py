"""Nexla's describe and probe output, through the real CLI against a harness, checked against the shapes
`../shared/reference/nexla.md` describes (§2.3-§2.4 credentials and probe, §4 sinks, §5 draft-04 schemas,
§6 vendors and templates, §7 `rest.iterations`, §8 macros, §10 recommendations 1-14). The expected shapes
are written here as JSON Schema, so a drift in either the output or the reference reading shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from insightly_connector.harness import Harness

CLI_TIMEOUT_SECONDS = 60
DRAFT_04 = "http://json-schema.org/draft-04/schema#"
# §7: the iteration types Nexla's agent API accepts (others are rejected as rest_iteration_type_unsupported).
ITERATION_TYPES = ["static.url", "paging.incrementing", "paging.incrementing.offset", "paging.next.token",
                   "paging.next.url", "link.header"]

# §6 AuthParameter and §10 item 4.
AUTH_PARAMETER = {
    "type": "object",
    "required": ["name", "display_name", "description", "data_type", "order", "secured", "allowed_values"],
    "properties": {
        "name": {"type": "string", "minLength": 1}, "display_name": {"type": "string", "minLength": 1},
        "description": {"type": "string"}, "data_type": {"enum": ["string", "number", "integer", "boolean"]},
        "order": {"type": "integer"}, "secured": {"type": "boolean"},
        "allowed_values": {"type": ["array", "null"], "items": {"type": "string"}},
    },
}
# §2.3 (BASIC mode keys), §6 AuthTemplate, §10 item 5.
AUTH_TEMPLATE = {
    "type": "object",
    "required": ["name", "display_name", "description", "config", "parameters"],
    "properties": {
        "name": {"const": "insightly_api.basic"},
        "config": {
            "type": "object",
            "required": ["auth.type", "basic.username", "basic.password", "test.url", "test.method"],
            "properties": {
                "auth.type": {"const": "BASIC"},
                "basic.username": {"const": "${api_key}"},
                "basic.password": {"const": "${password}"},
                "test.url": {"const": "https://api.${pod}.insightly.com/v3.1/Users/Me"},
                "test.method": {"const": "GET"},
                "test.content.type": {"const": "application/json"},
                "ignore.ssl.cert.validation": {"const": False},
            },
        },
        "parameters": {"type": "array", "minItems": 1, "items": AUTH_PARAMETER},
    },
}
# §6 Vendor, §10 item 1.
VENDOR = {
    "type": "object",
    "required": ["name", "display_name", "connection_type", "auth_templates", "vendor_endpoints"],
    "properties": {
        "name": {"const": "insightly_api"}, "display_name": {"const": "Insightly"},
        "connection_type": {"const": "rest"}, "category": {"const": "api"},
        "auth_templates": {"type": "array", "minItems": 1, "items": AUTH_TEMPLATE},
        "vendor_endpoints": {"type": "array", "minItems": 1,
                             "items": {"type": "string", "pattern": r"^insightly_api\."}},
    },
}
# §7 shared step fields, §10 item 10.
ITERATION_STEP = {
    "type": "object",
    "required": ["key", "url.template", "method", "iteration.type", "response.data.path"],
    "properties": {
        "key": {"type": "string", "minLength": 1},
        "url.template": {"type": "string", "pattern": r"^https://api\.\$\{pod\}\.insightly\.com/v3\.1/"},
        "method": {"enum": ["GET", "POST", "PUT"]},
        "iteration.type": {"enum": ITERATION_TYPES},
        "response.data.path": {"type": "string", "pattern": r"^\$"},
    },
    "allOf": [
        {"if": {"properties": {"iteration.type": {"const": "paging.incrementing.offset"}}},
         "then": {"required": ["param.offset", "start.offset.from"]}},
        {"if": {"properties": {"url.template": {"pattern": r"\{now"}}},
         "then": {"required": ["date.format", "date.time.unit"]}},
    ],
    "not": {"properties": {"url.template": {"pattern": r"last_run_time"}}},
}
# §6 VendorEndpoint: a source or a sink, never both (§10 item 2).
SOURCE_ENDPOINT = {
    "type": "object",
    "required": ["name", "display_name", "description", "source_template"],
    "properties": {
        "name": {"type": "string", "pattern": r"^insightly_api\.get_[a-z0-9_]+$"},
        "description": {"type": "string", "minLength": 1},
        "source_template": {"type": "object", "required": ["rest.iterations"], "properties": {
            "rest.iterations": {"type": "array", "minItems": 1, "items": ITERATION_STEP}}},
    },
    "not": {"required": ["sink_template"]},
}
# §4 and §10 item 11: one request per record, the whole record as the body.
SINK_TEMPLATE = {
    "type": "object",
    "required": ["url.template", "method", "content.type"],
    "properties": {
        "url.template": {"type": "string", "pattern": r"^https://api\.\$\{pod\}\.insightly\.com/v3\.1/"},
        "method": {"enum": ["POST", "PUT", "DELETE"]},
        "content.type": {"const": "application/json"},
        "body.template": {"const": "{message.json}"},
    },
    "if": {"properties": {"method": {"enum": ["POST", "PUT"]}}}, "then": {"required": ["body.template"]},
}
SINK_ENDPOINT = {
    "type": "object",
    "required": ["name", "display_name", "description", "sink_template"],
    "properties": {
        "name": {"type": "string", "pattern": r"^insightly_api\.(create|update|upsert|delete)_[a-z0-9_]+$"},
        "description": {"type": "string", "minLength": 1},
        "sink_template": {"anyOf": [SINK_TEMPLATE, {"type": "null"}]},
    },
    "not": {"required": ["source_template"]},
}
# §2.4 item 3: the agent API's probe answers.
PROBE_OK = {"type": "object", "required": ["ok", "kind"],
            "properties": {"ok": {"const": True}, "kind": {"const": "api"}}}
PROBE_ERROR = {"type": "object", "required": ["ok", "error", "detail", "nexla_request_id"],
               "properties": {"ok": {"const": False}, "error": {"type": "string", "minLength": 1},
                              "detail": {"type": "string", "minLength": 1},
                              "nexla_request_id": {"type": "string", "minLength": 1}}}
CLASSIC_PROBE = {"type": "object", "required": ["status", "message", "connection_type"],
                 "properties": {"connection_type": {"const": "rest"}}}
PROBE_SAMPLE = {"allOf": [PROBE_OK, {
    "required": ["samples", "schema", "sample_format"],
    "properties": {"samples": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                   "schema": {"type": "object", "required": ["$schema", "type", "properties"],
                              "properties": {"$schema": {"const": DRAFT_04}, "type": {"const": "object"}}},
                   "sample_format": {"enum": ["records", "csv", "json", "jsonl", "unknown"]}}}]}


def conforms(instance: object, shape: dict) -> None:
    jsonschema.Draft7Validator(shape).validate(instance)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "insightly_connector", *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_SECONDS, check=False, cwd=cwd)


@pytest.fixture(scope="module")
def harness():
    with Harness(rate_limit_per_second=None, contacts=40) as running:
        yield running


@pytest.fixture(scope="module")
def described() -> dict:
    result = cli("spec")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def credential_file(tmp_path: Path, harness: Harness, **overrides: str) -> str:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps({"name": "probe", "api_key": harness.api_key, "password": "", "pod": harness.pod,
                                "base_url": harness.base_url, **overrides}))
    return str(path)


def test_vendor_view_and_auth_template(described: dict) -> None:
    vendor = described["vendor"]
    conforms(vendor, VENDOR)
    parameters = {p["name"]: p for p in vendor["auth_templates"][0]["parameters"]}
    assert parameters["api_key"]["secured"] and parameters["password"]["secured"]
    assert not parameters["pod"]["secured"]
    assert parameters["pod"]["allowed_values"] == ["na1", "eu1", "au1"]
    assert parameters["plan"]["allowed_values"] == ["free", "legacy", "plus", "professional", "enterprise"]
    assert "name" not in parameters and "description" not in parameters  # the credential's own fields (§2.1)
    endpoints = {e["name"] for e in described["source"]["endpoints"] + described["sink"]["endpoints"]}
    assert set(vendor["vendor_endpoints"]) <= endpoints


def test_describe_surface(described: dict) -> None:
    credential = described["credential"]
    [mode] = credential["auth_modes"]
    assert mode["name"] == credential["auth_mode"] == "insightly_api.basic"
    for field in mode["fields"]:
        conforms(field, AUTH_PARAMETER)
    assert described["source"]["shared_fields"] == ["start_cron"] and "shared_fields" not in described["sink"]
    assert set(credential["non_secure"]).isdisjoint({"api_key", "password"})


def test_source_endpoints_have_rest_iterations(described: dict) -> None:
    endpoints = {e["name"]: e for e in described["source"]["endpoints"]}
    for endpoint in endpoints.values():
        conforms(endpoint, SOURCE_ENDPOINT)
    [contacts] = endpoints["insightly_api.get_contacts"]["source_template"]["rest.iterations"]
    assert contacts["iteration.type"] == "paging.incrementing.offset" and contacts["param.offset"] == "skip"
    assert contacts["url.template"].endswith("/Contacts?top=500") and contacts["response.data.path"] == "$[*]"
    [updated] = endpoints["insightly_api.get_updated_contacts"]["source_template"]["rest.iterations"]
    assert "/Contacts/Search?updated_after_utc={now-1}" in updated["url.template"]
    assert updated["date.format"] == "yyyy-MM-dd'T'HH:mm:ss'Z'"
    assert endpoints["insightly_api.get_custom_object_records"]["resource_parameters"][0]["name"] == "object_name"


def test_sink_endpoints_have_templates(described: dict) -> None:
    endpoints = {e["name"]: e for e in described["sink"]["endpoints"]}
    for endpoint in endpoints.values():
        conforms(endpoint, SINK_ENDPOINT)
    assert endpoints["insightly_api.create_contacts"]["sink_template"]["method"] == "POST"
    assert endpoints["insightly_api.update_contacts"]["sink_template"]["method"] == "PUT"
    assert endpoints["insightly_api.delete_contacts"]["sink_template"]["url.template"].endswith(
        "/Contacts/{record.CONTACT_ID}")
    assert endpoints["insightly_api.create_milestones"]["sink_template"]["url.template"].endswith(
        "/Projects/{record.PROJECT_ID}/Milestones")
    upsert = endpoints["insightly_api.upsert_contacts"]
    assert upsert["sink_template"] is None and "write" in upsert["description"]
    assert "insightly_api.upsert_contacts" not in described["vendor"]["vendor_endpoints"]


def test_record_schemas_are_draft04(described: dict) -> None:
    assert described["schemas"]
    for schema in described["schemas"].values():
        assert schema["$schema"] == DRAFT_04 and schema["type"] == "object"
        jsonschema.Draft4Validator.check_schema(schema)
    resources = {e["resource"] for e in described["source"]["endpoints"] + described["sink"]["endpoints"]}
    assert resources <= set(described["schemas"])


def test_probe_validate_inline_credential(harness: Harness, tmp_path: Path) -> None:
    good = cli("probe", "validate", "--credential", credential_file(tmp_path, harness), cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    answer = json.loads(good.stdout)
    conforms(answer, PROBE_OK)
    conforms(answer, CLASSIC_PROBE)
    assert answer["verified_status"] == "200 Ok" and answer["verified_at"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credential.json"]  # validated, nothing saved

    wrong = cli("probe", "validate", "--credential", credential_file(tmp_path, harness, api_key="not-the-key"))
    refused = json.loads(wrong.stdout)
    assert wrong.returncode == 1
    conforms(refused, PROBE_ERROR)
    conforms(refused, CLASSIC_PROBE)
    assert refused["error"] == "wrong_key" and refused["status"] == 401

    invalid = cli("probe", "validate", "--credential", credential_file(tmp_path, harness, password="secret"))
    form_error = json.loads(invalid.stdout)
    conforms(form_error, PROBE_ERROR)
    assert form_error["error"] == "invalid_credential" and "password" in form_error["detail"]
    for text in (good.stdout, good.stderr, wrong.stdout, wrong.stderr):
        assert harness.api_key not in text


def test_probe_sample(harness: Harness, tmp_path: Path) -> None:
    credential = credential_file(tmp_path, harness)
    result = cli("probe", "sample", "--credential", credential, "--endpoint", "insightly_api.get_contacts",
                 "--count", "3")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    conforms(answer, PROBE_SAMPLE)
    assert answer["sample_format"] == "records" and len(answer["samples"]) == 3
    jsonschema.Draft4Validator.check_schema(answer["schema"])
    for record in answer["samples"]:
        jsonschema.Draft4Validator(answer["schema"]).validate(record)
        assert "CONTACT_ID" in record

    custom = json.loads(cli("probe", "sample", "--credential", credential, "--endpoint",
                            "insightly_api.get_fruit__c", "--count", "2").stdout)
    conforms(custom, PROBE_SAMPLE)
    assert {f["name"] for f in custom["schema"]["x-custom-fields"]} >= {"Harvested__c", "Weight__c"}

    sink = cli("probe", "sample", "--credential", credential, "--endpoint", "insightly_api.create_contacts")
    assert sink.returncode == 1
    conforms(json.loads(sink.stdout), PROBE_ERROR)


def test_streams_under_a_parent_are_chained_calls_nexla_can_fill(described: dict) -> None:
    """A child stream's template lists the parents, then asks once per parent through Nexla's step macro; a
    flattened stream reaches into its parent's nested array. No runner-only `{parent.id}` is left for Nexla."""
    endpoints = {e["name"]: e for e in described["source"]["endpoints"]}
    parents, children = endpoints["insightly_api.get_contacts_file_attachments"]["source_template"]["rest.iterations"]
    assert parents["key"] == "parents" and parents["url.template"].endswith("/Contacts?top=500")
    assert children["url.template"].endswith("/Contacts/{step_parents.CONTACT_ID}/FileAttachments?top=500")
    [links] = endpoints["insightly_api.get_contacts_links"]["source_template"]["rest.iterations"]
    assert links["url.template"].endswith("/Contacts?top=500") and links["response.data.path"] == "$[*].LINKS[*]"
    templates = [step["url.template"] for e in endpoints.values() for step in e["source_template"]["rest.iterations"]]
    assert not [t for t in templates if "{parent." in t]
