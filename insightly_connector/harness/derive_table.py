"""Derive the harness's resource table from Insightly's Swagger file, plus the live deltas from the notes.

The harness is driven by this table, not by hand-written field lists, so that what it serves follows
the published API. The derived table is committed (`resource_table.json`, read at start-up without the
Swagger file); a test proves it equals a fresh derivation.

    python -m insightly_connector.harness.derive_table [SWAGGER] [OUT]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

DEFAULT_SWAGGER = Path(__file__).resolve().parents[2] / "vendor" / "insightly-v3.1-swagger.json"
TABLE_PATH = Path(__file__).with_name("resource_table.json")
CUSTOM_OBJECT_ROUTE = "{objectName}"

# Sub-resources of a record that are its nested collections (GET /{Object}/{id}/Tags -> record TAGS).
NESTED_SUBRESOURCES = {"Tags": "TAGS", "Links": "LINKS", "Dates": "DATES", "EmailDomains": "EMAILDOMAINS"}

# Fields live responses carry that the Swagger file lacks (api-notes §4.3). Each entry:
# (collection, field, after-field, field spec, source).
_VISIBILITY = ({"type": "string", "max_length": 11, "read_only": False},
               {"type": "integer", "format": "int64", "read_only": False})
LIVE_FIELDS = [
    ("Contacts", "VISIBLE_TO", "BACKGROUND", _VISIBILITY[0], "observed"),
    ("Contacts", "VISIBLE_TEAM_ID", "OWNER_USER_ID", _VISIBILITY[1], "observed"),
    ("Leads", "VISIBLE_TO", "NEXT_ACTIVITY_DATE_UTC", _VISIBILITY[0], "observed"),
    ("Leads", "VISIBLE_TEAM_ID", "VISIBLE_TO", _VISIBILITY[1], "observed"),
    ("Leads", "LINKS", "CUSTOMFIELDS", {"type": "array", "items": "APILinkDto"}, "observed"),
    (CUSTOM_OBJECT_ROUTE, "DATE_UPDATED_UTC", "DATE_CREATED_UTC",
     {"type": "string", "format": "date-time", "read_only": True}, "observed"),
    (CUSTOM_OBJECT_ROUTE, "CREATED_USER_ID", "DATE_UPDATED_UTC",
     {"type": "integer", "format": "int32", "read_only": True}, "observed"),
] + [
    (name, field, "OWNER_USER_ID", spec, "inferred")
    for name in ("Organisations", "Opportunities", "Projects", "Tasks", "Events")
    for field, spec in (("VISIBLE_TEAM_ID", _VISIBILITY[1]), ("VISIBLE_TO", _VISIBILITY[0]))
]
LIVE_DEFINITION_FIELDS = [("APICustomField", "CUSTOM_FIELD_ID", {"type": "string"}, "observed")]


def derive(swagger: dict) -> dict:
    """Build the table: collections with fields, required fields, operations and child routes."""
    paths = swagger["paths"]
    definitions = {name: _fields(schema, swagger) for name, schema in swagger["definitions"].items()}
    for definition, field, spec, _source in LIVE_DEFINITION_FIELDS:
        definitions[definition].append({"name": field, **_complete(spec)})
    collections = {}
    for path in paths:
        parts = path.strip("/").split("/")
        if len(parts) == 1 and "get" in paths[path] and parts[0] != "cti":
            collections[parts[0]] = _collection(parts[0], paths, swagger)
    for name, field, after, spec, _source in LIVE_FIELDS:
        _insert_after(collections[name]["fields"], after, {"name": field, **_complete(spec)})
    for name in ("Users/Me", "CustomFields/{objectName}", "CustomFields/{objectName}/Search",
                 "CustomObjects/{customObjectName}"):
        collections[name] = _collection(name, paths, swagger)
    return {
        "swagger_sha256": hashlib.sha256(json.dumps(swagger, sort_keys=True).encode()).hexdigest(),
        "definitions": definitions,
        "collections": collections,
    }


def _collection(name: str, paths: dict, swagger: dict) -> dict:
    base = "/" + name
    get = paths[base]["get"]
    schema = get["responses"]["200"]["schema"]
    shape = "list" if schema.get("type") == "array" else "object"
    item = _resolve(schema["items"] if shape == "list" else schema, swagger)
    fields = _fields(item, swagger)
    post = paths[base].get("post")
    body = next((p["schema"] for p in (post or {}).get("parameters", []) if p.get("in") == "body"), None)
    required = _resolve(body, swagger).get("required", []) if body else item.get("required", [])
    read_only = {f["name"] for f in fields if f.get("read_only")}
    by_id = paths.get(base + "/{id}", {})
    operations = {"read": {"shape": shape, "params": _params(get)}}
    if "get" in by_id:
        operations["get"] = {}
    if post:
        operations["create"] = {"status": _success(post)}
    if "put" in paths[base]:
        operations["update"] = {"status": _success(paths[base]["put"])}
    if "delete" in by_id:
        operations["delete"] = {"id_in": "path", "deactivates": _deactivates(by_id["delete"])}
    elif "delete" in paths[base]:
        operations["delete"] = {"id_in": "query", "deactivates": _deactivates(paths[base]["delete"])}
    for verb, key in (("Search", "search"), ("SearchByTag", "search_by_tag")):
        if "get" in paths.get(f"{base}/{verb}", {}):
            operations[key] = {"params": _params(paths[f"{base}/{verb}"]["get"])}
    return {
        "path": base,
        "title": item.get("title", name),
        "primary_key": fields[0]["name"] if fields else None,
        "fields": fields,
        "required": [f for f in required if f not in read_only],  # on create
        "schema_required": item.get("required", []),  # always set in answers (read-only ones included)
        "operations": operations,
        "subresources": _subresources(base, paths),
        "subresource_queries": _subresource_queries(base, paths),
    }


def _subresources(base: str, paths: dict) -> dict:
    """Routes `/{Collection}/{id}/{Sub}` and `/{Collection}/{id}/{Sub}/{param}` (keyed `Sub/{}`): the
    methods each answers, as the Swagger file lists them."""
    prefix = base + "/{id}/"
    found = {}
    for path, ops in paths.items():
        rest = path[len(prefix):].split("/") if path.startswith(prefix) else []
        if len(rest) == 1 or (len(rest) == 2 and rest[1].startswith("{")):
            key = rest[0] if len(rest) == 1 else rest[0] + "/{}"
            found[key] = sorted(m.upper() for m in ops if m != "parameters")
    return dict(sorted(found.items()))


def _subresource_queries(base: str, paths: dict) -> dict:
    """The query parameters of each sub-route's GET (paging, `updated_after_utc`), where it takes any."""
    prefix = base + "/{id}/"
    found = {}
    for path, ops in paths.items():
        rest = path[len(prefix):].split("/") if path.startswith(prefix) else []
        if "get" in ops and (len(rest) == 1 or (len(rest) == 2 and rest[1].startswith("{"))):
            params = _params(ops["get"])
            if params:
                found[rest[0] if len(rest) == 1 else rest[0] + "/{}"] = params
    return dict(sorted(found.items()))


def _deactivates(operation: dict) -> bool:
    """Category DELETEs answer "Deactivation succeeded.": the record stays, inactive."""
    return any("Deactivation" in (answer.get("description") or "") for answer in operation["responses"].values())


def _params(operation: dict) -> list[str]:
    return [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]


def _success(operation: dict) -> int:
    return min(int(code) for code in operation["responses"] if code.startswith("2"))


def _resolve(schema: dict, swagger: dict) -> dict:
    if "$ref" in schema:
        return swagger["definitions"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _fields(schema: dict, swagger: dict) -> list[dict]:
    result = []
    for name, prop in _resolve(schema, swagger).get("properties", {}).items():
        spec = {"type": prop.get("type", "object")}
        if "$ref" in prop:
            spec = {"type": "object", "ref": prop["$ref"].rsplit("/", 1)[1]}
        elif spec["type"] == "array":
            items = prop.get("items", {})
            spec["items"] = items["$ref"].rsplit("/", 1)[1] if "$ref" in items else items.get("type")
        if prop.get("format") and prop["format"] != "string":
            spec["format"] = prop["format"]
        if prop.get("maxLength") and prop.get("type") == "string":
            spec["max_length"] = prop["maxLength"]
        if "readOnly" in prop:
            spec["read_only"] = prop["readOnly"]
        result.append({"name": name, **spec})
    return result


def _complete(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if v is not None}


def _insert_after(fields: list[dict], after: str, field: dict) -> None:
    names = [f["name"] for f in fields]
    fields.insert(names.index(after) + 1 if after in names else len(fields), field)


def load_swagger(path: Path = DEFAULT_SWAGGER) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def render(table: dict) -> str:
    return json.dumps(table, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    swagger = Path(argv[0]) if argv else DEFAULT_SWAGGER
    out = Path(argv[1]) if len(argv) > 1 else TABLE_PATH
    out.write_text(render(derive(load_swagger(swagger))), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
