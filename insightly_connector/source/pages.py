"""What every paginator yields, the request it walks, and how records are found in a body."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from insightly_connector.errors import ApiError
from insightly_connector.source.raw_records import MalformedPage, RawRecords, split_records


@dataclass(frozen=True)
class ListRequest:
    """One list (or search) endpoint to walk: the path and fixed params, and how to read its answers."""

    path: str
    params: Mapping[str, Any]
    records_path: str
    primary_key: str | None = None


@dataclass(frozen=True)
class ResumePoint:
    """Where an interrupted walk stood (from the state file): a position and the last key emitted."""

    position: int = 0
    last_key: Any = None


@dataclass
class Page:
    """One accepted page: its new records in order, and where the walk stands after it."""

    records: list[dict]
    position: int  # where a resumed run re-anchors (offset of the page's last record; 0 when not resumable)
    last_key: Any  # the highest primary key seen so far (the anchor); None when the walk is not key-ordered
    total: int | None
    sent_at: float  # time.monotonic() just before the page's request was sent


class Walk(Protocol):
    """One pass over a list, made by a paginator."""

    resumable: bool  # a resumed run continues from a page's position instead of starting over
    step_backs: int  # pages re-read because records before the position vanished mid-read

    def pages(self) -> Iterator[Page]: ...


@dataclass
class Pages:
    """A walk whose pages need no re-anchoring (one request, or pages the API links together)."""

    source: Iterator[Page]
    resumable: bool = False
    step_backs: int = 0

    def pages(self) -> Iterator[Page]:
        return self.source


def record_list(content: bytes, records_path: str, path: str, wanted: set[str] | None = None) -> RawRecords:
    """The records of one answer, each kept as the bytes the API sent (`raw_records.py`); anything but
    a list where they should be is an unexpected answer. `wanted`: the columns a walk reads, shared by
    its pages."""
    try:
        return split_records(content, records_path, wanted)
    except MalformedPage as exc:
        raise ApiError(f"GET {path}: {exc}", category="unexpected_response", method="GET", path=path) from None
