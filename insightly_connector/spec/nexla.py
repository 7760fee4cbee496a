"""Nexla's vendor view of the compiled spec: the vendor, its auth template and parameters, and one
endpoint template per source and sink.

Nexla builds a templated REST connector as Vendor -> AuthTemplate (+ AuthParameters) -> VendorEndpoints,
each template written in its `rest` connector's keys. `${param}` placeholders are filled when Nexla
builds a credential or source (from the auth parameters); `{macro}`s are filled per run or per record
(`{now-1}`, `{record.FIELD}`, `{message.json}`). Everything here is derived from the spec, so a second
API declared in YAML gets its own view with no code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource

DRAFT_04 = "http://json-schema.org/draft-04/schema#"
#: Nexla keeps these on the credential itself; every other form field is an auth parameter.
CREDENTIAL_LEVEL_FIELDS = ("name", "description")
#: Nexla's `{now-N}` macro counts in `date.time.unit`; an incremental template asks for the last N units.
#: Nexla's enum values for the unit and format pickers were not visible (reference §8): these are inferred.
NOW_UNITS = 1
NOW_MACRO = f"{{now-{NOW_UNITS}}}"
DATE_TIME_UNIT = "DAYS"
_STRFTIME_TO_JAVA = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%f": "SSSSSS"}
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def vendor_view(spec: Spec) -> dict:
    """Vendor and auth template (with its parameters), and the names of every endpoint a Nexla template
    can express (the endpoints themselves are `source_endpoints` and `sink_endpoints`)."""
    connector = spec.connector
    endpoints = [*source_endpoints(spec), *(e for e in sink_endpoints(spec) if e["sink_template"] is not None)]
    return {
        "name": connector["code"],
        "display_name": connector["display_name"],
        "description": connector.get("description", ""),
        "connection_type": connector["connection_type"],
        "category": connector["category"],
        "auth_templates": [auth_template(spec)],
        "vendor_endpoints": [endpoint["name"] for endpoint in endpoints],
    }


def record_schemas(spec: Spec) -> dict[str, dict]:
    """Each resource's record schema as draft-04, the form a Nexset's `output_schema` takes."""
    return {resource.name: draft04(resource.schema) for resource in spec.resources.values()}


def auth_template(spec: Spec) -> dict:
    """The credential as Nexla's rest connector stores it, with `${param}` for each auth parameter."""
    declared = spec.credential
    check = declared["check"]
    config = {
        **_AUTH_KEYS[declared["auth"]["type"]](declared["auth"]),
        "test.url": declared["base_url"] + check["path"],
        "test.method": check["method"],
        "test.content.type": "application/json",
        "ignore.ssl.cert.validation": False,
    }
    return {
        "name": declared["auth_mode"],
        "display_name": spec.connector["display_name"],
        "description": spec.credential_form.get("description", ""),
        "config": config,
        "parameters": auth_parameters(spec.credential_form),
    }


def _basic(auth: Mapping[str, str]) -> dict:
    return {"auth.type": "BASIC", "basic.username": auth["username"], "basic.password": auth["password"]}


def _bearer(auth: Mapping[str, str]) -> dict:
    return {"auth.type": "API_KEY", "api.key.include.mode": "HEADER", "api.key.auth.key": "Authorization",
            "api.key.auth.value": f"Bearer {auth['token']}"}


_AUTH_KEYS = {"basic": _basic, "bearer": _bearer}


def credential_fields(form: Mapping[str, Any]) -> list[dict]:
    """Every field of the credential form in Nexla's AuthParameter vocabulary, in form order.

    The form's `x-nexla` block wins over the JSON Schema words (`title`, `type`, `enum`, `x-order`)."""
    required = set(form.get("required", []))
    fields = []
    for index, (name, prop) in enumerate(form.get("properties", {}).items()):
        nexla = prop.get("x-nexla", {})
        allowed = nexla.get("allowed_values", prop.get("enum"))
        fields.append({
            "name": name,
            "display_name": nexla.get("display_name", prop.get("title", name)),
            "description": prop.get("description", ""),
            "data_type": nexla.get("data_type", prop.get("type", "string")),
            "order": nexla.get("order", prop.get("x-order", index)),
            "secured": bool(nexla.get("secured", prop.get("secret") or prop.get("writeOnly"))),
            "allowed_values": list(allowed) if allowed is not None else None,
            "required": name in required,
            "default": prop.get("default"),
            "hidden": bool(prop.get("x-hidden")),
            "advanced": bool(prop.get("x-advanced")),
            "platform_set": "x-nexla" not in prop,
        })
    return sorted(fields, key=lambda f: f["order"])


def auth_parameters(form: Mapping[str, Any]) -> list[dict]:
    """The fields a user fills in for the auth template (not the credential's own name and description,
    nor what the platform sets)."""
    return [{key: value for key, value in field.items() if key != "platform_set"}
            for field in credential_fields(form)
            if field["name"] not in CREDENTIAL_LEVEL_FIELDS and not field["platform_set"]]


# -- sources -------------------------------------------------------------------------------------------


def source_endpoints(spec: Spec) -> list[dict]:
    """Per readable resource a full-read endpoint and, when incremental, an updated-since one."""
    endpoints = []
    for resource in spec.resources.values():
        endpoints.append(_source(spec, resource, resource.endpoint, incremental=False))
        if resource.incremental and resource.incremental.get("endpoint"):
            endpoints.append(_source(spec, resource, resource.incremental["endpoint"], incremental=True))
    return endpoints


def _source(spec: Spec, resource: Resource, name: str, *, incremental: bool) -> dict:
    steps = _steps(spec, resource, incremental)
    description = resource.description + _under_parent_note(spec, resource)
    if incremental:
        description += (f" Incremental: records whose {resource.cursor.cursor_field} is within the last "
                        f"{NOW_UNITS} {DATE_TIME_UNIT.lower()} ({NOW_MACRO}); schedule it at that period.")
    return {
        "name": name,
        "display_name": resource.display_name + (" (updated)" if incremental else ""),
        "description": description + " Records come as the API returns them: no transform is needed.",
        "resource_type": "SOURCE",
        "resource": resource.name,
        "incremental": incremental,
        "dynamic": bool(resource.dynamic),
        "primary_key": resource.primary_key,
        "cursor_field": resource.cursor.cursor_field if resource.cursor else None,
        "resource_parameters": _resource_parameters(spec, steps[-1]["url.template"], "SOURCE"),
        "ingest_method": spec.connector.get("ingest_method", "POLL"),
        "source_template": {"rest.iterations": steps},
    }


def _steps(spec: Spec, resource: Resource, incremental: bool) -> list[dict]:
    """A resource of its own is one step. A child stream is Nexla's chained call: the parents' list, then
    one request per parent with the parent's key through the step macro `{step_parents.KEY}` (under a
    child stream, that stream's own chain comes first, its last step the parents). A flattened
    stream is its parent's step with the record path reaching into the nested array."""
    if resource.flatten is not None:
        parent = spec.parent_of(resource)
        step = _iteration(spec, parent, incremental and parent.cursor is not None)
        step["response.data.path"] = f"{parent.records_path}[*].{resource.flatten.field}[*]"
        return [step]
    if resource.child is not None:
        parent = spec.parent_of(resource)
        if parent.child is not None:  # under a child stream: its own chain, its last step the parents here
            upper = _steps(spec, parent, incremental)
            upper[-1].update({"key": f"{_PARENTS_STEP}{len(upper)}", "results.pass.through": False})
        else:
            upper = [_iteration(spec, parent, incremental and parent.cursor is not None)]
            upper[0].update({"key": _PARENTS_STEP, "results.pass.through": False})
        child = _iteration(spec, resource, False)
        child["key"] = f"step{len(upper) + 1}"
        child["url.template"] = _PARENT_MACRO.sub(
            lambda m: f"{{step_{upper[-1]['key']}.{parent.primary_key if m[1] == 'id' else m[1]}}}",
            child["url.template"])
        return [*upper, child]
    return [_iteration(spec, resource, incremental)]


_PARENTS_STEP = "parents"
_PARENT_MACRO = re.compile(r"\{parent\.(\w+)\}")  # the runner's {parent.id} and {parent.FIELD}


def _under_parent_note(spec: Spec, resource: Resource) -> str:
    """What a platform's template cannot do that the runner's read does: add the parent's key to each record."""
    declared = resource.child or resource.flatten
    if declared is None:
        return ""
    parent = spec.parent_of(resource)
    return (f" Read under each record of {parent.name}; the runner's read adds the parent's key "
            f"({declared.parent_key_field}) to each record, which this template does not.")


def _iteration(spec: Spec, resource: Resource, incremental: bool) -> dict:
    """One `rest.iterations` step: the URL with its fixed parameters, and the paging in Nexla's words."""
    pagination = resource.read["pagination"]
    params = dict(resource.params)
    path = resource.path
    if incremental:
        policy = resource.cursor
        path = policy.path
        params[policy.param] = NOW_MACRO
    step: dict[str, Any] = {"key": "step1", "method": "GET", "response.format": "json",
                            "response.data.path": _records_path(resource.records_path)}
    kind = "single" if resource.single_object else pagination["type"]
    step.update(_PAGING[kind](pagination, params))
    query = urlencode(params, safe="{}-")
    step["url.template"] = spec.credential["base_url"] + path + (f"?{query}" if query else "")
    if incremental:
        step["date.format"] = java_date_format(resource.cursor.param_format)
        step["date.time.unit"] = DATE_TIME_UNIT
    return step


def _offset(pagination: Mapping[str, Any], params: dict) -> dict:
    params[pagination["limit_param"]] = pagination["page_size"]
    return {"iteration.type": "paging.incrementing.offset", "param.offset": pagination["offset_param"],
            "start.offset.from": 0}


def _next_token(pagination: Mapping[str, Any], params: dict) -> dict:
    if pagination.get("limit_param"):
        params[pagination["limit_param"]] = pagination["page_size"]
    return {"iteration.type": "paging.next.token", "response.next.token.data.path": pagination["token_path"],
            "param.id": pagination["token_param"]}


def _next_link(pagination: Mapping[str, Any], params: dict) -> dict:
    if pagination.get("limit_param"):
        params[pagination["limit_param"]] = pagination["page_size"]
    if pagination.get("link_path"):
        return {"iteration.type": "paging.next.url", "response.next.url.data.path": pagination["link_path"]}
    return {"iteration.type": "link.header"}


def _static(pagination: Mapping[str, Any], params: dict) -> dict:
    return {"iteration.type": "static.url"}


_PAGING = {"offset": _offset, "next_token": _next_token, "next_link": _next_link, "none": _static,
           "single": _static}


def _records_path(path: str) -> str:
    """The spec's `$.a.b` record path as Nexla's JSONPath to each record (`$[*]`, `$.a.b[*]`)."""
    return f"{path}[*]"


def java_date_format(strftime_format: str) -> str:
    """`%Y-%m-%dT%H:%M:%SZ` -> `yyyy-MM-dd'T'HH:mm:ss'Z'` (the Java pattern Nexla's date pickers use)."""
    out, literal = [], ""
    for token in re.findall(r"%.|[^%]", strftime_format):
        if token in _STRFTIME_TO_JAVA:
            out.append(f"'{literal}'" if literal.isalpha() else literal)
            literal = ""
            out.append(_STRFTIME_TO_JAVA[token])
        else:
            literal += token
    out.append(f"'{literal}'" if literal.isalpha() else literal)
    return "".join(out)


# -- sinks ---------------------------------------------------------------------------------------------


def sink_endpoints(spec: Spec) -> list[dict]:
    """One endpoint per resource and write mode. A mode Nexla's one-request template cannot express (a
    lookup first, or a parent named by the record's links) has `sink_template` None: the runner's
    `write` verb performs it."""
    code = spec.connector["code"]
    endpoints = []
    for resource in spec.resources.values():
        for mode in resource.write_modes:
            declared = resource.write[mode]
            template, runner_only = _sink_template(spec, declared)
            endpoints.append({
                "name": declared.get("endpoint", f"{code}.{mode}_{resource.name}"),
                "display_name": f"{mode.capitalize()} {resource.display_name}",
                "description": _sink_description(resource, mode, declared, runner_only),
                "resource_type": "SINK",
                "resource": resource.name,
                "mode": mode,
                "primary_key": resource.primary_key,
                "upsert_key": resource.upsert_key if mode == "upsert" else None,
                "sink_template": template,
            })
    return endpoints


def _sink_template(spec: Spec, declared: Mapping[str, Any]) -> tuple[dict | None, str]:
    """The template, or None and why not. The runner's `{parent.id}` from an id field is Nexla's
    `{record.FIELD}`; `{record.FIELD}` itself is the same macro in both."""
    if "lookup" in declared:
        return None, "an exact-match lookup, then an update or a create"
    path = declared["path"]
    parent = declared.get("parent") or {}
    if parent.get("links_field"):
        return None, f"a request under the parent named in the record's {parent['links_field']}"
    if parent.get("id_field"):
        path = path.replace("{parent.id}", f"{{record.{parent['id_field']}}}")
    query = urlencode(declared.get("params") or {}, safe="{}.")
    template: dict[str, Any] = {"url.template": spec.credential["base_url"] + path + (f"?{query}" if query else ""),
                                "method": declared["method"], "content.type": "application/json"}
    if declared["method"] in ("POST", "PUT"):
        template["body.template"] = "{message.json}"
    return template, ""


def _sink_description(resource: Resource, mode: str, declared: Mapping[str, Any], runner_only: str) -> str:
    text = f"{mode.capitalize()} {resource.display_name}, one request per record."
    if runner_only:
        text += f" Runs in this connector's `write` verb ({runner_only}): no single request template expresses it."
    elif declared.get("id_in_body"):
        text += f" The record carries its {resource.primary_key} in the body."
    return text + " Records must already have the API's field names (shape them with a transform first)."


def _resource_parameters(spec: Spec, url: str, resource_type: str) -> list[dict]:
    """Placeholders an endpoint URL keeps beyond the auth parameters (a dynamic object's name)."""
    auth = set(spec.credential_form.get("properties", {}))  # the names credential_fields gives, one per field
    names = [name for name in dict.fromkeys(_PLACEHOLDER.findall(url)) if name not in auth]
    return [{"name": name, "display_name": name.replace("_", " ").capitalize(), "data_type": "string",
             "resource_type": resource_type} for name in names]


# -- schemas -------------------------------------------------------------------------------------------


def draft04(schema: Mapping[str, Any]) -> dict:
    """A record schema as JSON Schema draft-04 (Nexla's Nexset schemas): the newer keywords rewritten, in
    new containers throughout (the resource's own schema is left as it is)."""
    converted = _to_draft04(dict(schema) or {"type": "object"})
    converted["$schema"] = DRAFT_04
    converted.setdefault("type", "object")
    converted.setdefault("properties", {})
    return converted


def _to_draft04(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_draft04(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _to_draft04(value) for key, value in node.items() if key not in ("examples", "$comment")}
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if "$id" in out:
        out["id"] = out.pop("$id")
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), (int, float)) and not isinstance(out[bound], bool):
            out[limit] = out.pop(bound)
            out[bound] = True
    return out
