"""Faults the harness can play: targeted injections (deterministic, for tests) and seeded random ones
(for benchmarks and soak runs), plus churn (records changing while a client pages).

Injection kinds:
* `status`: answer the next matching requests with that status before processing them;
* `reset`: close the connection without answering, before processing;
* `truncate`: process, then send fewer body bytes than Content-Length and close;
* `reset_after_processing`: process (a POST creates its record), then close without answering;
* `delay_after_processing`: process, then wait `seconds` before answering (past a client's timeout).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

KINDS = ("status", "reset", "truncate", "reset_after_processing", "delay_after_processing")
BEFORE_PROCESSING = ("status", "reset")
SERVER_ERRORS = (500, 502, 503, 504)


@dataclass
class Injection:
    kind: str = "status"
    status: int | None = None
    count: int = 1
    method: str | None = None
    path_prefix: str | None = None
    seconds: float = 0.0
    retry_after: int | None = None
    after: int = 0  # let this many matching requests through untouched first

    def __post_init__(self):
        if self.after < 0:
            raise ValueError("after must be at least 0")
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.kind == "status" and not self.status:
            raise ValueError("a status fault needs a status")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        self.method = self.method.upper() if self.method else None
        if self.status == 429 and self.retry_after is None:
            self.retry_after = 1

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and \
            (self.path_prefix is None or path.startswith(self.path_prefix))

    @property
    def before_processing(self) -> bool:
        return self.kind in BEFORE_PROCESSING


@dataclass
class RandomFaults:
    error_rate: float = 0.0
    reset_rate: float = 0.0
    truncate_rate: float = 0.0
    burst_429_every: int = 0
    burst_429_length: int = 3
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)
    requests: int = 0
    burst_left: int = 0

    def __post_init__(self):
        for name in ("error_rate", "reset_rate", "truncate_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        self.rng = random.Random(self.seed)

    def delay_seconds(self) -> float:
        jitter = self.rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.latency_ms + jitter) / 1000.0

    def draw(self) -> tuple[str, int | None] | None:
        """The random fault for the next request: ("status", code) | ("reset", None) | ("truncate", None)."""
        self.requests += 1
        if self.burst_429_every and self.requests % self.burst_429_every == 0:
            self.burst_left = self.burst_429_length
        if self.burst_left:
            self.burst_left -= 1
            return "status", 429
        roll = self.rng.random()
        if roll < self.error_rate:
            return "status", self.rng.choice(SERVER_ERRORS)
        if roll < self.error_rate + self.reset_rate:
            return "reset", None
        if roll < self.error_rate + self.reset_rate + self.truncate_rate:
            return "truncate", None
        return None


@dataclass
class Churn:
    """Mutations applied to `collection` before every `every_requests`-th list or search of it (or, with
    `every_seconds`, before the first such request once that long has passed)."""

    collection: str
    creates: int = 1
    updates: int = 1
    deletes: int = 1
    every_requests: int = 1
    every_seconds: float | None = None
    seen: int = 0
    last_applied: float = 0.0

    def due(self, monotonic_now: float) -> bool:
        self.seen += 1
        if self.every_seconds is not None:
            if monotonic_now - self.last_applied >= self.every_seconds:
                self.last_applied = monotonic_now
                return True
            return False
        return self.seen % max(1, self.every_requests) == 0
