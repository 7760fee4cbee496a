"""An emitter that hands pages and checkpoints to callbacks instead of writing bytes.

In-process consumers (the dlt source, Nexla's probe samples) read through the runner's own read
loop, paginators, incremental window and limiter with it, rather than re-implementing any of them."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

from insightly_connector.errors import ConnectorError
from insightly_connector.protocols.emitters import Emitter
from insightly_connector.redaction import Redactor


class MemoryEmitter(Emitter):
    """`on_records(stream, records)` per page; `on_state(stream, stream_state)` after each checkpoint
    (a copy: the runner keeps mutating its own); errors and log lines are kept for the caller."""

    format_name = "memory"

    def __init__(self, redactor: Redactor, on_records: Callable[[str, list[dict]], None],
                 on_state: Callable[[str, dict], None] | None = None):
        super().__init__(redactor, stdout=io.BytesIO())
        self.on_records = on_records
        self.on_state = on_state
        self.errors: list[tuple[str | None, ConnectorError]] = []
        self.logs: list[tuple[str, str]] = []

    def write_records(self, stream: str, records: list[dict]) -> None:
        if records:
            self.on_records(stream, list(records))  # dicts, whatever the page held: callers keep and change them

    def state(self, stream: str, stream_state: dict, document: dict) -> None:
        if self.on_state is not None:
            self.on_state(stream, copy.deepcopy(stream_state))

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def error(self, error: ConnectorError, stream: str | None = None) -> None:
        self.errors.append((stream, error))
