"""Airbyte's configured catalog (`read --catalog`): the selected streams and each one's sync mode.

PyAirbyte asks `incremental` even of streams that support only `full_refresh`; the runner reads those in
full anyway, so `incremental` means "use the saved cursor where there is one"."""

from __future__ import annotations

from pathlib import Path

from insightly_connector.errors import ConfigError
from insightly_connector.platforms.json_file import read_streams
from insightly_connector.platforms.selection import StreamSelection

SYNC_MODES = ("full_refresh", "incremental")


def load_configured_catalog(path: str | Path) -> StreamSelection:
    label = f"--catalog {path}"
    streams = read_streams(path, label, "a configured catalog")
    names: list[str] = []
    full_refresh: set[str] = set()
    for index, entry in enumerate(streams):
        name = ((entry or {}).get("stream") or {}).get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{label}: streams[{index}].stream.name is missing")
        mode = entry.get("sync_mode", "full_refresh")
        if mode not in SYNC_MODES:
            raise ConfigError(f"{label}: streams[{index}].sync_mode must be one of {', '.join(SYNC_MODES)}")
        if name not in names:
            names.append(name)
        if mode == "full_refresh":
            full_refresh.add(name)
    return StreamSelection(names, frozenset(full_refresh))
