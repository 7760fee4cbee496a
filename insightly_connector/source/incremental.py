"""The incremental window: which updated-after bound to ask for, which records to keep, where to
start next time.

The API filters on "updated after" with a granularity of one second and does not say whether the
bound is inclusive. So the request asks for `cursor - granularity` (which returns everything at or
after the cursor either way), records below the cursor are dropped, and records at or after it
that the previous run already emitted in the same version (the boundary set) are dropped too: ties
at the cursor are neither lost nor repeated.

A version is the updated value plus a digest of the record's content: with one-second timestamps a
record can change twice within the second in which we read it, and the updated value alone would
then hide the second change for ever.

The next cursor is the sync start S (a lower bound of the server's clock when the read's first
request was sent, minus the lookback), not the highest updated value seen: records come in key
order, not update order, so a record updated during the read behind our position has an updated
value >= S and is picked up by the next run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import repeat
from typing import Any

import orjson

from insightly_connector.source.raw_records import RawRecords, column

_PROBE = datetime(2001, 2, 3, 4, 5, 6)  # distinct fields, to test whether a format is ISO-parseable
_MOST_SIGNIFICANT_FIRST = ("%Y", "%m", "%d", "%H", "%M", "%S", "%f")


@dataclass(frozen=True)
class CursorPolicy:
    """The incremental settings of one resource (its merged `incremental` block), compiled once by the spec."""

    cursor_field: str
    cursor_format: str
    param: str
    param_format: str
    granularity: timedelta
    lookback: timedelta
    path: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CursorPolicy:
        return cls(
            cursor_field=config["cursor_field"],
            cursor_format=config["cursor_format"],
            param=config["param"],
            param_format=config["param_format"],
            granularity=timedelta(seconds=float(config["granularity_seconds"])),
            lookback=timedelta(seconds=float(config["lookback_seconds"])),
            path=config["path"],
        )

    def format(self, moment: datetime) -> str:
        return moment.strftime(self.cursor_format)

    def sorts_as_text(self) -> bool:
        """True when equal-length values of this format order as text exactly as they do in time
        (fixed-width fields, most significant first, as in ISO 8601), so comparing needs no parsing."""
        directives = re.findall(r"%.", self.cursor_format)
        literals = re.sub(r"%.", "", self.cursor_format)
        return (directives == list(_MOST_SIGNIFICANT_FIRST[:len(directives)]) and len(directives) >= 1
                and not any(char.isdigit() for char in literals))

    def parser(self) -> Callable[[str], datetime]:
        """A parser of cursor values; `fromisoformat` (fast) when it reads this format exactly.

        RFC 3339 is read too, whatever the format: the typed platform outputs carry dates that way, so a
        state a platform holds (or a user edits) may spell its cursor so."""
        try:
            iso_ok = datetime.fromisoformat(_PROBE.strftime(self.cursor_format)) == _PROBE
        except ValueError:
            iso_ok = False
        if iso_ok:
            return lambda text: _naive_utc(datetime.fromisoformat(_offset_for_z(text)))
        cursor_format = self.cursor_format

        def parse(text: str) -> datetime:
            try:
                return _naive_utc(datetime.strptime(text, cursor_format))
            except ValueError:
                if "T" not in text:
                    raise
                return _naive_utc(datetime.fromisoformat(_offset_for_z(text)))

        return parse


def _offset_for_z(text: str) -> str:
    """`...Z` as `...+00:00`, which `fromisoformat` reads before Python 3.11 too."""
    return text[:-1] + "+00:00" if text.endswith("Z") else text


def _naive_utc(moment: datetime) -> datetime:
    """Cursor values without a zone are UTC; compare everything as naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def record_digest(record: dict) -> str:
    """A short fingerprint of a record's content, to tell two versions with one timestamp apart."""
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()


def _version(entry: Any) -> list:
    """A boundary entry as [updated, digest]; a bare updated string (digest unknown) is accepted too."""
    if isinstance(entry, str):
        return [entry, None]
    return [entry[0], entry[1] if len(entry) > 1 else None]


class Window:
    """One pass over a resource: filters records against the old cursor and collects the new boundary.

    `cursor is None` means a full read (first run or full refresh): nothing is dropped, but the
    records that will sit at or after the next cursor are remembered, so the next run does not
    repeat them."""

    def __init__(self, policy: CursorPolicy, *, cursor: str | None = None, boundary: dict | None = None,
                 sync_start: str | None = None, pending: dict | None = None):
        self.policy = policy
        self._parse = policy.parser()
        self.cursor = self._parse(cursor) if cursor else None
        # Saved texts in another spelling (RFC 3339) are put in the cursor format, so ties compare as text.
        self.cursor_text = policy.format(self.cursor) if self.cursor else None
        self.boundary = {key: self._normalised(_version(entry)) for key, entry in (boundary or {}).items()}
        self.sync_start: datetime | None = self._parse(sync_start) if sync_start else None
        self.pending = {key: _version(entry) for key, entry in (pending or {}).items()}

    def _normalised(self, version: list) -> list:
        return [self.policy.format(self._parse(version[0])), version[1]]

    @property
    def incremental(self) -> bool:
        return self.cursor is not None

    def request_bound(self) -> str:
        """The updated-after value to send: one granularity before the cursor."""
        assert self.cursor is not None, "a full read has no bound"
        return (self.cursor - self.policy.granularity).strftime(self.policy.param_format)

    def start(self, server_clock_at_first_send: datetime) -> None:
        """Fix S from the server's clock when the first request was sent (a resumed window keeps its own)."""
        if self.sync_start is None:
            self.sync_start = _naive_utc(server_clock_at_first_send).replace(microsecond=0)

    @property
    def next_cursor(self) -> datetime:
        assert self.sync_start is not None, "start() must be called before the first records"
        return self.sync_start - self.policy.lookback

    def select(self, records: Sequence[dict], primary_key: str | None) -> Sequence[dict]:
        """The records to emit from one page, remembering those that form the next boundary.

        The hot path of an incremental read: it reads the cursor and key columns only (a record is
        parsed whole just for the digest of a boundary tie), and values in a text-sortable format
        are compared as text."""
        parse = self._parse
        cursor, keep_from = self.cursor, self.next_cursor
        cursor_text = self.policy.format(cursor) if cursor is not None else None
        keep_text = self.policy.format(keep_from)
        width = len(keep_text) if self.policy.sorts_as_text() else -1
        boundary, pending = self.boundary, self.pending
        texts = column(records, self.policy.cursor_field)
        keys = column(records, primary_key) if primary_key else [None] * len(texts)
        if self._keeps_all(texts, keys, cursor_text, keep_text, width):
            return records
        kept: list[int] = []
        for index, (text, key) in enumerate(zip(texts, keys, strict=True)):
            if not isinstance(text, str) or key is None:
                kept.append(index)  # nothing to judge it by: emitting it can only repeat, never lose
                continue
            if len(text) == width:
                below_cursor = cursor_text is not None and text < cursor_text
                in_next_boundary = text >= keep_text
            else:
                updated = parse(text)
                below_cursor = cursor is not None and updated < cursor
                in_next_boundary = updated >= keep_from
            if below_cursor:
                continue
            key = str(key)
            digest = None
            seen = boundary.get(key) if cursor is not None else None
            if seen is not None and seen[0] == text:
                digest = record_digest(records[index])
                if seen[1] is None or seen[1] == digest:
                    continue  # this very version was emitted before
            if in_next_boundary:
                pending[key] = [text, digest or record_digest(records[index])]
            kept.append(index)
        if len(kept) == len(texts):
            return records
        return records.take(kept) if isinstance(records, RawRecords) else [records[index] for index in kept]

    def _keeps_all(self, texts: list, keys: list, cursor_text: str | None, keep_text: str, width: int) -> bool:
        """The common page, judged at once (C-level, no loop over its records): every record has a key
        and a cursor value in a text-sortable format, none is below the cursor, none belongs to the next
        boundary, and none was in the previous one, so `select` keeps every record and remembers none."""
        if width < 0 or not texts or None in keys or not all(map(isinstance, texts, repeat(str))) \
                or set(map(len, texts)) != {width}:
            return False
        if (cursor_text is not None and min(texts) < cursor_text) or max(texts) >= keep_text:
            return False
        return self.cursor is None or not self.boundary or self.boundary.keys().isdisjoint(map(str, keys))

    def in_progress(self) -> dict[str, Any]:
        """What a resumed run needs to continue this same window."""
        return {
            "mode": "incremental" if self.incremental else "full",
            "sync_start": self.policy.format(self.sync_start) if self.sync_start else None,
            "bound": self.request_bound() if self.incremental else None,
            "boundary": self.pending,
        }

    def completed(self) -> dict[str, Any]:
        """The resource state once the window has been read to the end."""
        cutoff = self.next_cursor
        merged = {**self.boundary, **self.pending}
        parse = self._parse
        return {
            "cursor": self.policy.format(cutoff),
            "boundary": {key: version for key, version in merged.items() if parse(version[0]) >= cutoff},
        }
