"""One rate limiter per API instance, shared by every request of a run (reads and writes alike), and by
every process on the machine (a locked file) or on every machine (Redis) that uses the same instance.

It paces proactively, so that 429s are rare rather than routine: no more than `requests_per_second`
sends in any window of one second plus a safety margin (which absorbs scheduling jitter between our
send and the server's arrival), and no more than `max_in_flight` requests outstanding from this
process. The window is counted in a send log (`send_log.py`) that lives where the budget is shared.
The margin is small, because every millisecond of it is throughput lost. A larger delay shows in the
answer: a request answered later than this process's quickest answer by more than half the margin may
have been counted that much later, so its logged time is moved later by the difference, and the sends
a window after it (from any process sharing the log) wait for it. A 429
still widens the margin, and pauses every sender that shares the log, not just the one that
received it."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from insightly_connector.errors import TransientError
from insightly_connector.http.send_log import MemorySendLog, SendLogStore

_WINDOW_SECONDS = 1.0
_MARGIN_STEP_SECONDS = 0.02  # widening per 429 received
_MAX_MARGIN_SECONDS = 0.1
_NARROW_AFTER_SENDS = 100  # sends without a 429 before the margin steps back towards its start
_LONG_WAIT_SECONDS = 1.0
_MOVE_STEP_SECONDS = 0.001  # a logged time is moved only by at least this much (each move is a store write)
#: The share of the margin that absorbs lateness an answer shows; lateness beyond it moves the send. The
#: rest of the margin absorbs the error of judging lateness by answer times (answers vary a little in
#: how long the server and the return took): with the whole margin judged, a pair of sends one window
#: apart kept under a millisecond of room in a write bench, and drew a 429 in two runs of four.
_MARGIN_SHARE_JUDGED = 0.5
#: Until a process has had this many answers it knows no quickest to compare with (its first requests
#: meet a cold connection and, when several processes start together, a busy machine): each of these
#: answers counts as late by all its time beyond half the margin, as the server may have counted the request
#: as late as it answered.
_ANSWERS_BEFORE_A_QUICKEST = 3
#: The quickest answer is the quickest of the last hundred that took at least half their median: a
#: turn given back at once (a dead connection found before anything was written) is no answer and
#: would make every answer look late, and a slow spell of a few seconds does not become the norm (its
#: sends would then not be moved, and the quick sends after it would reach the server too soon).
_QUICKEST_OF_ANSWERS = 100


@dataclass
class _Answered:
    """One of this process's recent sends, with what its answer showed."""

    stamp: float  # its time in the send log (the store's own units)
    elapsed: float  # from the turn's grant to its release (the answer read)
    answered_at: float  # time.monotonic() of the release
    moved: float = 0.0  # seconds its logged time has been moved later so far


class RateLimiter:
    """A sliding one-second window over a (possibly shared) send log, plus this process's in-flight cap.

    Thread-safe. One thread of the process at a time asks the log for a turn; the others wait for it.
    A thread calls `release()` once the answer to its turn is read: the time between the two is what
    shows a late arrival."""

    def __init__(self, requests_per_second: float, max_in_flight: int = 4, safety_margin_seconds: float = 0.02,
                 *, store: SendLogStore | None = None):
        if requests_per_second <= 0 or max_in_flight <= 0:
            raise ValueError("requests_per_second and max_in_flight must be positive")
        self.capacity = max(1, int(requests_per_second))
        self._base_window = _WINDOW_SECONDS * self.capacity / requests_per_second
        self.margin = self._starting_margin = safety_margin_seconds
        self._sends_since_throttled = 0
        self.max_in_flight = max_in_flight
        self.store: SendLogStore = store if store is not None else MemorySendLog()
        self._in_flight = 0
        self._slots = threading.Condition()
        self._turn = threading.Lock()
        self._grants = threading.local()  # this thread's turn: (its logged time, when it was granted)
        self._answers = threading.Lock()
        self._recent: deque[_Answered] = deque()
        self._elapsed: deque[float] = deque(maxlen=_QUICKEST_OF_ANSWERS)  # the last answers' times
        self._quickest = math.inf
        self._answer_count = 0

    def acquire(self, on_long_wait: Callable[[float], None] | None = None) -> None:
        """Block until one more request may be sent, then count it as sent and in flight.

        `on_long_wait(seconds)` hears once of a wait of a second or more, so a slow pace is visible."""
        with self._slots:
            while self._in_flight >= self.max_in_flight:
                self._slots.wait()
            self._in_flight += 1
        try:
            self._take_turn(on_long_wait)
        except BaseException:
            self.release()
            raise

    def _take_turn(self, on_long_wait: Callable[[float], None] | None) -> None:
        told = on_long_wait is None
        with self._turn:
            while True:
                wait, stamp = self.store.try_send(self.capacity, self.window)
                if wait <= 0:
                    # timed after the store answers, so that a move never carries a send past "now"
                    self._grants.turn = (stamp, time.monotonic())
                    self._sent_quietly()
                    return
                if not told and wait >= _LONG_WAIT_SECONDS:
                    told = True
                    on_long_wait(wait)
                time.sleep(wait)

    def _sent_quietly(self) -> None:
        """A 429 widens the margin for the jitter it revealed; a long run of sends without one narrows it
        again, a step at a time, so that one stray 429 does not cost the rest of a long run its pace."""
        self._sends_since_throttled += 1
        if self._sends_since_throttled >= _NARROW_AFTER_SENDS and self.margin > self._starting_margin:
            self.margin = max(self._starting_margin, self.margin - _MARGIN_STEP_SECONDS)
            self._sends_since_throttled = 0

    def release(self) -> None:
        """The request has its answer (or failed): free its in-flight slot, and move its logged time
        later if the answer came late."""
        turn = getattr(self._grants, "turn", None)
        self._grants.turn = None
        with self._slots:
            self._in_flight -= 1
            self._slots.notify()
        if turn is not None:
            self._answered(turn[0], time.monotonic() - turn[1])

    def _answered(self, stamp: float, elapsed: float) -> None:
        """The answer took `elapsed` seconds. What it took beyond this process's quickest recent answer
        is an upper bound on how late the server may have counted the send (it cannot count a request
        after answering it); half the margin covers that much, the rest moves the logged time later.
        When the quickest changes, the answers of the last two windows are judged again."""
        now = time.monotonic()
        with self._answers:
            while self._recent and self._recent[0].answered_at < now - 2 * self.window:
                self._recent.popleft()  # two windows after its send, no send waits for it any more
            answered = _Answered(stamp, elapsed, now)
            self._recent.append(answered)
            self._elapsed.append(elapsed)
            self._answer_count += 1
            quickest = 0.0
            if self._answer_count > _ANSWERS_BEFORE_A_QUICKEST:
                import statistics  # with the first answers, not before a run's first request (3 ms)

                typical = statistics.median(self._elapsed)
                quickest = min(taken for taken in self._elapsed if taken >= typical / 2)
            judged = list(self._recent) if quickest != self._quickest else [answered]
            self._quickest = quickest
            for entry in judged:  # under the lock: two moves of one send must not cross
                late = entry.elapsed - quickest - self.margin * _MARGIN_SHARE_JUDGED
                if late < entry.moved + _MOVE_STEP_SECONDS:
                    continue
                try:
                    self.store.move_later(entry.stamp, entry.moved, late)
                except (TransientError, OSError):
                    return  # the store failed: the next turn reports it, with the run's own error handling
                entry.moved = late

    @property
    def window(self) -> float:
        return self._base_window + self.margin

    def throttled(self, pause_seconds: float) -> None:
        """A 429: hold every sender back for `pause_seconds` and keep requests further apart from now on."""
        self.margin = max(self.margin, min(_MAX_MARGIN_SECONDS, self.margin + _MARGIN_STEP_SECONDS))
        self._sends_since_throttled = 0
        self.store.pause(pause_seconds)


class UnlimitedLimiter(RateLimiter):
    """For APIs or harness runs without a per-second limit: only the in-flight cap applies."""

    def __init__(self, max_in_flight: int = 4):
        super().__init__(requests_per_second=1e9, max_in_flight=max_in_flight, safety_margin_seconds=0.0)

    def _answered(self, stamp: float, elapsed: float) -> None:
        """No window to keep, so a late answer moves nothing."""


def instance_key(identity: tuple) -> str:
    """A file and key name for one instance's budget: a digest of its identity, never the key itself."""
    return hashlib.sha256("\0".join(("rate-limit", *map(str, identity))).encode()).hexdigest()[:32]


def open_send_log(store_url: str | None, namespace: str, key: str) -> SendLogStore:
    """The send log an instance's budget is shared through: Redis when `store_url` names a server,
    else a file every process on this machine shares (or, if no private directory can be made, this
    process's memory)."""
    if store_url:
        from insightly_connector.http.redis_send_log import RedisSendLog

        return RedisSendLog(store_url, key)
    from insightly_connector.http.file_send_log import FileSendLog, default_directory

    try:
        return FileSendLog(default_directory(namespace), key)
    except OSError:
        return MemorySendLog()


_shared: dict[tuple, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(identity: tuple, requests_per_second: float | None, max_in_flight: int,
                   safety_margin_seconds: float, *, store_url: str | None = None,
                   namespace: str = "connector") -> RateLimiter:
    """The limiter of one instance in this process: every client built for it paces together, and
    through its send log (`open_send_log`) with every other process that uses the instance."""
    with _shared_lock:
        limiter = _shared.get((identity, store_url))
        if limiter is None:
            if requests_per_second:
                store = open_send_log(store_url, namespace, instance_key(identity))
                limiter = RateLimiter(requests_per_second, max_in_flight, safety_margin_seconds, store=store)
            else:
                limiter = UnlimitedLimiter(max_in_flight)
            _shared[(identity, store_url)] = limiter
        return limiter
