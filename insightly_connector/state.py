"""The read state file: where each resource's next read starts, saved atomically after every page.

A run can be killed at any moment, so the file on disk is always either the previous complete
version or the new complete version (temp file + fsync + os.replace), never a torn write. It holds
only progress for records already emitted, so resuming from it loses nothing.

Shape (one JSON object):
    {"version": 1,
     "resources": {"<resource>": {"cursor": "<cursor text>", "boundary": {"<pk>": "<updated>"},
                                  "in_progress": {...}}}}
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from insightly_connector.errors import ConfigError
from insightly_connector.redaction import Redactor

STATE_VERSION = 1


class StateFile:
    """The state document of one run, loaded once and rewritten whole after each emitted page."""

    def __init__(self, path: str | os.PathLike | None, *, writable: bool = True, redactor: Redactor | None = None):
        self.path = Path(path) if path is not None else None
        self.writable = writable and self.path is not None
        self.redactor = redactor or Redactor()
        self.document: dict[str, Any] = {"version": STATE_VERSION, "resources": {}}
        if self.path is None:
            return
        if self.path.exists():
            self.document = load_state_document(self.path)
        elif not self.path.parent.is_dir():
            raise ConfigError(f"state file {self.path}: directory {self.path.parent} does not exist")

    def resource(self, name: str) -> dict[str, Any]:
        """The mutable state of one resource (created empty on first use)."""
        return self.document["resources"].setdefault(name, {})

    def forget(self, name: str) -> None:
        self.document["resources"].pop(name, None)

    def save(self) -> None:
        """Atomically replace the file with the current document (a no-op when not writable)."""
        if self.writable and self.path is not None:
            data = orjson.dumps(self.document, option=orjson.OPT_INDENT_2)
            write_atomically(self.path, self.redactor.scrub_bytes(data))


def load_state_document(path: Path) -> dict[str, Any]:
    """Read and validate a state file; anything unusable is a ConfigError naming the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"state file {path}: cannot be read ({exc.strerror or exc})") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConfigError(f"state file {path}: not valid JSON") from None
    problem = _shape_problem(document)
    if problem:
        raise ConfigError(f"state file {path}: {problem}")
    return document


def _shape_problem(document: Any) -> str:
    """Why a parsed document is not a state document, or '' when it is one."""
    if not isinstance(document, dict):
        return "expected a JSON object"
    if document.get("version") != STATE_VERSION:
        return f"'version' must be {STATE_VERSION}"
    resources = document.get("resources")
    if not isinstance(resources, dict):
        return "'resources' must be an object"
    for name, entry in resources.items():
        if not isinstance(entry, dict):
            return f"resources.{name} must be an object"
        if "cursor" in entry and not isinstance(entry["cursor"], str):
            return f"resources.{name}.cursor must be a string"
        if not isinstance(entry.get("boundary", {}), dict):
            return f"resources.{name}.boundary must be an object"
        in_progress = entry.get("in_progress", {})
        if not isinstance(in_progress, dict):
            return f"resources.{name}.in_progress must be an object"
        if in_progress and in_progress.get("mode") not in ("full", "incremental"):
            return f"resources.{name}.in_progress.mode must be 'full' or 'incremental'"
        position = in_progress.get("position", 0)
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            return f"resources.{name}.in_progress.position must be a non-negative integer"
        if not isinstance(in_progress.get("boundary", {}), dict):
            return f"resources.{name}.in_progress.boundary must be an object"
    return ""


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves either the old or the new file, whole."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
