"""Rate-limit headers on every answer, the per-second limit (429 + Retry-After), the daily quota."""

from __future__ import annotations

from datetime import date

import requests

from insightly_connector.harness import Harness
from insightly_connector.harness.limits import DailyQuota, RateWindow
from insightly_connector.harness.plans import DAILY_QUOTAS

TIMEOUT = 10


def test_rate_limit_headers_are_on_every_answer(fresh, fresh_api):
    fresh.inject(status=503, path_prefix="/Tasks")
    answers = [fresh_api.get("/Contacts"), fresh_api.get("/Planets"), fresh_api.post("/Contacts", {}),
               fresh_api.get("/Tasks"), requests.get(fresh.base_url + "/Contacts", auth=("wrong", ""), timeout=TIMEOUT)]
    assert [a.status_code for a in answers] == [200, 404, 400, 503, 401]
    for answer in answers:
        assert answer.headers["X-RateLimit-Limit"] == "100000"
        assert int(answer.headers["X-RateLimit-Remaining"]) <= 100000


def test_remaining_counts_down_per_answered_request(fresh_api):
    first = int(fresh_api.get("/Contacts").headers["X-RateLimit-Remaining"])
    second = int(fresh_api.get("/Planets").headers["X-RateLimit-Remaining"])
    assert second == first - 1


def test_the_per_second_limit_defaults_to_ten_and_answers_429_with_retry_after(client_for):
    with Harness(contacts=5) as harness:
        assert harness.api.rate.per_second == 10
        api = client_for(harness)
        statuses = []
        for _ in range(60):  # far more than 10 in a second on any machine; stop at the first refusal
            response = api.get("/Users/Me")
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert response.headers["Retry-After"] == "1"
                assert int(response.headers["X-RateLimit-Remaining"]) > 0  # not the daily quota
                break
        assert statuses[-1] == 429 and statuses.count(200) >= 10


def test_sliding_window_admits_limit_per_second():
    window = RateWindow(3)
    assert [window.admit(now=t) for t in (0.0, 0.1, 0.2, 0.3, 0.9)] == [True, True, True, False, False]
    assert window.admit(now=1.05) is True  # the first request left the window
    assert window.admit(now=1.06) is False
    assert RateWindow(None).admit(now=0.0) is True


def test_the_daily_quota_is_spent_then_every_request_answers_429_until_the_day_rolls(client_for):
    with Harness(contacts=5, daily_quota=3, rate_limit_per_second=None) as harness:
        api = client_for(harness)
        answers = [api.get("/Users/Me") for _ in range(3)]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
        for path in ("/Users/Me", "/Contacts", "/Planets"):
            refused = api.get(path)
            assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
            assert "Retry-After" not in refused.headers
        harness.advance_clock(86400)
        assert api.get("/Users/Me").status_code == 200


def test_quota_controls(client_for):
    with Harness(contacts=5, daily_quota=100, rate_limit_per_second=None) as harness:
        api = client_for(harness)
        harness.set_quota_remaining(1)
        assert api.get("/Users/Me").headers["X-RateLimit-Remaining"] == "0"
        assert api.get("/Users/Me").status_code == 429
        harness.reset_quota()
        assert api.get("/Users/Me").headers["X-RateLimit-Remaining"] == "99"


def test_the_plan_sets_the_daily_quota(client_for):
    for plan, limit in (("free", 1000), ("professional", 60000)):
        with Harness(contacts=5, plan=plan, rate_limit_per_second=None) as harness:
            assert client_for(harness).get("/Users/Me").headers["X-RateLimit-Limit"] == str(limit)
    assert DAILY_QUOTAS == {"free": 1000, "legacy": 20000, "plus": 40000, "professional": 60000,
                            "enterprise": 100000}


def test_daily_quota_rolls_at_midnight_utc():
    quota = DailyQuota(2, date(2025, 1, 1))
    assert quota.spend() and quota.spend() and not quota.spend()
    quota.roll(date(2025, 1, 1))
    assert quota.remaining == 0
    quota.roll(date(2025, 1, 2))
    assert quota.remaining == 2


def test_the_per_second_window_counts_arrival_times():
    window = RateWindow(2)
    assert [window.admit(t) for t in (0.0, 0.5, 0.9)] == [True, True, False]
    assert window.admit(1.0)          # the request at 0.0 has left the window
    assert not window.admit(0.95)     # taken out of arrival order: counted as at 1.0, with 0.5 and 1.0
