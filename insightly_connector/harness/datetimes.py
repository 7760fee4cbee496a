"""The two date forms of the API: `YYYY-MM-DD HH:MM:SS` (UTC) in record bodies, ISO-8601 in query strings.

Formatting is on the hot path of every page, so day strings are cached and the time part is built with
integer arithmetic instead of strftime.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

RECORD_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$")
QUERY_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(Z|[+-]00:?00)?$")


@lru_cache(maxsize=8192)
def _day(day_number: int) -> str:
    return datetime.fromtimestamp(day_number * 86400, timezone.utc).strftime("%Y-%m-%d")


def format_record_date(epoch: float) -> str:
    """Epoch seconds -> `YYYY-MM-DD HH:MM:SS` (UTC, whole seconds)."""
    seconds = int(epoch)
    day, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{_day(day)} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def parse_record_date(text: str) -> int | None:
    """`YYYY-MM-DD HH:MM:SS` -> epoch seconds, or None when the text is not in exactly that form."""
    match = RECORD_DATE.match(text) if isinstance(text, str) else None
    if not match:
        return None
    try:
        moment = datetime(*(int(g) for g in match.groups()), tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(moment.timestamp())


def parse_query_date(text: str) -> int | None:
    """An `updated_after_utc` value -> epoch seconds. Accepts `2018-04-09T16:58:14Z` (what clients send),
    `2018-04-09 16:58:14` and a bare date, as a .NET server would; fractions are truncated."""
    match = QUERY_DATE.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, _zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                          tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(moment.timestamp())
