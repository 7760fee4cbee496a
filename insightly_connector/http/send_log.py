"""The budget one API instance gives per second, as a log of send times that several senders share.

A send may go when fewer than `capacity` sends of the log fall in the last `window` seconds and no
429 pause is running; otherwise the answer is how long to wait. Every store (this process's memory,
a file every process on the machine locks, a Redis server every machine reaches) keeps the same
record: the most recent send times in ascending order and the time a 429 pause ends. The decision is
the same pure function everywhere, so the stores differ only in where the record lives and whose
clock stamps it.

A send time is the latest moment the server may have counted the send, not only when it left: a send
whose answer came back late may have been counted late too (the server, or our own process, was
held up), and its time is then moved later (`moved_later`), so that the sends a window after it wait
for it whichever process makes them."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Sequence
from typing import Protocol

#: Send times kept per instance: enough for the highest per-second pace a credential may set (100).
KEEP = 128
#: A pause or a send time further ahead of "now" than this cannot be real (a clock that restarted).
MAX_AHEAD_SECONDS = 600.0


#: The shortest gap between two sends, as a share of the even spacing (window / capacity). A burst of a
#: whole window's sends at once arrives as a pile that the server counts late and unevenly, which is
#: what squeezes eleven arrivals into one of its seconds; a quarter of the even gap spreads the pile
#: while a run's first second still gets its sends out early.
SPACING_SHARE = 0.25


def next_send_wait(sent: Sequence[float], paused_until: float, now: float, capacity: int, window: float) -> float:
    """Seconds to wait before one more send fits; 0 when it may go now (the caller then logs `now`)."""
    wait = paused_until - now
    if sent:
        wait = max(wait, sent[-1] + SPACING_SHARE * window / capacity - now)
    if len(sent) >= capacity:
        wait = max(wait, sent[-capacity] + window - now)
    return max(0.0, wait)


def moved_later(sent: list[float], stamp: float, to: float, now: float) -> list[float] | None:
    """The log with the send logged at `stamp` moved to `to`, still in ascending order; None when that
    send has left the log or `to` is not later (nothing to change). Never past `now`: a time ahead of
    the clock reads as one from before a restart, and the log would be dropped."""
    to = min(to, now)
    if to <= stamp or stamp not in sent:
        return None
    moved = list(sent)
    moved.remove(stamp)
    bisect.insort(moved, to)
    return moved


class SendLogStore(Protocol):
    """Where one instance's send log lives. `try_send` logs a send and returns (0, its logged time), or
    returns (the wait, 0). `move_later(stamp, by, to)` moves the send logged at `stamp` and since moved
    `by` seconds to `stamp + to` seconds (times are the store's own: only the store does sums on them)."""

    description: str

    def try_send(self, capacity: int, window: float) -> tuple[float, float]: ...

    def move_later(self, stamp: float, by: float, to: float) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def close(self) -> None: ...


class MemorySendLog:
    """The log in this process only: every client of the credential here shares it, other processes don't."""

    description = "process"

    def __init__(self) -> None:
        self._sent: list[float] = []
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def try_send(self, capacity: int, window: float) -> tuple[float, float]:
        with self._lock:
            now = time.monotonic()
            wait = next_send_wait(self._sent, self._paused_until, now, capacity, window)
            if wait > 0.0:
                return wait, 0.0
            self._sent.append(now)
            del self._sent[:-KEEP]
            return 0.0, now

    def move_later(self, stamp: float, by: float, to: float) -> None:
        with self._lock:
            moved = moved_later(self._sent, stamp + by, stamp + to, time.monotonic())
            if moved is not None:
                self._sent = moved

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def close(self) -> None:
        """Nothing to release."""
