"""Load and validate connector.yaml, then build one `Resource` per collection with defaults merged.

The YAML is checked against `schemas/connector.schema.json` before anything reads it, so a typo is
reported as `connector.yaml: resources.contacts.pathh: ...` instead of surfacing later as odd runtime
behaviour. Building a resource fills its `${param}` placeholders once; runtime `{macros}` are left
for the caller. Nothing here knows the API: every fact comes from the YAML."""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

from insightly_connector.destination.modes import RECORD_MODES
from insightly_connector.errors import ConfigError
from insightly_connector.source.children import ChildPolicy, lineage
from insightly_connector.source.flatten import FlattenPolicy
from insightly_connector.source.incremental import CursorPolicy
from insightly_connector.source.paginators import compile_paginator
from insightly_connector.spec import validation_cache
from insightly_connector.spec.credential_policy import CredentialPolicy
from insightly_connector.spec.documents import check_schema, depends_on, load_declaration, read_json, unknown
from insightly_connector.spec.http_policy import HttpPolicy
from insightly_connector.spec.model import CustomFieldMeta, Resource
from insightly_connector.spec.templating import render_build, runtime_macros

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PACKAGE_DIR.parent  # in a checkout; the tests and tools use it
# The package carries connector.yaml and schemas/ (symlinks in a checkout, real files in a wheel).
DEFAULT_SPEC_PATH = PACKAGE_DIR / "connector.yaml"
META_SCHEMA_PATH = PACKAGE_DIR / "schemas" / "connector.schema.json"
# A template's own Resource keeps its per-object placeholders visible ("/${object_name}").
_KEPT_OBJECT_PARAMS = {key: f"${{{key}}}" for key in ("object_name", "object_key", "object_label")}
#: Keys an incremental block must have once merged with `defaults.incremental`.
_INCREMENTAL_KEYS = ("cursor_field", "cursor_format", "path", "param", "param_format", "granularity_seconds",
                     "lookback_seconds")


@dataclass(frozen=True, eq=False)
class Spec:
    """The compiled connector. `connector`, `credential` and `defaults` are the declared sections (for
    describing the connector); `http`, `credential_policy` and the `Resource`s carry the behaviour."""

    path: Path
    root: Path
    connector: dict
    credential: dict
    defaults: dict
    http: HttpPolicy
    credential_policy: CredentialPolicy
    custom_fields: CustomFieldMeta | None
    credential_form: dict
    resources: dict[str, Resource]
    schemas_loaded: bool = True
    _raw_templates: dict[str, dict] = field(default_factory=dict, repr=False)
    # What `expand_dynamic` has built so far, by name: a run's request log names those requests too.
    expanded: dict[str, Resource] = field(default_factory=dict, repr=False, compare=False)

    def resource(self, name: str) -> Resource:
        """The resource called `name`; an unknown name is a `ConfigError` suggesting close ones."""
        try:
            return self.resources[name]
        except KeyError:
            raise ConfigError(unknown(f"resource {name!r}", name, self.resources)) from None

    def parent_of(self, resource: Resource) -> Resource:
        """The resource a child or flattened stream is read under. A stream expanded from a dynamic
        template (one per custom object) hangs off its own object's expansion of the parent template."""
        declared = resource.child or resource.flatten
        assert declared is not None, f"{resource.name} is read under no parent"
        parent = self.resources[declared.parent]
        if parent.dynamic and parent.dynamic_source is None and resource.dynamic_source is not None:
            name_field = self._raw_templates[parent.name]["dynamic"]["name_field"]
            [parent] = self.expand_dynamic(parent.name, [{name_field: resource.dynamic["object_name"]}])
        return parent

    def expand_dynamic(self, template_name: str, objects: Iterable[Mapping[str, Any]]) -> list[Resource]:
        """One resource per object found live (e.g. each custom object of `/CustomObjects`)."""
        if template_name not in self._raw_templates:
            raise ConfigError(unknown(f"dynamic template {template_name!r}", template_name,
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
            resource = _build_resource(self, name, template, params, {**described, "object_name": object_name},
                                       template_name)
            _check_fields(resource, f"{self.path.name}: resources.{name}")
            built.append(resource)
        self.expanded.update((resource.name, resource) for resource in built)
        return built


def load_spec(path: str | Path | None = None, *, load_schemas: bool = True) -> Spec:
    """Read, validate and build the spec (default: the repository's connector.yaml).

    `load_schemas=False` skips reading the record schemas and the credential form (`schema` is then
    `{}`): the schema generator uses it, since it is what writes them."""
    path = Path(path) if path is not None else DEFAULT_SPEC_PATH
    label = path.name
    document = load_declaration(path, META_SCHEMA_PATH, "the connector meta-schema")
    root = path.resolve().parent
    credential = document["credential"]
    form_path = root / credential["form"]
    form = read_json(form_path, f"{label}: credential.form") if load_schemas else {}
    if load_schemas:
        check_schema(form, f"{label}: credential.form: {credential['form']}")
    custom_fields = document.get("custom_fields")
    spec = Spec(path=path, root=root, connector=document["connector"], credential=credential,
                defaults=document["defaults"], http=HttpPolicy.compile(document["http"]),
                credential_policy=CredentialPolicy.compile(credential),
                custom_fields=CustomFieldMeta.compile(custom_fields) if custom_fields else None,
                credential_form=form, resources={}, schemas_loaded=load_schemas)
    for name, raw in document["resources"].items():
        if "dynamic" in raw:
            spec._raw_templates[name] = raw
            shown = {**raw, "display_name": raw["dynamic"].get("display_name", name)}
            spec.resources[name] = _build_resource(spec, name, shown, _KEPT_OBJECT_PARAMS, raw["dynamic"])
        else:
            spec.resources[name] = _build_resource(spec, name, raw, {}, None)
    for name, raw in spec._raw_templates.items():
        spec.expand_dynamic(name, [{raw["dynamic"]["name_field"]: "Sample"}])  # fail at load, not live
    for resource in spec.resources.values():
        _check_parent(spec, resource)
    if load_schemas:
        _check_record_schemas(spec)
    for name in list(spec.resources):
        spec.resources[name] = _with_ancestor_keys(spec, spec.resources[name])
    return spec


def _with_ancestor_keys(spec: Spec, resource: Resource) -> Resource:
    """A child stream whose parent is read under records of its own carries their keys too (the loader
    knows the lineage; the resource alone does not)."""
    if resource.child is None:
        return resource
    try:
        chain = lineage(spec, resource)
    except ValueError as exc:
        raise ConfigError(f"{spec.path.name}: resources.{resource.name}.child.parent: {exc}") from None
    ancestors = tuple(upper.child.parent_key_field for upper in chain if upper.child is not None)
    return replace(resource, child=replace(resource.child, ancestor_key_fields=ancestors)) if ancestors else resource


def _check_parent(spec: Spec, resource: Resource) -> None:
    """A child or flattened stream hangs off a paged resource of its own (a dynamic template for a stream
    expanded per object too), and a child's path names the parent record with {parent.*} macros."""
    declared = resource.child or resource.flatten
    if declared is None:
        return
    where = f"{spec.path.name}: resources.{resource.name}.{'child' if resource.child else 'flatten'}.parent"
    parent = spec.resources.get(declared.parent)
    if parent is None:
        raise ConfigError(unknown(f"{where}: resource {declared.parent!r}", declared.parent, spec.resources))
    under_a_child = resource.child is not None and parent.child is not None  # read through the parent's walk
    if (parent.dynamic and not resource.dynamic) or parent.flatten or (parent.child and not under_a_child) \
            or (parent.paginator.single_request and not under_a_child):
        raise ConfigError(f"{where}: {declared.parent!r} must be a paged resource of its own, or for a child "
                          "stream another child stream (a dynamic template only for a stream that is one too)")
    if resource.write:
        raise ConfigError(f"{where}: a stream read under a parent is read-only here")
    if resource.child and not any(m.startswith("parent.") for m in runtime_macros(resource.path)):
        raise ConfigError(f"{where}: the path {resource.path!r} names no {{parent.*}} value")


def _require(block: Mapping[str, Any], keys: Iterable[str], where: str) -> None:
    """Keys a merged block must have: the YAML (its defaults or the resource) is their only source."""
    for key in keys:
        if key not in block:
            raise ConfigError(f"{where}.{key}: is required (in the resource or in defaults)")


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
        incremental = render(_merge(defaults.get("incremental", {}), overrides), "incremental")
        _require(incremental, _INCREMENTAL_KEYS, f"{where}.incremental")
    write = _build_write(raw, defaults, render, where)
    single_object = bool(raw.get("single_object", False))
    schema_file = render(raw.get("schema", defaults["schema"]), "schema")
    schema_path = spec.root / schema_file
    resource = Resource(
        name=name,
        display_name=params["display_name"],
        description=render(raw.get("description", defaults.get("description", params["display_name"])),
                           "description"),
        path=params["path"],
        primary_key=raw["primary_key"],
        endpoint=render(raw.get("endpoint", defaults["endpoint"]), "endpoint"),
        schema_path=schema_path,
        schema_label=f"{where}.schema: {schema_file}" if spec.schemas_loaded else None,
        read=read,
        incremental=incremental or None,
        custom_fields_path=render(raw["custom_fields"], "custom_fields") if "custom_fields" in raw else None,
        write=write,
        write_modes=tuple(mode for mode in RECORD_MODES if mode in write),
        upsert_key=raw.get("upsert_key"),
        single_object=single_object,
        dynamic=dynamic,
        paginator=compile_paginator(read["pagination"], single_object=single_object),
        records_path=read["records_path"],
        params=dict(read["params"]),
        cursor=CursorPolicy.from_config(incremental) if incremental else None,
        dynamic_source=dynamic_source,
        references=dict(raw.get("references") or {}),
        sub_writes=_build_sub_writes(raw, defaults, render, where),
        child=ChildPolicy.compile(raw["child"]) if "child" in raw else None,
        flatten=FlattenPolicy.compile(raw["flatten"]) if "flatten" in raw else None,
    )
    _check_resource(resource, raw, where)
    return resource


def _build_write(raw: dict, defaults: dict, render: Any, where: str) -> dict:
    declared = raw.get("write", [])
    modes = {mode: True for mode in declared} if isinstance(declared, list) else declared
    write: dict[str, dict] = {}
    for mode in RECORD_MODES:
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


def _build_sub_writes(raw: dict, defaults: dict, render: Any, where: str) -> dict:
    """Writes to what lives under a record: each a mode of its own, from `defaults.sub_writes`."""
    sub_writes: dict[str, dict] = {}
    for mode, declared in (raw.get("sub_writes") or {}).items():
        if declared is False:
            continue
        if mode in RECORD_MODES:
            raise ConfigError(f"{where}.sub_writes.{mode}: a sub-write cannot take the name of a write mode")
        base = (defaults.get("sub_writes") or {}).get(mode)
        if base is None and not isinstance(declared, dict):
            raise ConfigError(f"{where}.sub_writes.{mode}: there is no defaults.sub_writes.{mode} to inherit")
        template = render(_merge(base or {}, declared if isinstance(declared, dict) else {}), f"sub_writes.{mode}")
        missing = [key for key in ("method", "path", "outcome") if key not in template]
        if missing:
            raise ConfigError(f"{where}.sub_writes.{mode}: {', '.join(missing)} missing")
        sub_writes[mode] = template
    return sub_writes


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
    if "upsert" in resource.write and resource.upsert_key is None:  # discover would offer what write refuses
        raise ConfigError(f"{where}.write: upsert needs an upsert_key, the field to match on")


def _check_record_schemas(spec: Spec) -> None:
    """Every record schema is an object schema with the fields the declaration names (keys, cursor, parent
    links, a flattened array). The verdict is remembered under each schema file's size and modification time
    and the names checked, as Python judges its bytecode: while none changes, no schema is read here, and a
    read reads only the schemas of what it reads."""
    key = _record_schemas_key(spec)
    if key is not None and validation_cache.recall(key) is not None:
        for resource in spec.resources.values():
            depends_on(resource.schema_path)
        return
    for resource in spec.resources.values():
        _check_fields(resource, f"{spec.path.name}: resources.{resource.name}")
        if resource.flatten:
            parent = spec.resources[resource.flatten.parent]
            if resource.flatten.field not in (parent.schema.get("properties") or {}):
                raise ConfigError(f"{spec.path.name}: resources.{resource.name}.flatten.parent: "
                                  f"{resource.flatten.field!r} is not a field of {parent.schema_path.name}")
    if key is not None:
        validation_cache.remember(key, b"")


def _record_schemas_key(spec: Spec) -> str | None:
    """The cache key of the record schemas' verdict; None when a schema file cannot be found (the check
    then says so)."""
    parts = []
    for resource in spec.resources.values():
        try:
            status = os.stat(resource.schema_path)
        except OSError:
            return None
        flattened = (resource.flatten.field, str(spec.resources[resource.flatten.parent].schema_path)) \
            if resource.flatten else None
        parts.append(repr((resource.name, str(resource.schema_path), status.st_size, status.st_mtime_ns,
                           _named_fields(resource), flattened)).encode("utf-8", "surrogateescape"))
    return validation_cache.digest("record schemas", *parts)


def _named_fields(resource: Resource) -> list[tuple[str, str]]:
    """The fields the declaration names for a resource's records, by the YAML key that names each."""
    fields = [("primary_key", resource.primary_key), ("upsert_key", resource.upsert_key)]
    if resource.incremental:
        fields.append(("incremental.cursor_field", resource.incremental["cursor_field"]))
    for mode, template in resource.write.items():
        parent = template.get("parent", {})
        fields.append((f"write.{mode}.parent", parent.get("links_field", parent.get("id_field"))))
    return [(key, name) for key, name in fields if name is not None]


def _check_fields(resource: Resource, where: str) -> None:
    """The record schema (read now) is an object schema with every field the declaration names."""
    properties = resource.schema.get("properties")
    if properties is None:  # loaded without record schemas
        return
    for key, field_name in _named_fields(resource):
        if field_name not in properties:
            raise ConfigError(f"{where}.{key}: {field_name!r} is not a field of {resource.schema_path.name}")


def _uses_parent(template: dict) -> bool:
    texts = [template.get("path", ""), *template.get("params", {}).values()]
    return any(macro.startswith("parent.") for text in texts for macro in runtime_macros(text))


def _merge(base: Any, override: Any) -> Any:
    """Deep merge, override wins. A mapping whose `type` differs from the base's replaces it whole
    (switching pagination to `none` must not inherit the offset parameters).

    The result shares values with the YAML document: it is only ever passed to `_render`, whose
    result is made of new containers throughout, so a resource never holds a part of the document."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    if "type" in base and "type" in override and base["type"] != override["type"]:
        return override
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merge(merged[key], value) if key in merged else value
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


