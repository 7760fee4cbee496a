"""`http:` compiled once into frozen settings: timeouts, pace, daily quota headers, retries, errors.

Every value comes from `connector.yaml` (the meta-schema makes each one required, or says what its
absence means); nothing here supplies a default, so the client cannot drift from what the YAML says.
Compiled once per run and compared by identity (`eq=False`: a class made with a generated `__eq__` and
`__hash__` costs more to create, at every start-up)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from insightly_connector.http.error_policy import ErrorPolicy


@dataclass(frozen=True, eq=False)
class RateLimitPolicy:
    """How fast requests may go, shared by every process of one credential."""

    requests_per_second: float
    plans: Mapping[str, float]  # per credential `plan`; empty when the API has one pace
    max_in_flight: int
    safety_margin_seconds: float

    def pace(self, plan: str | None, own: float | None) -> float:
        """The credential's own pace if it sets one, else its plan's, else the spec's."""
        return own or self.plans.get(plan or "") or self.requests_per_second


@dataclass(frozen=True, eq=False)
class QuotaHeaders:
    """Where the API says how much of the daily quota is left."""

    limit_header: str
    remaining_header: str


@dataclass(frozen=True, eq=False)
class RetryPolicy:
    """How often and how long a failed request is tried again."""

    max_attempts: int
    initial_backoff_seconds: float
    max_backoff_seconds: float
    retry_after_header: str
    max_retry_after_seconds: float
    rate_limited_budget_seconds: float


@dataclass(frozen=True, eq=False)
class HttpPolicy:
    """Everything the client needs to know about the API's HTTP: timeouts, pace, quota, retries, errors."""

    connect_timeout: float
    read_timeout: float
    clock_skew_allowance_seconds: float
    rate_limit: RateLimitPolicy
    quota: QuotaHeaders | None  # None: the API reports no daily quota
    retry: RetryPolicy
    error_message_field: str | None  # None: error bodies are plain text
    errors: ErrorPolicy

    @classmethod
    def compile(cls, http: Mapping[str, Any]) -> HttpPolicy:
        rate, retry, quota = http["rate_limit"], http["retry"], http.get("daily_quota")
        return cls(
            connect_timeout=float(http["timeout_seconds"]["connect"]),
            read_timeout=float(http["timeout_seconds"]["read"]),
            clock_skew_allowance_seconds=float(http["clock_skew_allowance_seconds"]),
            rate_limit=RateLimitPolicy(float(rate["requests_per_second"]),
                                       {plan: float(pace) for plan, pace in rate.get("plans", {}).items()},
                                       int(rate["max_in_flight"]), float(rate["safety_margin_seconds"])),
            quota=QuotaHeaders(quota["limit_header"], quota["remaining_header"]) if quota else None,
            retry=RetryPolicy(int(retry["max_attempts"]), float(retry["initial_backoff_seconds"]),
                              float(retry["max_backoff_seconds"]), retry["retry_after_header"],
                              float(retry["max_retry_after_seconds"]), float(retry["rate_limited_budget_seconds"])),
            error_message_field=http.get("error_message_field"),
            errors=ErrorPolicy.compile(http["errors"]),
        )
