"""Per-record results (`--results FILE`): one JSON line for every input record, whatever became of it.

The summary says how many; this says which. A line names the input line, the record's key (its
primary key, or its upsert key, when the mode matches on one), the outcome (`created`, `updated`,
`unchanged`, `deleted`, `rejected`; in a dry run `would_create`, ...), the API's id, the write
requests it took, and for a reject the category and message. Lines are written as records finish,
so they are in completion order; `inputLine` puts them back in input order. The file is written
fresh by every run: a re-run with a journal writes a line for the records the journal already had,
marked `fromJournal`. What the connector says here is scrubbed of secrets like every other output.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import orjson

from insightly_connector.destination.file_paths import check_writable_path, open_for_the_run
from insightly_connector.redaction import Redactor


class ResultsFile:
    """Appends result lines; thread-safe (the writer's workers finish records concurrently)."""

    def __init__(self, path: str | os.PathLike[str], *, redactor: Redactor | None = None):
        self.path = os.fspath(path)
        self._redactor = redactor or Redactor()
        self._lock = threading.Lock()
        check_writable_path(self.path, "--results")
        self._handle = open_for_the_run(self.path, "--results", "wb")

    def write(self, line: int, *, key: dict[str, Any] | None, outcome: str, record_id: Any, attempts: int,
              source_id: Any = None, error: dict[str, Any] | None = None, from_journal: bool = False) -> None:
        entry: dict[str, Any] = {"inputLine": line, "key": key, "outcome": outcome, "id": record_id,
                                 "attempts": attempts}
        if source_id is not None:
            entry["sourceId"] = source_id
        if error is not None:
            entry["error"] = error
        if from_journal:
            entry["fromJournal"] = True
        data = self._redactor.scrub_bytes(orjson.dumps(entry, default=str)) + b"\n"
        with self._lock:
            self._handle.write(data)

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.flush()
                self._handle.close()
