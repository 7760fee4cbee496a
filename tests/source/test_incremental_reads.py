"""Incremental reads through /Search?updated_after_utc against an inclusive and an exclusive harness:
the bound, ties at the cursor, records updated mid-read, and the first run being a full read."""

from datetime import timedelta

import orjson
import pytest
import requests

FORMAT = "%Y-%m-%d %H:%M:%S"


def state_of(path) -> dict:
    return orjson.loads(path.read_bytes())["resources"]


def emitted_ids(result) -> list:
    return [record["CONTACT_ID"] for record in result.lines()]


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
def test_ties_at_the_cursor_are_neither_lost_nor_repeated(harness_factory, read_in_process, tmp_path, inclusive):
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=300, search_inclusive=inclusive) as harness:
        cursor = (harness.now() - timedelta(minutes=5)).replace(microsecond=0)
        ids = harness.ids("Contacts")
        at = {name: (cursor + timedelta(seconds=offset)).strftime(FORMAT) for name, offset in
              {"before_bound": -2, "at_bound": -1, "at_cursor": 0, "after": 5}.items()}
        plan = {  # record -> its DATE_UPDATED_UTC
            ids[0]: at["before_bound"],   # below the bound: no server returns it
            ids[1]: at["at_bound"],       # at the bound: an inclusive server returns it, we must drop it
            ids[2]: at["at_cursor"],      # a tie already emitted last run (in the boundary): drop
            ids[3]: at["at_cursor"],      # a tie not emitted yet: emit
            ids[4]: at["after"],          # plainly newer: emit
        }
        for key, updated in plan.items():
            harness.update("Contacts", key, {"DATE_UPDATED_UTC": updated})
        state_path.write_bytes(orjson.dumps({"version": 1, "resources": {"contacts": {
            "cursor": at["at_cursor"], "boundary": {str(ids[2]): at["at_cursor"]}}}}))
        raw = requests.get(f"{harness.base_url}/Contacts/Search", auth=(harness.api_key, ""), timeout=10,
                           params={"updated_after_utc": (cursor - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
        served = {record["CONTACT_ID"] for record in raw.json()}
        harness.clear_requests()

        result = read_in_process(harness, ["contacts"], state_path=state_path)
        searches = [e for e in harness.requests() if e.path.startswith("/Contacts")]
    assert (ids[1] in served) is inclusive  # the scenario is the one intended
    assert sorted(emitted_ids(result)) == sorted([ids[3], ids[4]])
    assert [e.path for e in searches] == ["/Contacts/Search"]
    assert searches[0].query["updated_after_utc"] == (cursor - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert result.report.resources[0].mode == "incremental"
    assert "in_progress" not in state_of(state_path)["contacts"]


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
def test_first_run_is_a_full_read_then_each_run_returns_exactly_the_changes(
        harness_factory, read_in_process, tmp_path, inclusive):
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=700, search_inclusive=inclusive) as harness:
        first = read_in_process(harness, ["contacts"], state_path=state_path)
        assert sorted(emitted_ids(first)) == sorted(harness.ids("Contacts"))
        assert {e.path for e in harness.requests() if e.path.startswith("/Contacts")} == {"/Contacts"}
        assert first.report.resources[0].mode == "full"

        changed = harness.ids("Contacts")[10:13]
        for key in changed:  # same second as the new cursor, or later: ties included
            harness.update("Contacts", key, {"BACKGROUND": "changed behind the connector's back"})
        second = read_in_process(harness, ["contacts"], state_path=state_path)
        assert sorted(emitted_ids(second)) == sorted(changed)

        harness.advance_clock(3)
        third = read_in_process(harness, ["contacts"], state_path=state_path)
        assert emitted_ids(third) == []
        assert third.report.resources[0].requests == 1


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
def test_records_updated_mid_read_are_picked_up_by_the_next_run_and_nothing_else(
        harness_factory, read_in_process, tmp_path, inclusive):
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=1500, search_inclusive=inclusive) as harness:
        harness.set_churn("Contacts", creates=0, deletes=0, updates=15)
        first = read_in_process(harness, ["contacts"], state_path=state_path)
        harness.clear_churn()
        emitted = {record["CONTACT_ID"]: record for record in first.lines()}
        current = {key: harness.get("Contacts", key) for key in harness.ids("Contacts")}
        changed_since_emitted = {key for key, record in current.items() if record != emitted[key]}
        assert changed_since_emitted, "the churn changed nothing after it was read: scenario not exercised"

        second = read_in_process(harness, ["contacts"], state_path=state_path)
    assert sorted(emitted_ids(second)) == sorted(changed_since_emitted)


def test_full_refresh_ignores_the_cursor_but_saves_a_new_one(harness_factory, read_in_process, tmp_path):
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=120) as harness:
        read_in_process(harness, ["contacts"], state_path=state_path)
        cursor = state_of(state_path)["contacts"]["cursor"]
        harness.advance_clock(5)
        again = read_in_process(harness, ["contacts"], state_path=state_path, full_refresh=True)
    assert len(again.lines()) == 120 and again.report.resources[0].mode == "full"
    assert state_of(state_path)["contacts"]["cursor"] > cursor
