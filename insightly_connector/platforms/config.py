"""A platform's config: the credential form's fields plus the source options, in one JSON object.

Airbyte and Singer hand a source one config file (`--config`), and PyAirbyte validates it against the
SPEC's connection specification before anything runs, so that specification is the credential form with
the source options (`start_date`) beside its fields. A platform has no notion of a credential's name, so
`name` defaults to the connector's display name."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from insightly_connector.errors import ConfigError
from insightly_connector.platforms.json_file import read_json
from insightly_connector.source.start_date import parse_start_date
from insightly_connector.spec.credential import Credential, load_credential
from insightly_connector.spec.loader import Spec

#: Source options a platform config may carry beside the credential's fields (JSON Schema per option).
SOURCE_OPTIONS: dict[str, dict[str, Any]] = {
    "start_date": {
        "title": "Start date",
        "description": "Where the first sync of an incremental stream starts: records updated before this "
                       "UTC date or time are not read. Without it, the first sync reads everything.",
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$",
        "examples": ["2024-01-01", "2024-01-01T00:00:00Z"],
    },
}


@dataclass(frozen=True)
class SourceOptions:
    start_date: datetime | None = None  # naive UTC


@dataclass(frozen=True)
class PlatformConfig:
    spec: Spec
    credential: Credential
    options: SourceOptions


def connection_specification(spec: Spec, options: Mapping[str, dict[str, Any]] = SOURCE_OPTIONS) -> dict[str, Any]:
    """The credential form as a platform validates its config: `name` optional (it has a default), and
    the platform's options (a source's, a destination's) after the form's own fields."""
    form = copy.deepcopy(spec.credential_form)
    form.pop("$id", None)
    properties = form.setdefault("properties", {})
    if "name" in properties:
        properties["name"]["default"] = default_name(spec)
        form["required"] = [field for field in form.get("required", []) if field != "name"]
    order = 1 + max((p.get("x-order", 0) for p in properties.values()), default=0)
    for offset, (name, option) in enumerate(options.items()):
        properties[name] = {**copy.deepcopy(option), "x-order": order + offset}
    return form


def default_name(spec: Spec) -> str:
    return str(spec.connector.get("display_name") or spec.connector.get("code") or "connector")


def read_config(path: str | Path) -> dict[str, Any]:
    """The config file as a JSON object (its content is never echoed: it holds the key)."""
    document = read_json(path, f"--config {path}")
    if not isinstance(document, dict):
        raise ConfigError(f"--config {path}: expected a JSON object")
    return document


def load_platform_config(spec: Spec, config: dict[str, Any]) -> PlatformConfig:
    """Split a config into the credential (validated and bound to its host) and the source options."""
    fields = {key: value for key, value in config.items() if value is not None}
    options = {name: fields.pop(name) for name in SOURCE_OPTIONS if name in fields}
    fields.setdefault("name", default_name(spec))
    credential = load_credential(fields, spec)
    start_date = parse_start_date(options.get("start_date"), "config start_date")
    return PlatformConfig(spec, credential, SourceOptions(start_date=start_date))
