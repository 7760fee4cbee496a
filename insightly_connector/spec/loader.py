"""Load and validate connector.yaml, then build one `Resource` per collection with defaults merged.

The YAML is checked against `schemas/connector.schema.json` before anything reads it, so a typo is
reported as `connector.yaml: resources.contacts.pathh: ...` instead of surfacing later as odd runtime
behaviour. Building a resource fills its `${param}` placeholders once; runtime `{macros}` are left
for the caller. Nothing here knows Insightly: every fact comes from the YAML."""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match

from insightly_connector.errors import ConfigError
from insightly_connector.spec.templating import render_build, runtime_macros

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SPEC_PATH = REPO_ROOT / "connector.yaml"
META_SCHEMA_PATH = REPO_ROOT / "schemas" / "connector.schema.json"
WRITE_MODES = ("create", "update", "upsert", "delete")
_SECRET_MARKERS = ("secret", "airbyte_secret", "writeOnly")
_SAFE_MESSAGES = frozenset({"required", "additionalProperties", "dependencies"})
# A template's own Resource keeps its per-object placeholders visible ("/${object_name}").
_KEPT_OBJECT_PARAMS = {key: f"${{{key}}}" for key in ("object_name", "object_key", "object_label")}


@dataclass(frozen=True, eq=False)
class Resource:
    """One readable (and maybe writable) collection, with defaults merged and `${}` filled.

    Three kinds: static (`dynamic` is None); a dynamic template (`dynamic` set, `dynamic_source`
    None, `${object_*}` placeholders kept: not readable until expanded); and a resource expanded
    from a template (`dynamic` describes the object, `dynamic_source` names the template)."""

    name: str
    display_name: str
    description: str
    path: str
    primary_key: str
    endpoint: str
    schema: dict
    schema_path: Path
    read: dict
    incremental: dict | None
    custom_fields_path: str | None
    write: dict
    write_modes: tuple[str, ...]
    upsert_key: str | None
    single_object: bool
    dynamic: dict | None
    dynamic_source: str | None = None


@dataclass(eq=False)
class Spec:
    """The validated connector: plain dicts for the global sections, `Resource`s for the rest."""

    path: Path
    root: Path
    connector: dict
    credential: dict
    http: dict
    custom_fields: dict
    defaults: dict
    credential_form: dict
    resources: dict[str, Resource]
    schemas_loaded: bool = True
    _raw_templates: dict[str, dict] = field(default_factory=dict, repr=False)

    def resource(self, name: str) -> Resource:
        """The resource called `name`; an unknown name is a `ConfigError` suggesting close ones."""
        try:
            return self.resources[name]
        except KeyError:
            raise ConfigError(_unknown(f"resource {name!r}", name, self.resources)) from None

    def expand_dynamic(self, template_name: str, objects: Iterable[Mapping[str, Any]]) -> list[Resource]:
        """One resource per object found live (e.g. each custom object of `/CustomObjects`)."""
        if template_name not in self._raw_templates:
            raise ConfigError(_unknown(f"dynamic template {template_name!r}", template_name,
                                       self._raw_templates))
        template = self._raw_templates[template_name]
        dynamic = template["dynamic"]
        where = f"{self.path.name}: resources.{template_name}"
        built: list[Resource] = []
        for obj in objects:
            object_name = obj.get(dynamic["name_field"]) if isinstance(obj, Mapping) else None
            if not isinstance(object_name, str) or not object_name.strip():
                raise ConfigError(f"{where}: a listed object has no {dynamic['name_field']}")
            object_key = re.sub(r"[^a-z0-9_]+", "_", object_name.lower()).strip("_")
            label = obj.get(dynamic.get("label_field", "")) or object_name
            params = {"object_name": quote(object_name, safe=""), "object_key": object_key,
                      "object_label": str(label)}
            name = render_build(dynamic["name"], params)
            if not object_key or name in self.resources or any(r.name == name for r in built):
                raise ConfigError(f"{where}: object {object_name!r} gives the resource name {name!r}, "
                                  "which is empty or already taken")
            described = {key: value for key, value in dynamic.items() if key not in ("name", "display_name")}
            built.append(_build_resource(self, name, template, params,
                                         {**described, "object_name": object_name}, template_name))
        return built


def load_spec(path: str | Path | None = None, *, load_schemas: bool = True) -> Spec:
    """Read, validate and build the spec (default: the repository's connector.yaml).

    `load_schemas=False` skips reading the record schemas and the credential form (`schema` is then
    `{}`): the schema generator uses it, since it is what writes them."""
    path = Path(path) if path is not None else DEFAULT_SPEC_PATH
    label = path.name
    document = _read_yaml(path)
    validate_against(_read_json(META_SCHEMA_PATH, "the connector meta-schema"), document, label)
    root = path.resolve().parent
    credential = document["credential"]
    form_path = root / credential["form"]
    form = _read_json(form_path, f"{label}: credential.form") if load_schemas else {}
    if load_schemas:
        _check_schema(form, f"{label}: credential.form: {credential['form']}")
    spec = Spec(path=path, root=root, connector=document["connector"], credential=credential,
                http=document["http"], custom_fields=document["custom_fields"], defaults=document["defaults"],
                credential_form=form,
                resources={}, schemas_loaded=load_schemas)
    for name, raw in document["resources"].items():
        if "dynamic" in raw:
            spec._raw_templates[name] = raw
            shown = {**raw, "display_name": raw["dynamic"].get("display_name", name)}
            spec.resources[name] = _build_resource(spec, name, shown, _KEPT_OBJECT_PARAMS, raw["dynamic"])
        else:
            spec.resources[name] = _build_resource(spec, name, raw, {}, None)
    for name, raw in spec._raw_templates.items():
        spec.expand_dynamic(name, [{raw["dynamic"]["name_field"]: "Sample"}])  # fail at load, not live
    return spec


def validate_against(schema: dict, instance: Any, label: str) -> None:
    """Validate `instance` (draft-07); raise one `ConfigError` line naming the JSON path.

    The offending value is shown only for scalars outside properties marked secret / writeOnly, so
    this is safe to use on credentials."""
    error = best_match(Draft7Validator(schema).iter_errors(instance))
    if error is None:
        return
    location = _location(error.absolute_path)
    reveal = not _is_secret(schema, error)
    prefix = f"{label}: {location}: " if location else f"{label}: "
    raise ConfigError(prefix + _explain(error, reveal))


# -- building resources ------------------------------------------------------------------------------


def _build_resource(spec: Spec, name: str, raw: dict, params: dict, dynamic: dict | None,
                    dynamic_source: str | None = None) -> Resource:
    defaults = spec.defaults
    where = f"{spec.path.name}: resources.{name}"
    params = {"code": spec.connector["code"], "name": name, **params}

    def render(value: Any, key: str) -> Any:
        return _render(value, params, f"{where}.{key}")

    for key in ("path", "display_name"):
        params[key] = render(raw[key], key)
    params["primary_key"] = raw["primary_key"]
    params["write_path"] = render(raw.get("write_path", defaults["write_path"]), "write_path")
    read = render(_merge(defaults["read"], raw.get("read", {})), "read")
    incremental = raw.get("incremental", False)
    if incremental is not False:
        overrides = incremental if isinstance(incremental, dict) else {}
        incremental = render(_merge(defaults["incremental"], overrides), "incremental")
    write = _build_write(raw, defaults, render, where)
    single_object = bool(raw.get("single_object", False))
    schema_file = render(raw.get("schema", defaults["schema"]), "schema")
    schema_path = spec.root / schema_file
    schema = _load_record_schema(schema_path, f"{where}.schema: {schema_file}") if spec.schemas_loaded else {}
    resource = Resource(
        name=name,
        display_name=params["display_name"],
        description=render(raw.get("description", defaults.get("description", params["display_name"])),
                           "description"),
        path=params["path"],
        primary_key=raw["primary_key"],
        endpoint=render(raw.get("endpoint", defaults["endpoint"]), "endpoint"),
        schema=schema,
        schema_path=schema_path,
        read=read,
        incremental=incremental or None,
        custom_fields_path=render(raw["custom_fields"], "custom_fields") if "custom_fields" in raw else None,
        write=write,
        write_modes=tuple(mode for mode in WRITE_MODES if mode in write),
        upsert_key=raw.get("upsert_key"),
        single_object=single_object,
        dynamic=dynamic,
        dynamic_source=dynamic_source,
    )
    _check_resource(resource, raw, where)
    return resource


def _build_write(raw: dict, defaults: dict, render: Any, where: str) -> dict:
    declared = raw.get("write", [])
    modes = {mode: True for mode in declared} if isinstance(declared, list) else declared
    write: dict[str, dict] = {}
    for mode in WRITE_MODES:
        if mode not in modes:
            continue
        if mode not in defaults["write"]:
            raise ConfigError(f"{where}.write.{mode}: there is no defaults.write.{mode} to inherit")
        override = modes[mode] if isinstance(modes[mode], dict) else {}
        template = render(_merge(defaults["write"][mode], override), f"write.{mode}")
        if "parent" in raw and "parent" not in template and _uses_parent(template):
            template["parent"] = copy.deepcopy(raw["parent"])
        write[mode] = template
    if "upsert" in write and not {"create", "update"} <= write.keys():
        raise ConfigError(f"{where}.write: upsert needs both create and update")
    return write


def _check_resource(resource: Resource, raw: dict, where: str) -> None:
    """Checks the meta-schema cannot express: relations between merged values and the record schema."""
    pagination = resource.read["pagination"]
    if pagination.get("type") == "offset" and pagination["page_size"] > pagination["max_page_size"]:
        raise ConfigError(f"{where}.read.pagination.page_size: {pagination['page_size']} is greater than "
                          f"the maximum of {pagination['max_page_size']}")
    if resource.single_object and pagination.get("type") != "none":
        raise ConfigError(f"{where}.read.pagination.type: a single_object resource cannot be paged")
    for mode, template in resource.write.items():
        if _uses_parent(template) and "parent" not in template:
            raise ConfigError(f"{where}.write.{mode}: uses {{parent.*}} but no parent is declared")
    if resource.upsert_key is not None and "upsert" not in resource.write:
        raise ConfigError(f"{where}.upsert_key: the resource has no upsert mode")
    properties = resource.schema.get("properties")
    if properties is None:
        return
    fields = [("primary_key", resource.primary_key), ("upsert_key", resource.upsert_key)]
    if resource.incremental:
        fields.append(("incremental.cursor_field", resource.incremental["cursor_field"]))
    for mode, template in resource.write.items():
        parent = template.get("parent", {})
        fields.append((f"write.{mode}.parent", parent.get("links_field", parent.get("id_field"))))
    for key, field_name in fields:
        if field_name is not None and field_name not in properties:
            raise ConfigError(f"{where}.{key}: {field_name!r} is not a field of {resource.schema_path.name}")


def _uses_parent(template: dict) -> bool:
    texts = [template.get("path", ""), *template.get("params", {}).values()]
    return any(macro.startswith("parent.") for text in texts for macro in runtime_macros(text))


def _merge(base: Any, override: Any) -> Any:
    """Deep merge, override wins. A mapping whose `type` differs from the base's replaces it whole
    (switching pagination to `none` must not inherit the offset parameters)."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    if "type" in base and "type" in override and base["type"] != override["type"]:
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = _merge(merged[key], value) if key in merged else copy.deepcopy(value)
    return merged


def _render(value: Any, params: dict, where: str) -> Any:
    """Fill `${}` in every string of a nested value; errors name the YAML path."""
    if isinstance(value, str):
        try:
            return render_build(value, params)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if isinstance(value, dict):
        return {key: _render(item, params, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, params, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


# -- files ---------------------------------------------------------------------------------------------


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader (libyaml's when present) that refuses duplicate keys, which PyYAML would
    otherwise silently overwrite."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> dict:
    label = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
                          "save it as UTF-8") from None
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a safe loader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{label}: {position}invalid YAML ({problem})") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{label}: must be a mapping with connector, credential, http, defaults, resources")
    return document


def _read_json(path: Path, label: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{label}: {path.name} cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: {path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
                          f"{exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{label}: {path.name} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: {path.name} must hold a JSON object")
    return data


def _load_record_schema(path: Path, label: str) -> dict:
    """A record schema must be an object schema. The full draft-07 check is left to the tests and
    the generator: run on every load it would cost more than everything else here together."""
    schema = _read_json(path, label)
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise ConfigError(f"{label}: must be an object schema with properties")
    return schema


def _check_schema(schema: dict, label: str) -> None:
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as exc:
        raise ConfigError(f"{label}: not a valid draft-07 schema ({exc.message})") from None


# -- messages ------------------------------------------------------------------------------------------


def _location(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _is_secret(schema: dict, error: ValidationError) -> bool:
    """True if the failing value sits at (or under) a property marked secret in the schema."""
    nodes = [error.schema]
    node: Any = schema
    for part in error.absolute_path:
        if not isinstance(node, dict):
            break
        if isinstance(part, str) and part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(part, int) and isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            break
        nodes.append(node)
    return any(isinstance(n, dict) and (any(n.get(m) for m in _SECRET_MARKERS)
                                        or n.get("x-nexla", {}).get("secured")) for n in nodes)


_MAX_SHOWN_VALUE_CHARS = 120


def _explain(error: ValidationError, reveal: bool) -> str:
    """jsonschema's own sentence when it is safe and short; otherwise one built without the value."""
    scalar = error.instance is None or isinstance(error.instance, (str, int, float, bool))
    reveal = reveal and len(repr(error.instance)) <= _MAX_SHOWN_VALUE_CHARS  # a megabyte echoed back helps nobody
    if error.validator == "not" and error.validator_value == {}:  # `not: {}`: the key may not be here
        return "is not allowed here"
    examples = error.schema.get("examples") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and examples:  # a form field: show what is expected, not a regex
        shown = f"{error.instance!r} " if reveal else ""
        return f"{shown}does not have the expected format (for example {', '.join(map(str, examples))})"
    if error.validator in _SAFE_MESSAGES or (reveal and scalar):
        return error.message
    expected = error.validator_value
    generic = {
        "type": f"must be of type {expected}",
        "maxLength": "must be blank" if expected == 0 else f"is longer than {expected} characters",
        "minLength": "must not be empty" if expected == 1 else f"is shorter than {expected} characters",
        "pattern": "does not have the expected format",
        "const": f"must be {expected!r}",
        "enum": f"must be one of {expected}",
        "minProperties": "must not be empty",
        "minItems": "must not be empty",
        "oneOf": "does not match any accepted form",
        "anyOf": "does not match any accepted form",
    }
    return generic.get(error.validator, f"does not satisfy the {error.validator} rule")


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown {what}{hint}"
