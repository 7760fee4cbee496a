"""Copies between instances: which record of the source each written record is, and what refers to what.

A copy reads from one account and writes with `--mode create` into another, where every record gets
a new id. References between records (a record's parent, its links, the list entries it points at)
would still hold the source's ids. The id map (`--id-map FILE`) is JSON lines, `{"resource",
"sourceId", "id"}`, appended (and fsync'ed) as each create or upsert is confirmed, so copying parents
first and then what refers to them carries every reference across runs.

Which field refers to which resource is declared in the YAML (`references`): a field holding one id
(`FIELD: resource`), or a list of links whose items name their resource (`{name_field, id_field,
resources}`). A reference is rewritten when the map knows ids of its resource; a source id the map
lacks, for a resource it knows, is rejected (`unmapped_reference`) rather than written pointing at the
wrong record. A reference to a resource the map knows nothing of passes unchanged, with a warning.
Lists a copy does not create are mapped by lines the user adds, e.g. matched by name.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Mapping
from typing import Any

import orjson

from insightly_connector.destination.file_paths import check_writable_path, open_for_the_run
from insightly_connector.destination.validation import RecordRejected
from insightly_connector.errors import ConfigError


class IdMap:
    """Source id -> new id, per resource; loaded at the start, appended to as records are confirmed."""

    def __init__(self, path: str | os.PathLike[str], *, append: bool = True):
        self.path = os.fspath(path)
        self._ids: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._handle = None
        check_writable_path(self.path, "--id-map")
        self._load()
        if not append:  # a dry run reads the map and adds nothing
            return
        self._handle = open_for_the_run(self.path, "--id-map", "ab")
        self._syncable = stat.S_ISREG(os.fstat(self._handle.fileno()).st_mode)

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ConfigError(f"--id-map: cannot read {self.path} ({exc.strerror})") from None
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                entry = orjson.loads(text)
            except orjson.JSONDecodeError:
                entry = None
            if not (isinstance(entry, dict) and isinstance(entry.get("resource"), str)
                    and entry.get("sourceId") is not None and entry.get("id") is not None):
                if number == len(lines):
                    continue  # a line cut short by a killed run: its record is in the journal
                raise ConfigError(f"--id-map: {self.path} line {number} is not "
                                  '{"resource": ..., "sourceId": ..., "id": ...}')
            self._ids.setdefault(entry["resource"], {})[_text(entry["sourceId"])] = entry["id"]

    def knows(self, resource: str) -> bool:
        return bool(self._ids.get(resource))

    def new_id(self, resource: str, source_id: Any) -> Any:
        return self._ids.get(resource, {}).get(_text(source_id))

    def add(self, resource: str, source_id: Any, record_id: Any) -> None:
        data = orjson.dumps({"resource": resource, "sourceId": source_id, "id": record_id}, default=str) + b"\n"
        with self._lock:
            self._ids.setdefault(resource, {})[_text(source_id)] = record_id
            if self._handle is None:
                return
            self._handle.write(data)
            self._handle.flush()
            if self._syncable:
                os.fsync(self._handle.fileno())

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


class References:
    """The YAML's `references` of one resource, applied to a payload with an id map."""

    def __init__(self, declared: Mapping[str, Any]):
        self.single = {name: target for name, target in declared.items() if isinstance(target, str)}
        self.lists = {name: rule for name, rule in declared.items() if isinstance(rule, Mapping)}

    def rewrite(self, payload: dict[str, Any], ids: IdMap) -> tuple[dict[str, Any], list[str]]:
        """The payload with every mapped reference pointing at the new records, and a warning for each
        reference kept as it was because the map holds no id of its resource at all."""
        out, kept = dict(payload), []
        for name, target in self.single.items():
            if out.get(name) in (None, ""):
                continue
            if ids.knows(target):
                out[name] = _mapped(ids, target, out[name], name)
            else:
                kept.append(f"kept {name} {out[name]}: the id map has no {target}")
        for name, rule in self.lists.items():
            items = out.get(name)
            if not isinstance(items, list):
                continue
            rewritten = []
            for item in items:
                target = rule["resources"].get(item.get(rule["name_field"])) if isinstance(item, Mapping) else None
                if target is None or item.get(rule["id_field"]) in (None, "") or not ids.knows(target):
                    if target is not None and item.get(rule["id_field"]) not in (None, ""):
                        kept.append(f"kept {name}.{rule['id_field']} {item[rule['id_field']]}: the id map has no "
                                    f"{target}")
                    rewritten.append(item)
                    continue
                new = _mapped(ids, target, item[rule["id_field"]], f"{name}.{rule['id_field']}")
                rewritten.append({key: value for key, value in {**item, rule["id_field"]: new}.items()
                                  if key not in rule.get("drop", ())})
            out[name] = rewritten
        return out, kept


def _mapped(ids: IdMap, target: str, source_id: Any, where: str) -> Any:
    new = ids.new_id(target, source_id)
    if new is None:
        raise RecordRejected("unmapped_reference", f"{where} {source_id} refers to a {target} record the id map "
                                                   "does not have; copy that record first")
    return new


def _text(value: Any) -> str:
    return str(value)
