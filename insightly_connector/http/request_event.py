"""One HTTP attempt as an observer sees it (`--verbose`, `--request-log`): what was asked, how it
ended and how long it took. Built from the scrubbed path and query only, never from headers, so
neither the key nor the Authorization header can reach an observer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestEvent:
    method: str
    path: str  # the URL's path, the base URL's path included (e.g. /v3.1/Contacts)
    query: str  # the encoded query string, "" when there is none
    status: int | None  # None when no answer came (a network failure)
    ms: float
    attempt: int  # 1-based, within one logical request (retries and waited-out 429s count)
    error: str | None  # a short reason when the attempt did not succeed
    quota_remaining: int | None  # from this answer's quota headers, when it carried them
    quota_limit: int | None
    sent_at: float  # time.monotonic() when the attempt started


RequestObserver = Callable[[RequestEvent], None]
