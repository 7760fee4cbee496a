"""Every record the harness serves validates against its Swagger response shape.

The JSON Schema is built here, straight from the vendored Swagger file (not from the harness's table),
with the live API's known differences: empty fields are null, extra live fields are allowed, record
dates use `YYYY-MM-DD HH:MM:SS`, and custom-field values are scalars (the Swagger file says "object").
"""

from __future__ import annotations

import re
from functools import cache

import jsonschema
import pytest

from insightly_connector.harness.derive_table import DEFAULT_SWAGGER, load_swagger

RECORD_DATE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
SINGLE_OBJECTS = ("/Users/Me", "/Instance", "/Permissions")
VALUE_TYPES = {"TEXT": str, "MULTILINETEXT": str, "DROPDOWN": str, "MULTISELECT": str, "URL": str,
               "AUTONUMBER": str, "DATE": str, "DATETIME": str, "BIT": bool, "NUMERIC": (int, float),
               "PERCENT": (int, float)}


@cache
def swagger() -> dict:
    return load_swagger(DEFAULT_SWAGGER)


def json_schema(node: dict) -> dict:
    """Swagger 2.0 schema -> JSON Schema for a live answer."""
    if "$ref" in node:
        return _nullable(json_schema(swagger()["definitions"][node["$ref"].rsplit("/", 1)[1]]))
    kind = node.get("type")
    if kind == "array":
        return _nullable({"type": "array", "items": json_schema(node.get("items", {}))})
    if kind == "object" or "properties" in node:
        properties = {name: json_schema(prop) for name, prop in node.get("properties", {}).items()}
        if node.get("title") == "CustomField":
            properties["FIELD_VALUE"] = {}  # live values are strings, numbers or booleans
        return _nullable({"type": "object", "properties": properties, "required": node.get("required", [])})
    schema: dict = {"type": kind}
    if kind == "string":
        if node.get("format") == "date-time":
            schema["pattern"] = RECORD_DATE
        elif node.get("maxLength"):
            schema["maxLength"] = node["maxLength"]
    if kind == "integer" and node.get("format") == "int32":
        schema.update(minimum=-(2**31), maximum=2**31 - 1)
    return _nullable(schema)


def check(instance, schema: dict) -> None:
    jsonschema.Draft7Validator(schema).validate(instance)


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def response_schema(path: str) -> dict:
    node = swagger()["paths"][path]["get"]["responses"]["200"]["schema"]
    return json_schema(node)


def item_schema(path: str) -> tuple[dict, list[str]]:
    node = swagger()["paths"][path]["get"]["responses"]["200"]["schema"]
    item = node["items"] if node.get("type") == "array" else node
    if "$ref" in item:
        item = swagger()["definitions"][item["$ref"].rsplit("/", 1)[1]]
    return json_schema(item), list(item.get("properties", {}))


def list_collections(api) -> list[tuple[str, str]]:
    """(URL path, Swagger path) of every list collection the harness serves."""
    result = []
    for path, ops in swagger()["paths"].items():
        name = path.strip("/")
        if "/" in name or "{" in name or "get" not in ops or name in ("Tags", "Instance", "Permissions"):
            continue
        if api.get(path, top=1).status_code == 200:
            result.append((path, path))
    for custom in api.get("/CustomObjects").json():
        result.append(("/" + custom["OBJECT_NAME"], "/{objectName}"))
    return result


def test_the_harness_serves_every_swagger_list_collection_it_should(api):
    served = {url for url, _ in list_collections(api)}
    assert {"/Contacts", "/Ticket", "/KnowledgeArticleFolder", "/Fruit__c", "/Countries"} <= served
    assert len(served) >= 45


def test_every_generated_record_validates_against_its_swagger_shape(api):
    checked = 0
    for url, swagger_path in list_collections(api):
        schema, properties = item_schema(swagger_path)
        validator = jsonschema.Draft7Validator(schema)
        params = {"brief": "false"} if "brief" in _query_params(swagger_path) else {}
        records = api.all(url, **params) if "top" in _query_params(swagger_path) else api.get(url).json()
        assert records, url
        required = _required(swagger_path)
        for record in records:
            validator.validate(record)
            missing = [p for p in properties if p not in record]
            assert not missing, (url, missing)  # full answers carry every field, null when empty
            empty = [name for name in required if record.get(name) in (None, "")]
            assert not empty, (url, empty)  # generated records could be written back as they are
            checked += 1
    assert checked > 300


def test_single_objects_and_metadata_validate(api):
    for path in SINGLE_OBJECTS:
        check(api.get(path).json(), response_schema(path))
    check(api.get("/Tags", record_type="contacts").json(), response_schema("/Tags"))
    check(api.get("/CustomObjects").json(), response_schema("/CustomObjects"))
    check(api.get("/CustomObjects/Fruit__c").json(),
                        response_schema("/CustomObjects/{customObjectName}"))
    for name in ("Contacts", "Fruit__c", "Shipment__c"):
        check(api.get(f"/CustomFields/{name}").json(), response_schema("/CustomFields/{objectName}"))


def test_brief_records_validate_and_leave_out_nested_collections(api):
    validator = jsonschema.Draft7Validator(item_schema("/Contacts")[0])
    for record in api.get("/Contacts", brief="true", top=50).json():
        validator.validate(record)
        assert not {"CUSTOMFIELDS", "TAGS", "DATES", "LINKS"} & set(record)


@pytest.mark.parametrize("collection", ["Contacts", "Organisations", "Opportunities", "Leads", "Projects",
                                        "Fruit__c", "Shipment__c"])
def test_custom_field_values_have_the_type_of_their_field(api, collection):
    types = {f["FIELD_NAME"]: f["FIELD_TYPE"] for f in api.get(f"/CustomFields/{collection}").json()}
    seen = set()
    for record in api.all(f"/{collection}"):
        for item in record["CUSTOMFIELDS"]:
            assert item["CUSTOM_FIELD_ID"] == item["FIELD_NAME"] and item["FIELD_NAME"] in types
            value, kind = item["FIELD_VALUE"], types[item["FIELD_NAME"]]
            if value is None:
                continue
            seen.add(kind)
            assert isinstance(value, VALUE_TYPES[kind]) and (kind == "BIT" or not isinstance(value, bool)), item
            if kind in ("DATE", "DATETIME"):
                assert re.match(RECORD_DATE, value)
    assert seen == set(types.values())  # every field type occurs in the generated data


def test_records_created_over_http_validate(fresh_api):
    schema, properties = item_schema("/Contacts")
    created = fresh_api.post("/Contacts", {"FIRST_NAME": "Shape", "TAGS": [{"TAG_NAME": "x"}]}).json()
    check(created, schema)
    assert all(p in created for p in properties)
    custom_schema, _ = item_schema("/{objectName}")
    check(fresh_api.post("/Fruit__c", {"RECORD_NAME": "Quince"}).json(), custom_schema)


def _required(swagger_path: str) -> list[str]:
    node = swagger()["paths"][swagger_path]["get"]["responses"]["200"]["schema"]
    item = node.get("items", node)
    if "$ref" in item:
        item = swagger()["definitions"][item["$ref"].rsplit("/", 1)[1]]
    return item.get("required", [])


def _query_params(swagger_path: str) -> list[str]:
    return [p["name"] for p in swagger()["paths"][swagger_path]["get"].get("parameters", []) if p.get("in") == "query"]
