"""The incremental window: which updated-after bound to ask for, which records to keep, where to
start next time.

The API filters on "updated after" with a granularity of one second and does not say whether the
bound is inclusive. So the request asks for `cursor - granularity` (which returns everything at or
after the cursor either way), records below the cursor are dropped, and records at or after it
that the previous run already emitted with the same updated value (the boundary set) are dropped
too: ties at the cursor are neither lost nor repeated.

The next cursor is the sync start S (the server's clock when the read began, minus one
granularity for the time between the server reading and stamping its `Date`, minus the lookback),
not the highest updated value seen: records come in key order, not update order, so a record
updated during the read behind our position has an updated value >= S and is picked up next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

_PROBE = datetime(2001, 2, 3, 4, 5, 6)  # distinct fields, to test whether a format is ISO-parseable


@dataclass(frozen=True)
class CursorPolicy:
    """The incremental settings of one resource (its `incremental` block)."""

    cursor_field: str
    cursor_format: str
    param: str
    param_format: str
    granularity: timedelta
    lookback: timedelta
    path: str

    @classmethod
    def from_config(cls, config: dict) -> CursorPolicy:
        return cls(
            cursor_field=config["cursor_field"],
            cursor_format=config["cursor_format"],
            param=config["param"],
            param_format=config["param_format"],
            granularity=timedelta(seconds=float(config.get("granularity_seconds", 1))),
            lookback=timedelta(seconds=float(config.get("lookback_seconds", 0))),
            path=config["path"],
        )

    def format(self, moment: datetime) -> str:
        return moment.strftime(self.cursor_format)

    def parser(self) -> Callable[[str], datetime]:
        """A parser of cursor values; `fromisoformat` (fast) when it reads this format exactly."""
        try:
            iso_ok = datetime.fromisoformat(_PROBE.strftime(self.cursor_format)) == _PROBE
        except ValueError:
            iso_ok = False
        if iso_ok:
            return lambda text: _naive_utc(datetime.fromisoformat(text))
        cursor_format = self.cursor_format
        return lambda text: _naive_utc(datetime.strptime(text, cursor_format))


def _naive_utc(moment: datetime) -> datetime:
    """Cursor values without a zone are UTC; compare everything as naive UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def sync_start_from(server_now: datetime, policy: CursorPolicy) -> datetime:
    """S: a lower bound of the server clock when the read's first request was served."""
    return _naive_utc(server_now).replace(microsecond=0) - policy.granularity


class Window:
    """One pass over a resource: filters records against the old cursor and collects the new boundary.

    `cursor is None` means a full read (first run or full refresh): nothing is dropped, but the
    records that will sit at or after the next cursor are remembered, so the next run does not
    repeat them."""

    def __init__(self, policy: CursorPolicy, *, cursor: str | None = None, boundary: dict | None = None,
                 sync_start: str | None = None, pending: dict | None = None):
        self.policy = policy
        self._parse = policy.parser()
        self.cursor_text = cursor
        self.cursor = self._parse(cursor) if cursor else None
        self.boundary: dict[str, str] = dict(boundary or {})
        self.sync_start: datetime | None = self._parse(sync_start) if sync_start else None
        self.pending: dict[str, str] = dict(pending or {})

    @property
    def incremental(self) -> bool:
        return self.cursor is not None

    def request_bound(self) -> str:
        """The updated-after value to send: one granularity before the cursor."""
        assert self.cursor is not None, "a full read has no bound"
        return (self.cursor - self.policy.granularity).strftime(self.policy.param_format)

    def start(self, server_now: datetime) -> None:
        """Fix S once the first page has been served (a resumed window keeps its own)."""
        if self.sync_start is None:
            self.sync_start = sync_start_from(server_now, self.policy)

    @property
    def next_cursor(self) -> datetime:
        assert self.sync_start is not None, "start() must be called before the first records"
        return self.sync_start - self.policy.lookback

    def select(self, records: list[dict], primary_key: str | None) -> list[dict]:
        """The records to emit from one page, recording those that form the next boundary."""
        field = self.policy.cursor_field
        parse = self._parse
        cursor = self.cursor
        boundary = self.boundary
        keep_from = self.next_cursor
        pending = self.pending
        kept = []
        for record in records:
            text = record.get(field)
            if not isinstance(text, str):
                kept.append(record)  # nothing to judge it by: emitting it can only repeat, never lose
                continue
            updated = parse(text)
            key = str(record.get(primary_key)) if primary_key else None
            if cursor is not None:
                if updated < cursor:
                    continue
                if key is not None and boundary.get(key) == text:
                    continue
            if key is not None and updated >= keep_from:
                pending[key] = text
            kept.append(record)
        return kept

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
            "boundary": {key: text for key, text in merged.items() if parse(text) >= cutoff},
        }
