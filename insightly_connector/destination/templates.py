"""The write templates of one resource, compiled once: how a payload becomes a request.

A template names the method, the path (with `{record.*}` / `{parent.*}` macros), query params, the
parent a path is built from (an id field, or a link list naming the parent's collection), whether an
update carries the id in its body, and the server's creation stamp that confirms a lost create. A
payload no request can be built for is a problem of that record, so it raises `RecordRejected`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from insightly_connector.destination.validation import RecordRejected
from insightly_connector.errors import ConfigError
from insightly_connector.spec.templating import TemplateValueError, render_runtime, runtime_macros


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any] | None
    body: dict[str, Any] | None


@dataclass(frozen=True)
class ParentRule:
    """Where a record names its parent: an id field, or a links list (`links_field`) whose item with a
    known `name_field` gives the parent's collection and id."""

    id_field: str | None
    links_field: str | None = None
    name_field: str | None = None
    collections: Mapping[str, str] = field(default_factory=dict)

    def find(self, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The parent a path is built from, and the body without the link that named it."""
        if self.links_field:
            links = payload.get(self.links_field) or []
            for index, link in enumerate(links if isinstance(links, list) else []):
                name = link.get(self.name_field) if isinstance(link, Mapping) else None
                if name in self.collections and link.get(self.id_field) not in (None, ""):
                    body = dict(payload)
                    rest = [item for position, item in enumerate(links) if position != index]
                    if rest:
                        body[self.links_field] = rest
                    else:
                        body.pop(self.links_field)
                    return {"collection": self.collections[name], "id": link[self.id_field], "name": name}, body
            raise RecordRejected("validation", f"a {self.links_field} item with {self.name_field} one of "
                                               f"{', '.join(self.collections)} and its {self.id_field} must name "
                                               "the parent")
        if self.id_field and payload.get(self.id_field) not in (None, ""):
            return {"id": payload[self.id_field]}, dict(payload)
        raise RecordRejected("validation", f"the parent's id {self.id_field} is needed to address the record")


@dataclass(frozen=True)
class WriteTemplate:
    method: str
    path: str
    params: Mapping[str, str]
    id_in_body: bool
    parent: ParentRule | None
    created_field: str | None = None  # the server's creation stamp: evidence for a create of unknown outcome
    created_format: str | None = None

    @classmethod
    def compile(cls, declared: Mapping[str, Any]) -> WriteTemplate:
        parent = declared.get("parent")
        return cls(declared["method"], declared["path"], dict(declared.get("params") or {}),
                   bool(declared.get("id_in_body", True)),
                   ParentRule(parent.get("id_field"), parent.get("links_field"), parent.get("name_field"),
                              dict(parent.get("collections") or {})) if parent else None,
                   declared.get("created_field"), declared.get("created_format"))

    @property
    def uses_parent(self) -> bool:
        return any(macro.startswith("parent.") for text in (self.path, *self.params.values())
                   for macro in runtime_macros(text))


@dataclass(frozen=True)
class LookupTemplate:
    """The exact-match search an upsert (and a lost create with an upsert key) runs: `{field}` = `{value}`."""

    method: str
    path: str
    params: Mapping[str, str]


@dataclass(frozen=True)
class WriteTemplates:
    """Every write mode of one resource, plus its lookup."""

    primary_key: str
    modes: Mapping[str, WriteTemplate]
    lookup_template: LookupTemplate | None

    @classmethod
    def compile(cls, primary_key: str, declared: Mapping[str, Mapping[str, Any]]) -> WriteTemplates:
        lookup = (declared.get("upsert") or {}).get("lookup")
        return cls(primary_key, {mode: WriteTemplate.compile(template) for mode, template in declared.items()
                                 if mode != "upsert"},
                   LookupTemplate(lookup["method"], lookup["path"], dict(lookup.get("params") or {}))
                   if lookup else None)

    def request(self, action: str, payload: dict[str, Any]) -> Request:
        template = self.modes[action]
        body: dict[str, Any] | None = dict(payload)
        parent: dict[str, Any] = {}
        if template.uses_parent and template.parent is not None:
            parent, body = template.parent.find(payload)
        values = {"record": payload, "parent": parent}
        path = render_path(template.path, values)
        params = {name: _render_param(value, values) for name, value in template.params.items()}
        if action == "delete":
            body = None
        elif action == "update" and not template.id_in_body and body is not None:
            body.pop(self.primary_key, None)
        return Request(template.method, path, params or None, body)

    def lookup(self, field_name: str, value: Any) -> Request:
        if self.lookup_template is None:
            raise ConfigError(f"no lookup template to match on {field_name}")
        values = {"field": field_name, "value": value}
        lookup = self.lookup_template
        params = {name: _render_param(text, values) for name, text in lookup.params.items()}
        return Request(lookup.method, render_path(lookup.path, values), params, None)

    def addressing_fields(self) -> set[str]:
        """Fields a record needs only to be addressed (a parent's id), never sent as data."""
        return {template.parent.id_field for template in self.modes.values()
                if template.parent and template.parent.id_field and not template.parent.links_field}


def render_path(text: str, values: Mapping[str, Any]) -> str:
    try:
        return render_runtime(text, values)
    except TemplateValueError as exc:
        raise RecordRejected("validation", f"cannot address the record: {exc}") from None


def _render_param(text: str, values: Mapping[str, Any]) -> str:
    try:
        return render_runtime(str(text), values, quote_values=False)
    except TemplateValueError as exc:
        raise RecordRejected("validation", f"cannot address the record: {exc}") from None
