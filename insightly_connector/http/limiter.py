"""One rate limiter per credential, shared by every request of a run (reads and writes alike).

It paces proactively, so that 429s are rare rather than routine: no more than `requests_per_second`
sends in any window of one second plus a safety margin (which absorbs scheduling jitter between our
send and the server's arrival), and no more than `max_in_flight` requests outstanding. The margin
starts small, because every millisecond of it is throughput lost, and widens each time a 429 shows
that the server saw our requests closer together than we sent them. A 429 pauses every sender, not
just the one that received it."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

_WINDOW_SECONDS = 1.0
_MARGIN_STEP_SECONDS = 0.02  # widening per 429 received
_MAX_MARGIN_SECONDS = 0.1
_LONG_WAIT_SECONDS = 1.0


class RateLimiter:
    """A sliding one-second window of send times plus an in-flight cap, safe across threads."""

    def __init__(self, requests_per_second: float, max_in_flight: int = 4, safety_margin_seconds: float = 0.02):
        if requests_per_second <= 0 or max_in_flight <= 0:
            raise ValueError("requests_per_second and max_in_flight must be positive")
        self.capacity = max(1, int(requests_per_second))
        self._base_window = _WINDOW_SECONDS * self.capacity / requests_per_second
        self.margin = safety_margin_seconds
        self.max_in_flight = max_in_flight
        self._sent: deque[float] = deque()
        self._in_flight = 0
        self._paused_until = 0.0
        self._cond = threading.Condition()

    def acquire(self, on_long_wait: Callable[[float], None] | None = None) -> None:
        """Block until one more request may be sent, then count it as sent and in flight.

        `on_long_wait(seconds)` hears once of a wait of a second or more, so a slow pace is visible."""
        told = on_long_wait is None
        with self._cond:
            while True:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= self.window:
                    self._sent.popleft()
                wait = self._paused_until - now
                if len(self._sent) >= self.capacity:
                    wait = max(wait, self._sent[0] + self.window - now)
                if wait <= 0 and self._in_flight < self.max_in_flight:
                    self._sent.append(now)
                    self._in_flight += 1
                    return
                if not told and wait >= _LONG_WAIT_SECONDS:
                    told = True
                    on_long_wait(wait)
                self._cond.wait(timeout=wait if wait > 0 else None)

    def release(self) -> None:
        """The request has its answer (or failed): free its in-flight slot."""
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    @property
    def window(self) -> float:
        return self._base_window + self.margin

    def throttled(self, pause_seconds: float) -> None:
        """A 429: hold every sender back for `pause_seconds` and keep requests further apart from now on."""
        with self._cond:
            self.margin = max(self.margin, min(_MAX_MARGIN_SECONDS, self.margin + _MARGIN_STEP_SECONDS))
            self._paused_until = max(self._paused_until, time.monotonic() + pause_seconds)
            self._cond.notify_all()


class UnlimitedLimiter(RateLimiter):
    """For APIs or harness runs without a per-second limit: only the in-flight cap applies."""

    def __init__(self, max_in_flight: int = 4):
        super().__init__(requests_per_second=1e9, max_in_flight=max_in_flight, safety_margin_seconds=0.0)


_shared: dict[tuple, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(identity: tuple, requests_per_second: float | None, max_in_flight: int,
                   safety_margin_seconds: float) -> RateLimiter:
    """The limiter of one credential in this process: every client built for it paces together."""
    with _shared_lock:
        limiter = _shared.get(identity)
        if limiter is None:
            if requests_per_second:
                limiter = RateLimiter(requests_per_second, max_in_flight, safety_margin_seconds)
            else:
                limiter = UnlimitedLimiter(max_in_flight)
            _shared[identity] = limiter
        return limiter
