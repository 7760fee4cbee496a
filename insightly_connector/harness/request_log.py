"""What the harness was asked, so tests can count and inspect requests (never the credentials)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestLogEntry:
    method: str
    path: str  # relative to the base URL, e.g. "/Contacts/Search"
    query: dict  # the query string; a repeated parameter keeps its last value
    status: int  # 0 when the connection was reset without an answer
    body: object = None  # the request body, parsed as JSON when it is JSON
    at: float = 0.0  # time.monotonic() when the request arrived


class RequestLog:
    def __init__(self, limit: int = 100_000):
        self._entries: deque[RequestLogEntry] = deque(maxlen=limit)

    def add(self, entry: RequestLogEntry) -> None:
        self._entries.append(entry)

    def entries(self) -> list[RequestLogEntry]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()
