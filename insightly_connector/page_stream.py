"""One resource's read as an iterator of pages and checkpoints, for platforms that pull (dlt).

The read verb pushes: it walks the resource and hands each page to an emitter. A pulling platform
wants a generator, so the same `source.read` (paginator, incremental window, limiter, error policy)
runs on a thread and a bounded queue hands its pages over: memory stays at a few pages, and a consumer
that stops early stops the read at its next page."""

from __future__ import annotations

import json
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from insightly_connector.http.client import Client
from insightly_connector.protocols.memory import MemoryEmitter
from insightly_connector.redaction import process_redactor
from insightly_connector.source import read as source
from insightly_connector.source.state import STATE_VERSION
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource

_PAGES_AHEAD = 4
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Records:
    records: list[dict]


@dataclass(frozen=True)
class Checkpoint:
    """The resource's state entry after a page (`in_progress` set) or at the end (`cursor`, `boundary`)."""

    entry: dict


class _Stopped(Exception):
    """The consumer went away: unwinds the read on its thread (not a ConnectorError, so nothing catches it)."""


class PageStream:
    """Iterate `Records` and `Checkpoint`s of one resource's read; `report` holds the outcome after."""

    def __init__(self, client: Client, spec: Spec, resource: Resource, entry: dict | None = None):
        self.client, self.spec, self.resource = client, spec, resource
        self.entry = entry or {}
        self.report: source.ReadReport | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=_PAGES_AHEAD)
        self._stopped = threading.Event()
        self._failure: BaseException | None = None

    def __iter__(self) -> Iterator[Records | Checkpoint]:
        with tempfile.TemporaryDirectory(prefix="page-stream-") as folder:
            state_path = Path(folder) / "state.json"
            state_path.write_text(json.dumps({"version": STATE_VERSION, "resources": {self.resource.name: self.entry}}))
            thread = threading.Thread(target=self._read, args=(state_path,), name=f"read-{self.resource.name}",
                                      daemon=True)
            thread.start()
            try:
                while (item := self._queue.get()) is not None:
                    yield item
            finally:
                self._stopped.set()
                thread.join()
        if self._failure is not None:
            raise self._failure

    def _read(self, state_path: Path) -> None:
        emitter = MemoryEmitter(process_redactor, on_records=lambda _name, records: self._put(Records(records)),
                                on_state=lambda _name, entry: self._put(Checkpoint(entry)))
        try:
            self.report = source.read(self.client, self.spec, [self.resource], emitter=emitter,
                                      state_path=str(state_path))
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consumer's thread, where it is raised
            self._failure = exc
        self._put(None, final=True)

    def _put(self, item: Records | Checkpoint | None, *, final: bool = False) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return
            except queue.Full:
                continue
        if not final:
            raise _Stopped
