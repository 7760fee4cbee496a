"""Offset paging (`skip`/`top` style) that stays correct while others change the collection.

Offsets shift when records before the current position are deleted or created, so a naive pager
skips or repeats records. For collections served in ascending primary-key order, each page starts
`overlap` records before the end of the previous one: the first record of a page must be at or
below the last key already seen (the anchor). If it is above, something before the position was
deleted and records may have slid past us, so the pager steps back (doubling, down to offset 0,
where the check always holds) until the page reaches back to the anchor. Records at or below the
anchor are dropped, so nothing is repeated and nothing that existed throughout is skipped.

Pages are fetched ahead on a few threads (the client's limiter caps requests in flight and per
second) and verified strictly in order; after a failed verification the pager goes sequential.
It stops at a short page or when the page reaches the reported total, so it never spends a request
on an empty page. Pages ahead are only requested while the latest total says they hold records."""

from __future__ import annotations

import operator
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TYPE_CHECKING, Any

from insightly_connector.errors import ApiError
from insightly_connector.source.pages import ListRequest, Page, ResumePoint, record_list
from insightly_connector.source.raw_records import column

if TYPE_CHECKING:
    from insightly_connector.http.client import Client

_MAX_STEP_BACKS = 64  # doubling steps reach offset 0 long before this; a guard against a broken server


@dataclass(frozen=True)
class OffsetPaging:
    """`pagination: {type: offset}` compiled: skip/top style paging, churn-safe when key-ordered."""

    offset_param: str
    limit_param: str
    page_size: int  # already capped by max_page_size
    total_params: Mapping[str, str] = field(default_factory=dict)
    total_header: str | None = None
    ordered_by_key: bool = False
    overlap: int = 0
    single_request = False

    @classmethod
    def compile(cls, config: Mapping[str, Any]) -> OffsetPaging:
        ordered = config["order"] == "primary_key_ascending"
        return cls(offset_param=config["offset_param"], limit_param=config["limit_param"],
                   page_size=min(int(config["page_size"]), int(config["max_page_size"])),
                   total_params=dict(config.get("total_params") or {}), total_header=config.get("total_header"),
                   ordered_by_key=ordered, overlap=int(config.get("overlap", 0)) if ordered else 0)

    def walk(self, client: Client, request: ListRequest, *, start: ResumePoint | None = None,
             record_limit: int | None = None, prefetch: int = 1) -> OffsetPager:
        """`record_limit` (sample mode) shrinks the page to what is needed."""
        page_size = self.page_size if record_limit is None else min(self.page_size, record_limit)
        sized = replace(self, page_size=max(page_size, self.overlap + 1))
        start = start or ResumePoint()
        return OffsetPager(client, request.path, dict(request.params), sized, primary_key=request.primary_key,
                           records_path=request.records_path, start_offset=start.position,
                           anchor=start.last_key, prefetch=prefetch)

    def probe_params(self) -> dict[str, Any]:
        return {self.limit_param: 1}


@dataclass
class _Fetched:
    """One answered page. Fetch-ahead threads keep only the raw body; it is parsed when its turn
    comes (parsing holds the GIL anyway), so pages waiting in line cost bytes, not record objects."""

    offset: int
    body: bytes
    total: int | None
    sent_at: float
    path: str
    records_path: str
    wanted: set[str]  # the columns the walk reads, decoded together on each page
    _records: Sequence[dict] | None = None

    @property
    def records(self) -> Sequence[dict]:
        if self._records is None:
            self._records, self.body = record_list(self.body, self.records_path, self.path, self.wanted), b""
        return self._records


class OffsetPager:
    """Yields the pages of one list (or search) endpoint, in order, each record exactly once."""

    def __init__(self, client: Client, path: str, params: dict, pagination: OffsetPaging, *,
                 primary_key: str | None, records_path: str = "$", start_offset: int = 0,
                 anchor: Any = None, prefetch: int = 1):
        self.client = client
        self.path = path
        self.params = dict(params)
        self.pagination = pagination
        self.primary_key = primary_key
        self.records_path = records_path
        self.ordered = pagination.ordered_by_key and primary_key is not None
        self.resumable = self.ordered
        self.start_offset = start_offset if self.ordered else 0
        self.anchor = anchor if self.ordered else None
        self.prefetch = max(1, prefetch)
        self.step_backs = 0  # over the whole walk: how often churn forced a re-anchor
        self._step_backs = 0  # for the current page, bounded
        self._step = 0
        self._wanted: set[str] = set()

    def pages(self) -> Iterator[Page]:
        """Generator of accepted pages; closing it early abandons any pages fetched ahead."""
        executor = ThreadPoolExecutor(max_workers=self.prefetch, thread_name_prefix="page") \
            if self.prefetch > 1 else None
        ahead: deque[tuple[int, Future]] = deque()
        try:
            yield from self._walk(executor, ahead)
        finally:
            for _, future in ahead:
                future.cancel()
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    # -- the walk -------------------------------------------------------------------------------

    def _walk(self, executor: ThreadPoolExecutor | None, ahead: deque) -> Iterator[Page]:
        offset = self.start_offset
        previous_total: int | None = None
        while True:
            fetched = self._take(offset, ahead)
            if self._gap_before(fetched):
                self._abandon(ahead)
                executor = None  # sequential from here on: offsets are moving under us
                offset = self._step_back(fetched, previous_total)
                continue
            self._step = 0
            self._step_backs = 0
            previous_total = fetched.total
            records = self._new_records(fetched.records)
            count = len(fetched.records)
            position = offset + count - 1 if count else offset
            yield Page(records, position, self.anchor, fetched.total, fetched.sent_at)
            if self._is_last(offset, count, fetched.total):
                return
            offset += count - self.pagination.overlap
            if executor is not None:
                self._fetch_ahead(executor, ahead, offset, fetched.total)

    def _is_last(self, offset: int, count: int, total: int | None) -> bool:
        """The total (same response, so consistent with the page) decides when known; else a short page.

        A short page below the total means the server returned fewer than asked: keep going."""
        if count <= self.pagination.overlap:
            return True  # no record beyond the overlap: nothing further can be reached
        if total is not None:
            return offset + count >= total
        return count < self.pagination.page_size

    def _gap_before(self, fetched: _Fetched) -> bool:
        """True when the page may start after records we have not seen (a deletion shifted them)."""
        if not self.ordered or self.anchor is None or fetched.offset == 0 or self.pagination.overlap == 0:
            return False
        records = fetched.records
        return not records or column(records, self.primary_key)[0] > self.anchor

    def _step_back(self, fetched: _Fetched, previous_total: int | None) -> int:
        """The offset to retry at: back by the records that vanished (from the totals), doubling."""
        self.step_backs += 1
        self._step_backs += 1
        if self._step_backs > _MAX_STEP_BACKS:
            raise ApiError(f"GET {self.path}: paging could not re-anchor after {_MAX_STEP_BACKS} step-backs",
                           category="paging", method="GET", path=self.path)
        vanished = 0
        if previous_total is not None and fetched.total is not None:
            vanished = previous_total - fetched.total
        self._step = max(self._step * 2, vanished, 1)
        return max(0, fetched.offset - self._step)

    def _new_records(self, records: Sequence[dict]) -> Sequence[dict]:
        """Drop what was already yielded (key at or below the anchor) and move the anchor forward."""
        if not self.ordered or not records:
            return records
        keys = column(records, self.primary_key)
        try:
            ascending = all(map(operator.lt, keys, islice(keys, 1, None))) and keys[0] is not None
        except TypeError:  # a record without a key, or keys of mixed types
            ascending = False
        if not ascending:
            raise ApiError(f"GET {self.path}: records are not in ascending {self.primary_key} order, "
                           "so paging cannot be made safe; declare `order: none` for this resource",
                           category="paging", method="GET", path=self.path)
        anchor = self.anchor
        first_new = 0 if anchor is None else bisect_right(keys, anchor)
        if first_new < len(keys):
            self.anchor = keys[-1]
        return records[first_new:] if first_new else records

    # -- fetching -------------------------------------------------------------------------------

    def _take(self, offset: int, ahead: deque) -> _Fetched:
        """The page at `offset`: from the fetch-ahead queue when it is there, else fetched now."""
        while ahead and ahead[0][0] < offset:
            ahead.popleft()[1].cancel()
        if ahead and ahead[0][0] == offset:
            return ahead.popleft()[1].result()
        self._abandon(ahead)
        return self._fetch(offset)

    def _fetch_ahead(self, executor: ThreadPoolExecutor, ahead: deque, offset: int, total: int | None) -> None:
        """Keep up to `prefetch` pages in flight, but only pages the total says hold new records."""
        if total is None:
            return
        step = self.pagination.page_size - self.pagination.overlap
        next_offset = ahead[-1][0] + step if ahead else offset
        while len(ahead) < self.prefetch and next_offset + self.pagination.overlap < total:
            ahead.append((next_offset, executor.submit(self._fetch, next_offset)))
            next_offset += step

    @staticmethod
    def _abandon(ahead: deque) -> None:
        while ahead:
            ahead.popleft()[1].cancel()

    def _fetch(self, offset: int) -> _Fetched:
        pagination = self.pagination
        params = {**self.params, **pagination.total_params,
                  pagination.offset_param: offset, pagination.limit_param: pagination.page_size}
        sent_at = time.monotonic()
        response = self.client.request("GET", self.path, params=params)
        total = None
        if pagination.total_header:
            raw = response.headers.get(pagination.total_header, "")
            total = int(raw) if raw.isdigit() else None
        return _Fetched(offset, response.content, total, sent_at, self.path, self.records_path, self._wanted)
