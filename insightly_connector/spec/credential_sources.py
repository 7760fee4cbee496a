"""Where a credential's fields come from besides a JSON file: standard input (`--credential -`) and
environment variables, as Meltano, CI systems and containers pass secrets.

An environment variable is named after the connector's vendor and the form's field, upper-cased:
`<VENDOR>_<FIELD>` (the field `api_key` of vendor `acme` is `ACME_API_KEY`). Its text is converted
to the field's JSON type (number, integer, boolean) before the form validates it."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from typing import IO, Any

from insightly_connector.errors import ConfigError
from insightly_connector.spec.loader import Spec

#: The name a credential gets when it comes from the environment and none is set there.
ENVIRONMENT_CREDENTIAL_NAME = "environment"


def environment_names(spec: Spec) -> dict[str, str]:
    """Each credential form field -> the environment variable it is read from."""
    prefix = re.sub(r"[^A-Za-z0-9]+", "_", str(spec.connector.get("vendor") or spec.connector["code"])).upper()
    return {name: f"{prefix}_{name.upper()}" for name in spec.credential_form.get("properties", {})}


def credential_from_environment(spec: Spec, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The credential's fields from environment variables; a ConfigError naming them when none is set."""
    environ = os.environ if environ is None else environ
    names = environment_names(spec)
    properties = spec.credential_form.get("properties", {})
    data = {field: _typed(environ[variable], properties[field], variable)
            for field, variable in names.items() if environ.get(variable, "") != ""}
    if not data:
        required = [names[field] for field in spec.credential_form.get("required", ())
                    if field in names and field != "name"]
        optional = [variable for field, variable in names.items() if variable not in required and field != "name"]
        raise ConfigError(f"no credential was given and none is in the environment: set {', '.join(required)} "
                          f"(optional: {', '.join(optional)})")
    if "name" in properties and "name" not in data:
        data["name"] = ENVIRONMENT_CREDENTIAL_NAME
    return data


def credential_from_stream(stream: IO[str] | None = None) -> dict[str, Any]:
    """A credential JSON object read from standard input."""
    text = (stream or sys.stdin).read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"credential on stdin: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ConfigError("credential on stdin: nested too deeply to be a credential") from None
    if not isinstance(data, dict):
        raise ConfigError("credential on stdin: must be a JSON object")
    return data


def _typed(text: str, prop: Mapping[str, Any], variable: str) -> Any:
    kind = prop.get("type")
    try:
        if kind == "number":
            return float(text)
        if kind == "integer":
            return int(text)
    except ValueError:
        raise ConfigError(f"{variable}: expected a number, got {text!r}") from None
    if kind == "boolean":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ConfigError(f"{variable}: expected true or false, got {text!r}")
        return text.lower() in ("true", "1")
    return text
