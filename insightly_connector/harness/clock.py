"""The harness's own clock: real UTC plus an offset that `advance_clock` moves.

Record dates, the daily-quota day and the HTTP `Date` header all come from it, so a test can jump a day
ahead (quota reset) or make "now" later than every record without waiting.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from email.utils import formatdate


class Clock:
    def __init__(self, offset_seconds: float = 0.0):
        self.offset = offset_seconds

    def epoch(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), timezone.utc)

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def http_date(self) -> str:
        return formatdate(self.epoch(), usegmt=True)
