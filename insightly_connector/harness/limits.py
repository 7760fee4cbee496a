"""The two request budgets of an instance: a per-second limit and a daily quota.

Per second: a sliding one-second window over accepted requests (real monotonic time, so moving the
harness clock does not refill it). A request over the limit answers 429 with `Retry-After: 1` and is
not counted. Daily: the plan's quota, spent by every authenticated request that is answered (429s
excepted), reset when the harness clock passes midnight UTC.
"""

from __future__ import annotations

import time
from collections import deque
from datetime import date


class RateWindow:
    def __init__(self, per_second: int | None):
        self.per_second = per_second
        self._accepted: deque[float] = deque()

    def admit(self, now: float | None = None) -> bool:
        """True (and counted) when a request arriving at `now` may go ahead.

        Requests are counted at arrival, as a gateway would, not when the emulator's lock lets them
        through: waiting behind another request's work must not squeeze arrivals together."""
        if not self.per_second:
            return True
        now = time.monotonic() if now is None else now
        if self._accepted:
            now = max(now, self._accepted[-1])  # threads can take the lock out of arrival order
        while self._accepted and now - self._accepted[0] >= 1.0:
            self._accepted.popleft()
        if len(self._accepted) >= self.per_second:
            return False
        self._accepted.append(now)
        return True


class DailyQuota:
    def __init__(self, limit: int, today: date):
        self.limit, self.used, self.day = limit, 0, today

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def roll(self, today: date) -> None:
        if today != self.day:
            self.day, self.used = today, 0

    def spend(self) -> bool:
        """True (and one request spent) while the quota lasts."""
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def reset(self) -> None:
        self.used = 0

    def set_remaining(self, remaining: int) -> None:
        self.used = max(0, self.limit - remaining)
