"""Reading the JSON files a platform hands over (config, catalog, state): one line naming the option on
any failure, and never the content, which may hold the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from insightly_connector.errors import ConfigError


def read_json(path: str | Path, label: str) -> Any:
    """The decoded file, or a ConfigError that starts with `label` (e.g. `--catalog FILE`)."""
    try:
        return orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    except orjson.JSONDecodeError:
        raise ConfigError(f"{label}: not valid JSON") from None


def read_streams(path: str | Path, label: str, kind: str) -> list[Any]:
    """The `streams` list of a catalog file (`kind` names the catalog in the error: Airbyte's, Singer's)."""
    document = read_json(path, label)
    streams = document.get("streams") if isinstance(document, dict) else None
    if not isinstance(streams, list):
        raise ConfigError(f"{label}: expected {kind} ({{\"streams\": [...]}})")
    return streams
