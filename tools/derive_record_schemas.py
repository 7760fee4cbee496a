"""Derive schemas/records/<resource>.json from the vendored Insightly Swagger, for every resource
connector.yaml declares (dynamic templates included). Deterministic: a test re-runs it and requires
the committed files to be byte-identical.

Why derived and not hand-written: the Swagger is the authority for fields, types, lengths and
read-only flags; hand copies drift. What the Swagger gets wrong for live data is patched here, in one
visible table (LIVE_FIELDS, ENTITY_NOTES), from ../shared/insightly/api-notes.md §4.

    .venv/bin/python tools/derive_record_schemas.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from insightly_connector.spec.loader import Resource, Spec, load_spec  # noqa: E402

SWAGGER_PATH = REPO_ROOT / "vendor" / "insightly-v3.1-swagger.json"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
KEPT_FORMATS = frozenset({"int32", "int64"})
DYNAMIC_PLACEHOLDERS = {"${object_name}": "{objectName}"}
INLINE_WIDTH = 110

_VISIBLE_TO = {"type": ["string", "null"], "maxLength": 11, "x-source": "live",
               "description": "Who may see the record, e.g. EVERYONE (live-only field, api-notes §4.1)."}
_VISIBLE_TEAM_ID = {"type": ["integer", "null"], "format": "int64", "x-source": "live",
                    "description": "The team that may see the record (live-only field, api-notes §4.1)."}

# Live fields the Swagger omits (api-notes §4.3), per Swagger entity title: (insert after, name, schema).
LIVE_FIELDS: dict[str, list[tuple[str, str, dict]]] = {
    "Contact": [("BACKGROUND", "VISIBLE_TO", _VISIBLE_TO), ("OWNER_USER_ID", "VISIBLE_TEAM_ID", _VISIBLE_TEAM_ID)],
    "Lead": [
        ("NEXT_ACTIVITY_DATE_UTC", "VISIBLE_TO", _VISIBLE_TO),
        ("VISIBLE_TO", "VISIBLE_TEAM_ID", _VISIBLE_TEAM_ID),
        ("TAGS", "LINKS", {"$link_items": True}),
    ],
    # Airbyte's manifest declares these live, as the notes infer for every user-owned record (§4.3).
    **{title: [("OWNER_USER_ID", "VISIBLE_TO", _VISIBLE_TO), ("VISIBLE_TO", "VISIBLE_TEAM_ID", _VISIBLE_TEAM_ID)]
       for title in ("Organisation", "Opportunity", "Project", "Event")},
    "Task": [("OWNER_USER_ID", "VISIBLE_TO", _VISIBLE_TO), ("VISIBLE_TO", "VISIBLE_TEAM_ID", _VISIBLE_TEAM_ID),
             ("VISIBLE_TEAM_ID", "PUBLICLY_VISIBLE", {"type": ["boolean", "null"], "x-source": "live",
                                                      "description": "Whether the task is public (live-only)."})],
    "Team": [("TEAM_NAME", "ANONYMOUS_TEAM", {"type": ["boolean", "null"], "x-source": "live",
                                              "description": "A team made for individual visibility (live-only)."})],
    "CustomObjectsRecords": [
        ("DATE_CREATED_UTC", "DATE_UPDATED_UTC", {"$date": True, "readOnly": True}),
        ("DATE_UPDATED_UTC", "CREATED_USER_ID", {"type": ["integer", "null"], "format": "int32", "readOnly": True}),
    ],
    "CustomField": [("FIELD_VALUE", "CUSTOM_FIELD_ID", {"type": ["string", "null"], "x-source": "live",
                                                         "description": "Same text as FIELD_NAME (live-only)."})],
}

# Judgement calls worth stating in the schema itself, per Swagger entity title.
ENTITY_NOTES = {
    "Lead": "LEAD_SOURCE_ID and LEAD_STATUS_ID stay in x-required-on-create because the Swagger requires "
            "them, although the server may fill the instance's defaults (api-notes §4.3, INFERRED).",
    "Task": "OWNER_USER_ID and COMPLETED stay in x-required-on-create because the Swagger requires them, "
            "although the server probably defaults them to the caller and false (api-notes §4.3, INFERRED).",
    "Email": "No DATE_UPDATED_UTC: the resource is read in full, not incrementally.",
    "Note": "Created only under a parent (POST /{Parent}/{id}/Notes), named by an entry of LINKS.",
    "CustomObjectsRecords": "One schema for the records of every custom object; discover adds each "
                            "object's custom fields.",
}


# GET responses whose Swagger schema contradicts the operation's own summary, and the definition that
# fits the summary: "Gets a Record's File Attachments" answers custom-object records in the Swagger.
# "Gets a list of Comments of a Note" (/Notes/{id}/Comment) answers a Note.
RESPONSE_OVERRIDES = {"/{objectName}/{id}/FileAttachments": "APIFileAttachment", "/Notes/{id}/Comment": "APIComment"}


def derive_all(spec: Spec, swagger: dict) -> dict[str, dict]:
    """Every record schema the spec names, keyed by its path relative to the spec root."""
    out: dict[str, dict] = {}
    for resource in spec.resources.values():
        out[_relative(spec, resource.schema_path)] = derive(resource, swagger, spec)
    return dict(sorted(out.items()))


def derive(resource: Resource, swagger: dict, spec: Spec | None = None) -> dict:
    """One resource's record schema from the success response of its `GET path` (a dynamic template's
    `${object_name}` is the Swagger's `{objectName}`, a child's `{parent.*}` the Swagger's parameter);
    a flattened stream's from the items of its parent's array field. Records read under a parent get
    the parent's key first."""
    name = resource.name
    path = swagger_path_of(resource)
    swagger_path = match_swagger_path(path, swagger["paths"], custom_object=resource.dynamic is not None)
    if swagger_path is None or "get" not in swagger["paths"][swagger_path]:
        raise SystemExit(f"{name}: no GET {path} in the Swagger")
    responses = swagger["paths"][swagger_path]["get"]["responses"]
    response = next(responses[code]["schema"] for code in ("200", "201") if "schema" in responses.get(code, {}))
    if swagger_path in RESPONSE_OVERRIDES:
        response = {"$ref": f"#/definitions/{RESPONSE_OVERRIDES[swagger_path]}"}
    entity = _resolve(response.get("items", response), swagger)
    title = entity.get("title", name)
    properties = _properties(entity, swagger)
    if resource.flatten is not None:  # the converted items of the array (live-only arrays included)
        field = resource.flatten.field
        title, properties = f"{title} {field}", properties[field]["items"]["properties"]
        entity = {}
    declared = resource.child or resource.flatten
    if declared is not None and declared.parent_key_field not in properties:
        parent_key = _parent_key(spec, declared.parent, swagger) if spec is not None else {"type": ["integer", "null"]}
        properties = {declared.parent_key_field: {**parent_key, "x-source": "parent",
                                                  "description": f"The key of the {declared.parent} record "
                                                                 "this one was read under (added by the connector)."},
                      **properties}
    if resource.child is not None and resource.child.ancestor_key_fields and spec is not None:
        properties = {**_ancestor_keys(spec, resource, swagger), **properties}
    has_create = "create" in resource.write
    create_only = _create_only(resource, entity, properties) if has_create else []
    for field in create_only:
        properties[field]["x-create-only"] = True
    required = [field for field in entity.get("required", [])
                if not properties.get(field, {}).get("readOnly") or field in create_only] \
        if resource.child is None and resource.flatten is None else []  # read-only: no create here
    required += [field for field in _parent_fields(resource) if field not in required]
    cursor = resource.incremental["cursor_field"] if resource.incremental else None
    notes = " ".join(filter(None, [_LENIENCY, ENTITY_NOTES.get(title), _create_only_note(create_only)]))
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "description": f"An Insightly {title} record as returned by GET {swagger_path}. {notes}",
        "type": "object",
        "additionalProperties": True,
        "x-resource": name,
        "x-primary-key": resource.primary_key,
        **({"x-key-fields": list(resource.key_fields)} if declared is not None else {}),
        "x-cursor-field": cursor,
        "x-required-on-create": required,
        "properties": properties,
    }


def swagger_path_of(resource: Resource) -> str:
    path = resource.path
    for placeholder, swagger_name in DYNAMIC_PLACEHOLDERS.items():
        path = path.replace(placeholder, swagger_name)
    return re.sub(r"\{parent\.[A-Za-z0-9_]+\}", "{id}", path, count=1)


def _parent_key(spec: Spec, parent_name: str, swagger: dict) -> dict:
    """The parent's primary key as its own record schema types it."""
    parent = spec.resources[parent_name]
    derived = derive(parent, swagger, spec)
    return {key: value for key, value in derived["properties"][parent.primary_key].items()
            if key in ("type", "format", "maxLength")}


def _ancestor_keys(spec: Spec, resource: Resource, swagger: dict) -> dict:
    """The keys of the records a child stream's parent was itself read under, typed as the parent's
    schema types them (it carries them first)."""
    parent = spec.resources[resource.child.parent]
    carried = derive(parent, swagger, spec)["properties"]
    return {field: {**{key: value for key, value in carried[field].items() if key in ("type", "format", "maxLength")},
                    "x-source": "parent",
                    "description": f"The key of the record {parent.name} was read under (added by the connector)."}
            for field in resource.child.ancestor_key_fields if field in carried}


def match_swagger_path(path: str, swagger_paths: dict, *, custom_object: bool = False) -> str | None:
    """The Swagger path serving `path`: itself if literal, else the template with fewest parameters.
    The Swagger's `/{objectName}...` operations serve custom objects only: a misspelt standard
    collection (`/Tickets`) must not pass for one."""
    if path in swagger_paths:
        return path
    matches = [candidate for candidate in swagger_paths
               if (custom_object or not candidate.startswith("/{objectName}"))
               and re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(candidate)), path)]
    return min(matches, key=lambda candidate: (candidate.count("{"), candidate), default=None)


_LENIENCY = ("Derived from vendor/insightly-v3.1-swagger.json by tools/derive_record_schemas.py; do not "
             "edit by hand. Lenient for reads: every field is nullable, other properties are allowed, "
             "CUSTOMFIELDS[].FIELD_VALUE takes any type. Dates are UTC strings 'YYYY-MM-DD HH:MM:SS' "
             "(x-format), not RFC 3339. maxLength 0 in the Swagger means unspecified and is omitted; "
             "maxLength on non-strings is dropped. x-required-on-create is the Swagger's required list "
             "minus read-only fields, plus what a write under a parent path needs.")


def _properties(entity: dict, swagger: dict) -> dict:
    properties = {field: _convert(prop, swagger) for field, prop in entity.get("properties", {}).items()}
    for after, field, prop in LIVE_FIELDS.get(entity.get("title", ""), []):
        properties = _insert_after(properties, after, field, _live_field(prop, swagger))
    return properties


def _live_field(prop: dict, swagger: dict) -> dict:
    if prop.get("$link_items"):
        links = _convert({"type": "array", "items": {"$ref": "#/definitions/APILinkDto"}}, swagger)
        return {**links, "x-source": "live"}
    if prop.get("$date"):
        return {**_convert({"type": "string", "format": "date-time"}, swagger), "readOnly": True, "x-source": "live"}
    return {**prop, "x-source": "live"}


def _convert(prop: dict, swagger: dict) -> dict:
    """A Swagger property as a lenient draft-07 property."""
    if "$ref" in prop:
        return _object(_resolve(prop, swagger), swagger, nullable=True)
    kind = prop.get("type")
    if kind == "array":
        items = _resolve(prop["items"], swagger)
        item_schema = _object(items, swagger, nullable=False) if items.get("type") == "object" else \
            _convert(items, swagger)
        converted: dict[str, Any] = {"type": ["array", "null"], "items": item_schema}
    elif kind == "object" and not prop.get("properties"):
        converted = {"description": "Any JSON value: its type follows the custom field's FIELD_TYPE."}
    elif kind == "object":
        return _object(prop, swagger, nullable=True)
    else:
        converted = {"type": [kind, "null"]}
        if prop.get("format") == "date-time":
            converted.update({"pattern": DATE_PATTERN, "x-format": DATE_FORMAT})
        elif prop.get("format") in KEPT_FORMATS:
            converted["format"] = prop["format"]
        if kind == "string" and prop.get("maxLength"):
            converted["maxLength"] = prop["maxLength"]
    if prop.get("readOnly"):
        converted["readOnly"] = True
    return converted


def _object(entity: dict, swagger: dict, *, nullable: bool) -> dict:
    return {
        "type": ["object", "null"] if nullable else "object",
        "additionalProperties": True,
        "properties": _properties(entity, swagger),
    }


def _resolve(schema: dict, swagger: dict) -> dict:
    if "$ref" in schema:
        return swagger["definitions"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _insert_after(properties: dict, after: str, field: str, prop: dict) -> dict:
    if after not in properties:
        raise SystemExit(f"live field {field}: anchor {after} not found")
    result: dict = {}
    for key, value in properties.items():
        if key != field:
            result[key] = value
        if key == after:
            result[field] = prop
    return result


def _create_only(resource: Resource, entity: dict, properties: dict) -> list[str]:
    """Read-only fields a create must still carry: required references to other records (the
    Swagger marks them read-only because they cannot change later) and the parent id of a write
    under a parent path."""
    required_refs = [field for field in entity.get("required", [])
                     if properties.get(field, {}).get("readOnly") and field.endswith("_ID")
                     and field != resource.primary_key]
    parents = [field for field in _parent_fields(resource) if properties.get(field, {}).get("readOnly")]
    return required_refs + [field for field in parents if field not in required_refs]


def _parent_fields(resource: Resource) -> list[str]:
    parent = resource.write.get("create", {}).get("parent", {})
    field = parent.get("links_field", parent.get("id_field"))
    return [field] if field else []


def _create_only_note(fields: list[str]) -> str:
    if not fields:
        return ""
    return (f"Read-only in the Swagger yet sent on create (x-create-only): {', '.join(fields)}; they name "
            "the parent or a referenced record and cannot change afterwards.")


def _relative(spec: Spec, path: Path) -> str:
    return path.relative_to(spec.root).as_posix()


def render(schema: dict) -> str:
    """Stable, diff-friendly JSON: anything that fits on one line stays on one line."""
    return _dump(schema, 0) + "\n"


def _dump(value: Any, indent: int, prefix: int = 0) -> str:
    """`prefix` is the width already used on the line (the key), so the fit test is exact."""
    inline = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, (dict, list)) or not value or indent + prefix + len(inline) <= INLINE_WIDTH:
        return inline
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(key)}: {_dump(item, indent + 2, len(json.dumps(key)) + 2)}"
                 for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _dump(item, indent + 2) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT, help="root to write schemas/records/ under")
    args = parser.parse_args(argv)
    spec = load_spec(load_schemas=False)
    swagger = json.loads(SWAGGER_PATH.read_text(encoding="utf-8"))
    for relative, schema in derive_all(spec, swagger).items():
        target = args.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(schema), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
