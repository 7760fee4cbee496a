"""Faults: targeted injections (status, reset, truncate, after-processing reset and delay), seeded
random faults (5xx, resets, truncation, 429 bursts), latency."""

from __future__ import annotations

import time

import pytest
import requests

from insightly_connector.harness.faults import Injection, RandomFaults


def test_injected_status_answers_the_next_matching_requests_then_stops(fresh, fresh_api):
    fresh.inject(status=500, count=2, method="GET", path_prefix="/Contacts")
    assert fresh_api.get("/Organisations").status_code == 200  # another path
    assert fresh_api.post("/Contacts", {"FIRST_NAME": "x"}).status_code == 201  # another method
    first, second = fresh_api.get("/Contacts"), fresh_api.get("/Contacts/Search")
    assert first.status_code == second.status_code == 500
    assert first.json() == {"Message": "An error has occurred."}
    assert fresh_api.get("/Contacts").status_code == 200
    assert [e.status for e in fresh.requests()[-3:]] == [500, 500, 200]


def test_injected_429_carries_retry_after_and_is_not_processed(fresh, fresh_api):
    count = fresh.count("Contacts")
    fresh.inject(status=429, method="POST", retry_after=2)
    response = fresh_api.post("/Contacts", {"FIRST_NAME": "Refused"})
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert "X-RateLimit-Remaining" in response.headers
    assert fresh.count("Contacts") == count


def test_injected_reset_closes_the_connection_without_processing(fresh, fresh_api):
    count = fresh.count("Contacts")
    fresh.inject(kind="reset", method="POST", path_prefix="/Contacts")
    with pytest.raises(requests.ConnectionError):
        fresh_api.post("/Contacts", {"FIRST_NAME": "Lost"})
    assert fresh.count("Contacts") == count
    assert fresh.requests()[-1].status == 0
    assert fresh_api.get("/Users/Me").status_code == 200  # the client reconnects


def test_injected_truncation_sends_less_than_content_length(fresh, fresh_api):
    fresh.inject(kind="truncate", path_prefix="/Contacts")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        fresh_api.get("/Contacts", top=50)
    assert len(fresh_api.get("/Contacts", top=50).json()) == 20


def test_reset_after_processing_creates_the_record_but_the_client_sees_no_answer(fresh, fresh_api):
    count = fresh.count("Contacts")
    fresh.inject(kind="reset_after_processing", method="POST", path_prefix="/Contacts")
    with pytest.raises(requests.ConnectionError):
        fresh_api.post("/Contacts", {"FIRST_NAME": "Ghost", "LAST_NAME": "Written"})
    assert fresh.count("Contacts") == count + 1
    found = fresh_api.get("/Contacts/Search", field_name="LAST_NAME", field_value="Written").json()
    assert [r["FIRST_NAME"] for r in found] == ["Ghost"]


def test_delay_after_processing_outlasts_the_client_timeout_but_the_record_exists(fresh, fresh_api):
    count = fresh.count("Contacts")
    fresh.inject(kind="delay_after_processing", seconds=1.5, method="POST")
    with pytest.raises(requests.Timeout):
        fresh_api.request("POST", "/Contacts", json={"FIRST_NAME": "Slow"}, timeout=0.3)
    for _ in range(50):  # on a very busy machine the client may give up before the server has processed
        if fresh.count("Contacts") == count + 1:
            break
        time.sleep(0.1)
    assert fresh.count("Contacts") == count + 1


def test_injection_arguments_are_checked():
    for bad in ({"kind": "explode"}, {"kind": "status"}, {"kind": "status", "status": 500, "count": 0}):
        with pytest.raises(ValueError):
            Injection(**bad)


def test_random_faults_follow_their_rates_and_seed(fresh, fresh_api):
    fresh.set_faults(error_rate=1.0)
    assert {fresh_api.get("/Users/Me").status_code for _ in range(8)} <= {500, 502, 503, 504}
    fresh.set_faults(reset_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        fresh_api.get("/Users/Me")
    fresh.set_faults(truncate_rate=1.0)
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.ConnectionError)):
        fresh_api.get("/Contacts")
    fresh.clear_faults()
    assert all(fresh_api.get("/Users/Me").status_code == 200 for _ in range(5))


def test_bursts_of_429():
    faults = RandomFaults(burst_429_every=5, burst_429_length=2)
    drawn = [faults.draw() for _ in range(12)]
    assert drawn == [None, None, None, None, ("status", 429), ("status", 429),
                                  None, None, None, ("status", 429), ("status", 429), None]


def test_random_faults_are_reproducible_from_their_seed():
    def sequence(seed):
        faults = RandomFaults(error_rate=0.3, reset_rate=0.1, truncate_rate=0.1, seed=seed)
        return [faults.draw() for _ in range(200)]
    assert sequence(3) == sequence(3) != sequence(4)
    drawn = sequence(3)
    assert 30 < sum(1 for d in drawn if d and d[0] == "status") < 90


def test_latency_is_fixed_plus_bounded_jitter():
    faults = RandomFaults(latency_ms=20, jitter_ms=10, seed=1)
    delays = [faults.delay_seconds() for _ in range(200)]
    assert all(0.020 <= d <= 0.030 for d in delays) and len(set(delays)) > 100
    assert RandomFaults().delay_seconds() == 0.0


def test_latency_configured_on_the_harness_still_answers(fresh, fresh_api):
    fresh.set_faults(latency_ms=5, jitter_ms=5)
    assert 0.005 <= fresh.api.faults.delay_seconds() <= 0.010
    assert fresh_api.get("/Users/Me").status_code == 200
