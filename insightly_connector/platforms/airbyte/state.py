"""Airbyte's `--state` file: a JSON list of per-stream state messages, turned into the runner's state.

PyAirbyte (and the platform) pass the `state` part of each STATE message the source emitted, as a list,
and `[]` (or an empty file) when there is none. Each stream's `stream_state` is the runner's own entry
for that resource (cursor, boundary, resume point), so it maps back one to one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from insightly_connector.errors import ConfigError
from insightly_connector.redaction import Redactor
from insightly_connector.source.state import STATE_VERSION, StateFile


def load_airbyte_state(path: str | Path | None, redactor: Redactor) -> StateFile:
    label = f"--state {path}"
    resources: dict[str, Any] = {}
    for index, message in enumerate(_messages(path)):
        where = f"{label}: item {index}"
        if not isinstance(message, dict):
            raise ConfigError(f"{where} is not a state message (an object)")
        if message.get("type") == "STATE" and isinstance(message.get("state"), dict):
            message = message["state"]  # a whole STATE message rather than its `state` part
        kind = message.get("type") or ("STREAM" if "stream" in message else None)
        if kind != "STREAM":
            raise ConfigError(f"{where}: only per-stream (STREAM) state is understood, got {kind!r}")
        stream = message.get("stream") or {}
        name = (stream.get("stream_descriptor") or {}).get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: stream.stream_descriptor.name is missing")
        stream_state = stream.get("stream_state")
        if stream_state:
            resources[name] = stream_state
    return StateFile.from_document({"version": STATE_VERSION, "resources": resources}, label=label,
                                   redactor=redactor)


def _messages(path: str | Path | None) -> list[Any]:
    if path is None:
        return []
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"--state {path}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        return []
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConfigError(f"--state {path}: not valid JSON") from None
    if not isinstance(document, list):
        raise ConfigError(f"--state {path}: expected a JSON list of state messages ([] for none)")
    return document
