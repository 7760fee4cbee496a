"""Finding a run's own files in its folder, by what they hold rather than what they are called.

A run folder is any folder (the `--runs` folder itself or one below it) holding a request log: a JSON-lines
file whose first line is the `run` event `read`, `write` and `check` write with `--request-log`. Beside it the
report reads, wherever they are in the folder: the state file (a JSON object with `version` and `resources`),
journals (first line a `run` entry naming a `journal` version), rejects files (lines with `nexlaMetaData`),
per-record results files (`write --results`: lines with `inputLine` and `outcome`) and record files
(`<resource>.jsonl` as `read --output` writes them, in any output format)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson

MAX_DEPTH = 3  # the run folder, its output folder, and one more
MAX_FILES = 500  # a folder with more is not a run folder: stop looking rather than walk a whole disk


@dataclass
class RunFiles:
    folder: Path
    request_log: Path
    state: Path | None = None
    journals: list[Path] = field(default_factory=list)
    rejects: list[Path] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)
    records: list[Path] = field(default_factory=list)


def find_runs(root: Path) -> list[RunFiles]:
    """Every run folder under `root` (itself included), newest request log first."""
    runs: dict[Path, RunFiles] = {}
    candidates = list(_files(root, MAX_DEPTH + 1))
    for path in candidates:
        if path.suffix == ".jsonl" and _kind(path) == "request_log" and path.parent not in runs:
            runs[path.parent] = RunFiles(path.parent, path)
    for run in runs.values():
        others = [folder for folder in runs if folder != run.folder and folder.is_relative_to(run.folder)]
        _classify(run, others)
    return sorted(runs.values(), key=lambda r: r.request_log.stat().st_mtime, reverse=True)


def _classify(run: RunFiles, other_runs: list[Path]) -> None:
    for path in _files(run.folder, MAX_DEPTH):
        if path == run.request_log or any(path.is_relative_to(folder) for folder in other_runs):
            continue
        kind = _kind(path)
        if kind == "state" and run.state is None:
            run.state = path
        elif kind == "journal":
            run.journals.append(path)
        elif kind == "rejects":
            run.rejects.append(path)
        elif kind == "results":
            run.results.append(path)
        elif kind == "records":
            run.records.append(path)


def _kind(path: Path) -> str | None:
    first = first_object(path)
    if first is None:
        return "records" if path.suffix == ".jsonl" and _is_empty(path) else None
    if path.suffix == ".json":
        return "state" if isinstance(first.get("resources"), dict) and "version" in first else None
    if first.get("event") == "run" and "verb" in first:
        return "request_log"
    if first.get("event") == "run" and "journal" in first:
        return "journal"
    if "nexlaMetaData" in first and "error" in first:
        return "rejects"
    if "inputLine" in first and "outcome" in first:
        return "results"
    return "records"


def first_object(path: Path) -> dict | None:
    """The file's first JSON object (the whole document for .json, the first line for .jsonl), or None."""
    try:
        with path.open("rb") as file:
            data = file.read() if path.suffix == ".json" else file.readline()
        value = orjson.loads(data)
    except (OSError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _files(root: Path, depth: int):
    """Regular .json/.jsonl files under `root`, `depth` folders deep at most, MAX_FILES at most; hidden
    files (a state file's temp copies) and symbolic links are passed over."""
    seen = 0
    stack = [(root, 0)]
    while stack:
        folder, level = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir() and level + 1 < depth:
                stack.append((Path(entry.path), level + 1))
            elif entry.is_file() and entry.name.endswith((".json", ".jsonl")):
                seen += 1
                if seen > MAX_FILES:
                    return
                yield Path(entry.path)
