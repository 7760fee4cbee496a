"""The Singer catalog: discovery's output (`--discover`) and what a `--catalog`/`--properties` file selects.

Discovery writes the discoverable metadata (Singer's DISCOVERY_MODE.md, as the Singer SDK writes it):
per stream `inclusion`, `selected-by-default`, `table-key-properties`, `valid-replication-keys` or
`forced-replication-method: FULL_TABLE`; per property `inclusion` (`automatic` for the key and the
replication key). Reading a catalog follows the SDK's selection rules at stream level: `unsupported` is
never read, `automatic` always, otherwise `selected`, else `selected-by-default`; a stream whose
`replication-method` is FULL_TABLE is read in full. Records carry every field (no per-property selection)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from insightly_connector.errors import ConfigError
from insightly_connector.platforms.json_file import read_streams
from insightly_connector.platforms.selection import StreamSelection
from insightly_connector.protocols.emitters import Stream, incremental_without_key, key_fields
from insightly_connector.protocols.typed_dates import typed_schema

INCREMENTAL, FULL_TABLE = "INCREMENTAL", "FULL_TABLE"


def singer_catalog(streams: list[Stream]) -> dict[str, Any]:
    return {"streams": [singer_stream(stream) for stream in streams]}


def singer_stream(stream: Stream) -> dict[str, Any]:
    schema = typed_schema(stream.schema) if stream.schema else {"type": "object", "properties": {}}
    keys = key_fields(stream)
    automatic = {*keys, *([stream.cursor_field] if stream.cursor_field else [])}
    opt_in = getattr(stream, "cost", None) is not None  # a child stream: one request per parent
    top: dict[str, Any] = {"inclusion": "available", "selected-by-default": not opt_in,
                           "table-key-properties": keys}
    entry: dict[str, Any] = {"tap_stream_id": stream.name, "stream": stream.name, "schema": schema,
                             "key_properties": keys}
    if stream.cursor_field:
        top["valid-replication-keys"] = [stream.cursor_field]
        top["replication-key"] = stream.cursor_field
        entry.update(replication_key=stream.cursor_field, replication_method=INCREMENTAL)
    elif incremental_without_key(stream):  # read under a parent: the bookmark is the parent's, in STATE
        top["forced-replication-method"] = INCREMENTAL
        entry["replication_method"] = INCREMENTAL
    else:
        top["forced-replication-method"] = FULL_TABLE
        entry["replication_method"] = FULL_TABLE
    metadata = [{"breadcrumb": [], "metadata": top}]
    metadata += [{"breadcrumb": ["properties", name],
                  "metadata": {"inclusion": "automatic" if name in automatic else "available"}}
                 for name in schema.get("properties", {})]
    entry["metadata"] = metadata
    return entry


def load_selection(path: str | Path) -> StreamSelection:
    """The streams a catalog (or properties) file selects, in its order, and those to read in full."""
    label = f"--catalog {path}"
    streams = read_streams(path, label, "a Singer catalog")
    names: list[str] = []
    full_refresh: set[str] = set()
    for index, stream in enumerate(streams):
        name = (stream.get("tap_stream_id") or stream.get("stream")) if isinstance(stream, dict) else None
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{label}: streams[{index}] has no tap_stream_id")
        top = _stream_metadata(stream)
        if not _selected(stream, top) or name in names:
            continue
        names.append(name)
        if (top.get("replication-method") or stream.get("replication_method")) == FULL_TABLE:
            full_refresh.add(name)
    return StreamSelection(names, frozenset(full_refresh))


def _stream_metadata(stream: dict) -> dict:
    for item in stream.get("metadata") or []:
        if isinstance(item, dict) and item.get("breadcrumb") == [] and isinstance(item.get("metadata"), dict):
            return item["metadata"]
    return {}


def _selected(stream: dict, top: dict) -> bool:
    inclusion = top.get("inclusion")
    if inclusion == "unsupported":
        return False
    if inclusion == "automatic":
        return True
    selected = top.get("selected")
    if selected is None:
        selected = (stream.get("schema") or {}).get("selected")  # the legacy place for it
    if selected is None:
        selected = top.get("selected-by-default", False)
    return bool(selected)
