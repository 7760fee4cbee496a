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
import re
import stat
import time
from pathlib import Path
from typing import Any

import orjson

from insightly_connector.atomic_file import write_atomically
from insightly_connector.errors import ConfigError
from insightly_connector.redaction import Redactor

STATE_VERSION = 1
#: A temp file of ours this old belongs to no live writer (a save takes milliseconds): a killed run left it.
STALE_TEMP_SECONDS = 60.0


class StateFile:
    """The state document of one run, loaded once and rewritten whole after each emitted page."""

    def __init__(self, path: str | os.PathLike | None, *, writable: bool = True, redactor: Redactor | None = None):
        self.path = Path(path) if path is not None else None
        self.writable = writable and self.path is not None
        self.redactor = redactor or Redactor()
        self.label = f"state file {self.path}" if self.path is not None else ""
        self.document: dict[str, Any] = {"version": STATE_VERSION, "resources": {}}
        if self.path is None:
            return
        if self.path.exists():
            if not self.path.is_file():
                raise ConfigError(f"state file {self.path}: not a regular file (the state is replaced "
                                  "atomically, so it must be a file of its own)")
            self.document = load_state_document(self.path)
        # A symbolic link stays a link: the file it points to is the one replaced.
        self._target = Path(os.path.realpath(self.path))
        if not self._target.parent.is_dir():
            raise ConfigError(f"state file {self.path}: directory {self._target.parent} does not exist")
        if self.writable:
            remove_stale_temp_files(self._target)

    @classmethod
    def from_document(cls, document: Any, *, label: str, redactor: Redactor | None = None) -> StateFile:
        """A state held in memory (a platform passed it in its own envelope): checked like a file, never
        saved; `label` names where it came from in error messages."""
        problem = _shape_problem(document)
        if problem:
            raise ConfigError(f"{label}: {problem}")
        state = cls(None, writable=False, redactor=redactor)
        state.document = document
        state.label = label
        return state

    @property
    def given(self) -> bool:
        """Whether a state was passed in at all (a file, or a platform's state)."""
        return self.path is not None or self.label != ""

    def resource(self, name: str) -> dict[str, Any]:
        """The mutable state of one resource (created empty on first use)."""
        return self.document["resources"].setdefault(name, {})

    def forget(self, name: str) -> None:
        self.document["resources"].pop(name, None)

    def save(self) -> None:
        """Atomically replace the file with the current document (a no-op when not writable)."""
        if self.writable and self.path is not None:
            data = orjson.dumps(self.document, option=orjson.OPT_INDENT_2)
            write_atomically(self._target, self.redactor.scrub_bytes(data))


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
    """Why a parsed document is not a state document, or '' when it is one (the first problem found,
    as a path to the field, so the user can fix it in one go)."""
    if not isinstance(document, dict):
        return "expected a JSON object"
    version = document.get("version")
    if not _is_int(version) or version != STATE_VERSION:
        return f"'version' must be {STATE_VERSION}"
    resources = document.get("resources")
    if not isinstance(resources, dict):
        return "'resources' must be an object"
    for name, entry in resources.items():
        problem = _resource_problem(f"resources.{name}", entry)
        if problem:
            return problem
    return ""


def _resource_problem(where: str, entry: Any) -> str:
    if not isinstance(entry, dict):
        return f"{where} must be an object"
    if entry.get("cursor") is not None and not isinstance(entry["cursor"], str):
        return f"{where}.cursor must be a string"
    problem = _boundary_problem(f"{where}.boundary", entry.get("boundary", {}))
    if problem:
        return problem
    in_progress = entry.get("in_progress", {})
    if in_progress is None:
        return ""
    if not isinstance(in_progress, dict):
        return f"{where}.in_progress must be an object"
    if not in_progress:
        return ""
    where = f"{where}.in_progress"
    if in_progress.get("mode") not in ("full", "incremental"):
        return f"{where}.mode must be 'full' or 'incremental'"
    position = in_progress.get("position", 0)
    if not _is_int(position) or position < 0:
        return f"{where}.position must be a non-negative integer"
    for name in ("sync_start", "bound"):
        if in_progress.get(name) is not None and not isinstance(in_progress[name], str):
            return f"{where}.{name} must be a string or null"
    last_pk = in_progress.get("last_pk")
    if last_pk is not None and not (_is_int(last_pk) or isinstance(last_pk, str)):
        return f"{where}.last_pk must be a primary key value (a number or a string) or null"
    problem = _boundary_problem(f"{where}.boundary", in_progress.get("boundary", {}))
    if problem:
        return problem
    within = in_progress.get("within", [])
    if within is not None and not (isinstance(within, list) and all(_is_place_within(place) for place in within)):
        return (f"{where}.within must be a list of [a parent's key, the key of the last record done under it, "
                "how many were done]")
    output = in_progress.get("output")
    if output is not None:
        if not isinstance(output, dict):
            return f"{where}.output must be an object or null"
        if not isinstance(output.get("path"), str):
            return f"{where}.output.path must be a string"
        if not _is_int(output.get("offset")) or output["offset"] < 0:
            return f"{where}.output.offset must be a non-negative integer"
    return ""


def _is_place_within(place: Any) -> bool:
    """Where a walk under a child stream stood under one parent (source/children.py)."""
    return isinstance(place, list) and len(place) == 3 and all(
        key is None or _is_int(key) or isinstance(key, str) for key in place[:2]) and _is_int(place[2]) \
        and place[2] >= 0


def _boundary_problem(where: str, boundary: Any) -> str:
    """A boundary maps primary keys to [updated, digest] (a bare updated string is accepted too)."""
    if boundary is None:
        return ""
    if not isinstance(boundary, dict):
        return f"{where} must be an object"
    for key, version in boundary.items():
        if isinstance(version, str):
            continue
        if not isinstance(version, list) or not 1 <= len(version) <= 2 or not isinstance(version[0], str) \
                or not (len(version) == 1 or version[1] is None or isinstance(version[1], str)):
            return f"{where}.{key} must be [updated, digest] (a date string and a digest string)"
    return ""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def remove_stale_temp_files(path: Path, *, older_than_seconds: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove temp files that an earlier run of `write_atomically` on `path` left when it was killed.

    Only names of our own pattern (`.<name>[.<pid>].<8 random characters>.tmp`, next to the file) are
    touched: at once when the process that wrote one has ended, else only when it is old enough that no
    live writer can still be using it."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:(\d+)\.)?[A-Za-z0-9_]{{8}}\.tmp$")
    removed = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    now = time.time()
    for candidate in candidates:
        matched = pattern.match(candidate.name)
        if not matched:
            continue
        writer_ended = matched[1] is not None and not _process_alive(int(matched[1]))
        with contextlib.suppress(OSError):
            info = candidate.lstat()
            if stat.S_ISREG(info.st_mode) and (writer_ended or now - info.st_mtime >= older_than_seconds):
                candidate.unlink()
                removed.append(candidate)
    return removed


def _process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one that reused a dead writer's id counts as alive: then only
    the age rule removes its file)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process, or no such id here: leave it to the age rule
    return True
