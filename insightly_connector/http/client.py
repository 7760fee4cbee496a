"""The HTTP client: the credential's auth header, the shared limiter, bounded retries, the error policy.

Every setting comes from the compiled `HttpPolicy`, and what a status means from its `ErrorPolicy`:
an answer to retry is retried (`retry`: counted attempts; `wait_out`: waited out within the
rate-limited budget, with the daily quota header deciding when the day's quota is spent); any other
answer raises the error its rule names. A request that is not idempotent (POST) is never re-sent
after it may have reached the server: the caller gets `OutcomeUnknown` and resolves it (by a lookup)
before deciding to send again.

Requests go through a `Transport` bound to the credential's validated origin (it cannot connect anywhere
else and follows no redirect), and the limiter's turn is taken inside it, once the connection is up and
the request built, right before the write: the send log's stamp is then as near the wire as it can be."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson

from insightly_connector.errors import ApiError, ConnectorError, OutcomeUnknown, QuotaExhausted, TransientError
from insightly_connector.http.error_policy import Action, ErrorRule, exception_class
from insightly_connector.http.limiter import RateLimiter, shared_limiter
from insightly_connector.http.request_event import RequestEvent, RequestObserver
from insightly_connector.http.response import Response
from insightly_connector.http.transport import (
    ConnectFailed,
    ConnectTimedOut,
    ProxyFailed,
    ReadTimedOut,
    TlsFailed,
    Transport,
    TransportError,
)
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.credential import Credential
from insightly_connector.spec.host_pinning import ForeignHostRefused
from insightly_connector.spec.http_policy import RetryPolicy
from insightly_connector.spec.json_path import follow
from insightly_connector.spec.loader import Spec

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_MAX_MESSAGE_CHARS = 300


class Client:
    """One account's API, paced by the credential's shared limiter. Thread-safe."""

    def __init__(self, spec: Spec, credential: Credential, limiter: RateLimiter | None = None, *,
                 max_attempts: int | None = None, observer: RequestObserver | None = None):
        http = self.policy = spec.http
        self.spec = spec
        self.credential = credential
        self.base_url = credential.base_url
        rate = http.rate_limit
        self.limiter = limiter or shared_limiter(
            credential.identity, requests_per_second(spec, credential), rate.max_in_flight,
            rate.safety_margin_seconds, store_url=credential.rate_limit_store, namespace=spec.connector["code"])
        self.retry: RetryPolicy = http.retry if max_attempts is None else replace(http.retry,
                                                                                  max_attempts=max_attempts)
        self._skew = timedelta(seconds=http.clock_skew_allowance_seconds)
        for secret in credential.secrets:
            process_redactor.add(secret)
        self._transport = Transport(
            credential.origin, connect_timeout=http.connect_timeout, read_timeout=http.read_timeout,
            pool_size=max(4, self.limiter.max_in_flight * 2),
            # the environment's proxies and CA bundle for a real pod, never for a harness override
            use_environment=not credential.pod_base_urls.get(credential.pod),
            headers={
                "Authorization": credential.authorization,
                "Accept": "application/json",
                "Accept-Encoding": "gzip, deflate",
                "User-Agent": f"{spec.connector['code']}/{spec.connector['version']}",
            })
        self._lock = threading.Lock()
        self._server_clock: tuple[datetime, float] | None = None
        self.quota_remaining: int | None = None
        self.quota_limit: int | None = None
        self.stats = {"requests": 0, "retries": 0, "throttled": 0, "bytes": 0}
        self.on_wait: Callable[[str], None] | None = None  # told of long waits (pace, 429s), for progress
        self.observer = observer  # told of every attempt (--verbose, --request-log)
        self._base_path = urlsplit(self.base_url).path.rstrip("/")

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                idempotent: bool | None = None, content: tuple[bytes, str] | None = None) -> Response:
        """Send one request; return its 2xx response or raise the typed error the spec maps it to.
        `content` is a body already encoded, with its content type (a multipart upload)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        body = orjson.dumps(json) if json is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else None
        if content is not None:
            body, headers = content[0], {"Content-Type": content[1]}
        max_attempts = self.retry.max_attempts
        failures = 0  # 5xx answers and network failures: each counts against max_attempts
        throttles = 0  # 429s: waited out within the rate-limit budget, never counted as attempts
        waited = 0.0
        attempt = 0
        while True:
            if self.quota_remaining == 0:
                raise QuotaExhausted(self._quota_message())
            attempt += 1
            turn = _Turn(self.limiter, self._tell_pace_wait if self.on_wait else None)
            try:
                response = self._send(method, path, params, body, headers, idempotent, turn,
                                      last=failures + 1 >= max_attempts, attempt=attempt)
            finally:
                turn.give_back()
            if response is None:
                failures += 1
                self._sleep(self._backoff(failures))
                continue
            self._observe(response)
            if 200 <= response.status_code < 300:
                return response  # a 3xx is never followed (the transport has nowhere else to go): its rule applies
            rule = self.policy.errors.rule(response.status_code)
            if rule.retry is None:
                raise self._api_error(method, path, response, rule)
            if rule.retry is Action.WAIT_OUT:
                if self.quota_remaining == 0:
                    raise QuotaExhausted(self._quota_message())
                self._count("throttled")
                throttles += 1
                wait = self._wait_before_retry(response, throttles)
                if waited + wait > self.retry.rate_limited_budget_seconds:
                    raise TransientError(self._describe(
                        method, path, response, rule,
                        f"still rate limited after waiting {waited:.0f} s (http.retry.rate_limited_budget_seconds)"))
                waited += wait
                self.limiter.throttled(wait)
                if self.on_wait and wait >= 1:
                    self.on_wait(f"rate limited by the API (HTTP 429): waiting {wait:.0f} s")
                self._sleep(wait)
                continue
            if not idempotent:
                raise OutcomeUnknown(self._describe(method, path, response, rule,
                                                    "the server failed after receiving the request"))
            failures += 1
            if failures >= max_attempts:
                raise TransientError(self._describe(method, path, response, rule,
                                                    f"gave up after {failures} attempts"))
            self._sleep(self._wait_before_retry(response, failures))

    def server_time(self, *, probe: bool = False) -> datetime:
        """A lower bound of the server's clock now (from the latest `Date` header), for sync starts.

        Before any response has been seen: with `probe`, the spec's check request is sent to learn
        the server's clock (a create's evidence needs a true lower bound); without, the local clock
        minus the spec's allowed clock skew."""
        with self._lock:
            clock = self._server_clock
        if clock is None and probe:
            check = self.spec.credential_policy.check
            self.request(check.method, check.path)
            with self._lock:
                clock = self._server_clock
        if clock is None:
            return datetime.now(timezone.utc).replace(microsecond=0) - self._skew
        server_date, seen_at = clock
        return server_date + timedelta(seconds=time.monotonic() - seen_at)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, params: dict | None, body: bytes | None, headers: dict | None,
              idempotent: bool, turn: _Turn, last: bool, attempt: int = 1) -> Response | None:
        """One attempt. None means "failed before any answer, retry"; raises when it must stop."""
        self._count("requests")
        started = time.monotonic()
        try:
            response = self._transport.send(method, _url(self.base_url + path, params), body=body, headers=headers,
                                            before_write=turn.take, repeatable=idempotent)
            self._count("bytes", len(response.content))
            self._tell_observer(method, path, params, turn.taken_at or started, attempt, response=response)
            return response
        except ForeignHostRefused as exc:
            self._tell_observer(method, path, params, started, attempt, error="refused: another host")
            raise ConnectorError(f"{method} {path}: {exc}") from None
        except TransportError as exc:
            failure, sent = exc, exc.sent
        self._tell_observer(method, path, params, turn.taken_at or started, attempt, error=failure.reason)
        origin = self.credential.origin
        reason = f"{method} {path}: {_failure_text(failure, sent)} {origin.host}:{origin.port}"
        if sent and not idempotent:
            raise OutcomeUnknown(f"{reason}: no answer after the request may have reached the server") from None
        if last:
            raise TransientError(f"{reason}: network failure, gave up after retries") from None
        return None

    def _tell_observer(self, method: str, path: str, params: dict | None, sent_at: float, attempt: int, *,
                       response: Response | None = None, error: str | None = None) -> None:
        """One `RequestEvent`, scrubbed: the path and query as sent, never a header."""
        observer = self.observer
        if observer is None:
            return
        status = remaining = limit = None
        if response is not None:
            status = response.status_code
            if not 200 <= status < 300:
                error = self.policy.errors.rule(status).category
            quota = self.policy.quota
            if quota is not None:
                remaining = _header_int(response, quota.remaining_header)
                limit = _header_int(response, quota.limit_header)
        scrub = process_redactor.scrub
        observer(RequestEvent(
            method=method, path=scrub(self._base_path + path), query=scrub(urlencode(params or {}, doseq=True)),
            status=status, ms=(time.monotonic() - sent_at) * 1000, attempt=attempt, error=error,
            quota_remaining=remaining, quota_limit=limit, sent_at=sent_at))

    def _observe(self, response: Response) -> None:
        headers = response.headers
        quota = self.policy.quota
        with self._lock:
            if quota and headers.get(quota.remaining_header, "").lstrip("-").isdigit():
                self.quota_remaining = int(headers[quota.remaining_header])
            if quota and headers.get(quota.limit_header, "").isdigit():
                self.quota_limit = int(headers[quota.limit_header])
            date = headers.get("Date")
            if date:
                try:
                    parsed = parsedate_to_datetime(date).astimezone(timezone.utc)
                except (TypeError, ValueError):
                    return
                self._server_clock = (parsed, time.monotonic())

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.stats[name] += amount

    def _tell_pace_wait(self, seconds: float) -> None:
        if self.on_wait:
            rate = requests_per_second(self.spec, self.credential)
            pace = f"{rate:g} request{'' if rate == 1 else 's'} a second"
            self.on_wait(f"waiting {seconds:.0f} s for the rate limiter ({pace})")

    def _wait_before_retry(self, response: Response, attempt: int) -> float:
        """The server's `Retry-After` in seconds (capped by the spec) if it sent one, else a backoff."""
        value = response.headers.get(self.retry.retry_after_header, "").strip()
        if value.isdigit():
            return min(float(value), self.retry.max_retry_after_seconds)
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so processes sharing an account don't retry in step."""
        initial, ceiling = self.retry.initial_backoff_seconds, self.retry.max_backoff_seconds
        return min(ceiling, initial * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)

    def _sleep(self, seconds: float) -> None:
        self._count("retries")
        time.sleep(seconds)

    def _api_message(self, response: Response) -> str:
        text = ""
        try:
            payload = response.json()
            field = self.policy.error_message_field
            found = follow(payload, f"$.{field}") if field and isinstance(payload, dict) else None
            if found is not None:
                text = str(found)
            elif isinstance(payload, str):
                text = payload
        except ValueError:
            text = response.text
        return process_redactor.scrub(" ".join(text.split())[:_MAX_MESSAGE_CHARS])

    def _describe(self, method: str, path: str, response: Response, rule: ErrorRule, tail: str) -> str:
        message = self._api_message(response)
        detail = f" ({message})" if message else ""
        return f"{method} {path}: HTTP {response.status_code} {rule.category}{detail}; {tail}"

    def _api_error(self, method: str, path: str, response: Response, rule: ErrorRule) -> ApiError:
        message = self._api_message(response)
        text = f"{method} {path}: HTTP {response.status_code} {rule.category}" + (f": {message}" if message else "")
        if rule.read is Action.FATAL and rule.meaning:  # the run stops on it: say what it usually means
            text += f" ({rule.meaning}; checking the credential tells which)"
        return exception_class(rule)(text, status=response.status_code, api_message=message, category=rule.category,
                                     method=method, path=path)

    def _quota_message(self) -> str:
        limit = f" of {self.quota_limit}" if self.quota_limit else ""
        return f"the daily request quota{limit} is exhausted; the run can resume after the quota resets"


def requests_per_second(spec: Spec, credential: Credential) -> float:
    """The credential's own pace if it sets one, else its plan's from the spec, else the spec's default."""
    return spec.http.rate_limit.pace(credential.plan, credential.requests_per_second)


class _Turn:
    """One attempt's place in the limiter, taken by the transport right before it writes, and held
    (in flight) until the answer is read. A repeat on a fresh connection takes a fresh turn."""

    def __init__(self, limiter: RateLimiter, on_long_wait: Callable[[float], None] | None):
        self._limiter = limiter
        self._on_long_wait = on_long_wait
        self._held = False
        self.taken_at: float | None = None

    def take(self) -> None:
        self.give_back()
        self._limiter.acquire(self._on_long_wait)
        self._held = True
        self.taken_at = time.monotonic()

    def give_back(self) -> None:
        if self._held:
            self._held = False
            self._limiter.release()


def _url(url: str, params: dict | None) -> str:
    """`url` with `params` added to its query as requests added them: a None value is left out, a list repeats."""
    pairs = [(name, value) for name, values in (params or {}).items()
             for value in (values if isinstance(values, (list, tuple)) else [values]) if value is not None]
    if not pairs:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(pairs)


def _failure_text(failure: TransportError, sent: bool) -> str:
    """What went wrong on the wire, in words, to be followed by the host and port."""
    if isinstance(failure, ConnectTimedOut):
        return "timed out connecting to"
    if isinstance(failure, ReadTimedOut):
        return "no answer in time from"
    if isinstance(failure, ProxyFailed):
        return "could not connect through the environment's proxy (HTTPS_PROXY) to"
    if isinstance(failure, TlsFailed):
        return "the TLS handshake failed with"
    if isinstance(failure, ConnectFailed) and not sent:
        return "could not connect to"
    return f"the connection broke ({failure.reason}) with"


def _header_int(response: Response, name: str) -> int | None:
    value = response.headers.get(name, "")
    return int(value) if value.lstrip("-").isdigit() else None
