"""The HTTP client against the harness: retries, rate limits, quota, and POSTs of unknown outcome."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from insightly_connector.errors import AuthError, OutcomeUnknown, QuotaExhausted, TransientError
from insightly_connector.harness import Harness
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import RateLimiter, UnlimitedLimiter
from insightly_connector.spec.credential import load_credential

from .conftest import credential_dict


def make_client(spec, harness, **overrides):
    return Client(spec, load_credential(credential_dict(harness, **overrides), spec), limiter=UnlimitedLimiter(4))


def test_5xx_and_429_are_retried_with_retry_after(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        harness.inject(status=500, count=2, method="GET", path_prefix="/Contacts")
        harness.inject(status=429, count=1, method="GET", path_prefix="/Contacts", retry_after=1)
        response = client.request("GET", "/Contacts", params={"top": 1})
        statuses = [e.status for e in harness.requests()]
    assert response.status_code == 200
    assert sorted(statuses) == [200, 429, 500, 500]
    assert client.stats["throttled"] == 1 and client.stats["retries"] == 3


def test_retries_are_bounded(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        client.retry = replace(client.retry, initial_backoff_seconds=0.01, max_backoff_seconds=0.02)
        harness.inject(status=503, count=100, method="GET")
        with pytest.raises(TransientError) as caught:
            client.request("GET", "/Contacts")
        sent = len(harness.requests())
    assert sent == client.retry.max_attempts
    assert "503" in str(caught.value)


def test_connection_reset_on_get_is_retried(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        harness.inject(kind="reset", count=1, method="GET")
        assert client.request("GET", "/Contacts", params={"top": 2}).status_code == 200


def test_a_post_reset_after_processing_is_never_resent(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        before = harness.count("Contacts")
        harness.inject(kind="reset_after_processing", count=1, method="POST")
        with pytest.raises(OutcomeUnknown):
            client.request("POST", "/Contacts", json={"FIRST_NAME": "Once"})
        posts = [e for e in harness.requests() if e.method == "POST"]
        assert len(posts) == 1 and harness.count("Contacts") == before + 1


def test_a_post_answered_by_429_is_safely_resent(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        before = harness.count("Contacts")
        harness.inject(status=429, count=1, method="POST", retry_after=0)
        response = client.request("POST", "/Contacts", json={"FIRST_NAME": "Twice asked, once made"})
        assert response.status_code == 201 and harness.count("Contacts") == before + 1


def test_a_401_is_an_auth_error_without_the_key(spec):
    wrong = "abababab-0000-0000-0000-000000000000"
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness, api_key=wrong) as client, \
            pytest.raises(AuthError) as caught:
        client.request("GET", "/Contacts")
    assert caught.value.status == 401 and wrong not in str(caught.value)


def test_quota_exhaustion_stops_without_sending_more(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        harness.set_quota_remaining(2)
        client.request("GET", "/Contacts", params={"top": 1})
        client.request("GET", "/Contacts", params={"top": 1})
        with pytest.raises(QuotaExhausted):
            client.request("GET", "/Contacts", params={"top": 1})
        sent = len(harness.requests())
    assert client.quota_remaining == 0 and sent == 2


def test_quota_429_is_not_retried(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        harness.set_quota_remaining(0)
        with pytest.raises(QuotaExhausted):
            client.request("GET", "/Contacts")
        assert len(harness.requests()) == 1


def test_server_time_follows_the_harness_clock(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        harness.advance_clock(3600)
        client.request("GET", "/Contacts", params={"top": 1})
        estimate = client.server_time()
        actual = harness.now()
    assert estimate <= actual and (actual - estimate).total_seconds() < 5


def test_limiter_never_sends_more_than_the_rate_in_any_window():
    limiter = RateLimiter(requests_per_second=20, max_in_flight=3, safety_margin_seconds=0.0)
    sent = []
    for _ in range(45):
        limiter.acquire()
        sent.append(time.monotonic())
        limiter.release()
    assert all(sent[i + 20] - sent[i] >= limiter.window - 1e-3 for i in range(len(sent) - 20))


def test_paced_client_gets_through_a_strict_harness_limit(spec):
    with Harness(rate_limit_per_second=10) as harness:
        client = Client(spec, load_credential(credential_dict(harness), spec),
                        limiter=RateLimiter(10, max_in_flight=4))
        with client:
            for _ in range(25):
                client.request("GET", "/Contacts", params={"top": 1})
        statuses = [e.status for e in harness.requests()]
    assert statuses.count(200) == 25


def test_a_429_widens_the_limiters_margin_and_pauses_every_sender():
    limiter = RateLimiter(requests_per_second=10, max_in_flight=2, safety_margin_seconds=0.005)
    before = limiter.window
    limiter.throttled(0.2)
    started = time.monotonic()
    limiter.acquire()
    limiter.release()
    assert time.monotonic() - started >= 0.19
    assert limiter.window > before
    for _ in range(20):
        limiter.throttled(0.0)
    assert limiter.window <= before + 0.1


def test_429s_are_waited_out_and_never_use_up_the_attempts(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        harness.inject(status=429, count=3 * client.retry.max_attempts, method="GET", retry_after=0)
        harness.inject(status=503, count=client.retry.max_attempts - 1, method="GET", after=0)
        client.retry = replace(client.retry, initial_backoff_seconds=0.01, max_backoff_seconds=0.02)
        response = client.request("GET", "/Contacts", params={"top": 1})
        statuses = [e.status for e in harness.requests()]
    assert response.status_code == 200
    assert statuses.count(429) == 3 * client.retry.max_attempts and statuses.count(503) == 5


def test_429s_beyond_the_rate_limited_budget_stop_with_a_clear_message(spec):
    with Harness(rate_limit_per_second=None) as harness, make_client(spec, harness) as client:
        client.retry = replace(client.retry, rate_limited_budget_seconds=2.5)
        harness.inject(status=429, count=50, method="GET", retry_after=1)
        with pytest.raises(TransientError) as caught:
            client.request("GET", "/Contacts")
        sent = len(harness.requests())
    assert sent == 3 and "still rate limited after waiting 2 s" in str(caught.value)


def test_processes_pacing_alone_on_one_account_all_finish(spec):
    """Three clients with limiters of their own (as three processes have) share a strict 4/s limit."""
    with Harness(rate_limit_per_second=4) as harness:
        credential = load_credential(credential_dict(harness), spec)
        clients = [Client(spec, credential, limiter=RateLimiter(4, max_in_flight=2)) for _ in range(3)]
        failures: list[BaseException] = []

        def work(client: Client) -> None:
            try:
                for _ in range(6):
                    client.request("GET", "/Contacts", params={"top": 1})
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for client in clients:
            client.close()
        statuses = [e.status for e in harness.requests()]
    assert failures == [] and statuses.count(200) == 18
    assert statuses.count(429) > 0  # they did collide: the point is that they finished anyway
