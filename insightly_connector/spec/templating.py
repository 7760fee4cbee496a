"""The two substitution syntaxes of connector.yaml, kept apart as in Nexla.

`${param}` is filled once, when the spec is built (from the resource, the connector or the
credential); an unfilled one is a configuration error. `{macro}` is filled per request from runtime
values (`{record.FIELD}`, `{parent.id}`, `{field}`, `{value}`); a missing value is a problem of
that one record, so it raises `TemplateValueError` for the caller to turn into a reject."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from insightly_connector.errors import ConfigError

_BUILD = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_RUNTIME = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")


class TemplateValueError(ValueError):
    """A runtime macro has no usable value (absent, null, or not a scalar) for this request."""

    def __init__(self, macro: str, reason: str):
        super().__init__(f"{{{macro}}}: {reason}")
        self.macro = macro


def build_placeholders(text: str) -> list[str]:
    """The `${param}` names a template needs, in order of appearance."""
    return _BUILD.findall(text)


def runtime_macros(text: str) -> list[str]:
    """The `{macro}` names a template needs, e.g. `["parent.collection", "parent.id"]`."""
    return _RUNTIME.findall(text)


def render_build(text: str, params: Mapping[str, Any]) -> str:
    """Fill every `${x}` from `params`; a missing (or null) one is `ConfigError("Missing config x")`.

    An empty string is a value (a blank password), not a missing one."""
    if "${" not in text:  # most of the YAML's strings: no need to run the pattern
        return text

    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = params.get(name)
        if value is None:
            raise ConfigError(f"Missing config {name}")
        return _scalar_text(value)

    return _BUILD.sub(fill, text)


def render_runtime(text: str, values: Mapping[str, Any], *, quote_values: bool = True) -> str:
    """Fill every `{a.b}` by walking `values` (nested mappings). Values are URL-quoted for use in a
    path (so an id or an object name can never add a path segment); pass `quote_values=False` for
    query parameters, which the HTTP library encodes itself."""

    def fill(match: re.Match) -> str:
        macro = match.group(1)
        value: Any = values
        for part in macro.split("."):
            if not isinstance(value, Mapping) or value.get(part) is None:
                raise TemplateValueError(macro, "no value")
            value = value[part]
        if isinstance(value, (Mapping, list, tuple)):
            raise TemplateValueError(macro, "not a single value")
        text_value = _scalar_text(value)
        if text_value == "":
            raise TemplateValueError(macro, "empty value")
        return quote(text_value, safe="") if quote_values else text_value

    return _RUNTIME.sub(fill, text)


def _scalar_text(value: Any) -> str:
    """JSON spelling for booleans (`true`), plain `str` for the rest."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
