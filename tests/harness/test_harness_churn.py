"""Churn: records created, updated and deleted while a client pages through them."""

from __future__ import annotations

from insightly_connector.harness import Harness
from insightly_connector.harness.faults import Churn


def _page_naively(api, path: str, top: int) -> list[dict]:
    seen, skip = [], 0
    for _ in range(200):
        page = api.get(path, skip=skip, top=top).json()
        seen += page
        skip += top
        if len(page) < top:
            return seen
    raise AssertionError("paging did not end")


def test_churn_mutates_before_each_list_request_and_spreads_deletes(client_for):
    with Harness(contacts=200, rate_limit_per_second=None) as harness:
        api = client_for(harness)
        before = {r["CONTACT_ID"]: r for r in api.all("/Contacts")}
        start_max, start_time = max(before), harness.now().strftime("%Y-%m-%d %H:%M:%S")
        harness.clear_requests()
        harness.set_churn("Contacts", creates=1, updates=1, deletes=2)
        seen = _page_naively(api, "/Contacts", top=20)
        harness.clear_churn()
        rounds = len(harness.requests())
        after = {r["CONTACT_ID"]: r for r in api.all("/Contacts")}
        deleted = set(before) - set(after)
        created = set(after) - set(before)
        assert len(after) == 200 - rounds  # each round: two deletes, one create
        assert len(deleted) + (rounds - len(created)) == 2 * rounds  # some deletes hit new records
        assert min(deleted) < sorted(before)[50]  # low ids vanish too, behind a pager's position
        assert all(c > start_max for c in created)
        updated = [k for k in set(before) & set(after) if after[k]["DATE_UPDATED_UTC"] >= start_time]
        assert len(updated) >= rounds // 2  # some updated records were deleted later
        survivors = set(before) & set(after)
        missed = survivors - {r["CONTACT_ID"] for r in seen}
        assert missed  # a naive skip/top pager skips records that existed throughout


def test_churn_is_deterministic_and_only_touches_its_collection(client_for):
    def run() -> tuple[list, list]:
        with Harness(contacts=50, rate_limit_per_second=None) as harness:
            api = client_for(harness)
            harness.set_churn("Contacts", every_requests=2)
            organisations = harness.ids("Organisations")
            for _ in range(4):
                api.get("/Contacts")
                api.get("/Organisations")
                api.get("/Users/Me")
            assert harness.ids("Organisations") == organisations
            return harness.ids("Contacts"), [e.path for e in harness.requests()]
    first_ids, first_paths = run()
    second_ids, _ = run()
    assert first_ids == second_ids and len(first_ids) == 50  # 2 rounds of -1 +1
    assert first_paths.count("/Contacts") == 4


def test_churn_applies_to_searches_too(client_for):
    with Harness(contacts=30, rate_limit_per_second=None) as harness:
        api = client_for(harness)
        harness.set_churn("Contacts", creates=0, updates=0, deletes=1)
        api.get("/Contacts/Search", updated_after_utc="2000-01-01T00:00:00Z")
        api.get("/Contacts/SearchByTag", tagName="VIP")
        assert harness.count("Contacts") == 28


def test_time_based_churn_is_due_once_per_period():
    churn = Churn("Contacts", every_seconds=5.0, last_applied=100.0)
    assert [churn.due(t) for t in (101.0, 104.9, 105.0, 106.0, 110.5)] == [False, False, True, False, True]
    counted = Churn("Contacts", every_requests=3)
    assert [counted.due(0.0) for _ in range(6)] == [False, False, True, False, False, True]
