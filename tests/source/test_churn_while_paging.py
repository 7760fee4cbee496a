"""Records deleted, created and updated by others while a read pages: nothing that existed throughout is
lost, nothing is emitted twice."""

import orjson
import pytest

PAGE_CAP = 500


@pytest.mark.parametrize("churn", [
    {"creates": 0, "updates": 0, "deletes": 7},   # deletions before the position shift records back
    {"creates": 5, "updates": 5, "deletes": 5},   # the mix a live account sees
    {"creates": 9, "updates": 0, "deletes": 0},   # creations only (they land at the end)
])
def test_churn_during_a_full_read(harness_factory, read_in_process, churn):
    with harness_factory(contacts=2600) as harness:
        before = set(harness.ids("Contacts"))
        harness.set_churn("Contacts", **churn)
        result = read_in_process(harness, ["contacts"])
        harness.clear_churn()
        after = set(harness.ids("Contacts"))
        offsets = [int(e.query["skip"]) for e in harness.requests() if e.path == "/Contacts"]
    emitted = [record["CONTACT_ID"] for record in result.lines()]
    assert len(emitted) == len(set(emitted)), "a record was emitted twice"
    assert (before & after) - set(emitted) == set(), "a record that existed throughout was skipped"
    assert set(emitted) <= before | after
    if churn["deletes"]:
        assert before - after, "the churn deleted nothing: the scenario did not happen"
        off_grid = [o for o in offsets if o % (PAGE_CAP - 1)]
        assert off_grid, "no page had to step back, so anchor verification was not exercised"
        assert result.report.resources[0].step_backs >= 1


def test_churn_during_an_incremental_read_keeps_every_match_once(harness_factory, read_in_process, tmp_path):
    """Updated records join a search result set mid-read (shifting offsets right)."""
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=1600) as harness:
        cursor = harness.now().replace(microsecond=0)
        matching = harness.ids("Contacts")[::2]
        for key in matching:  # 800 records updated after the cursor: two pages of search results
            harness.update("Contacts", key, {"BACKGROUND": "changed"})
        state_path.write_bytes(orjson.dumps({"version": 1, "resources": {"contacts": {
            "cursor": cursor.strftime("%Y-%m-%d %H:%M:%S"), "boundary": {}}}}))
        harness.set_churn("Contacts", creates=0, updates=20, deletes=0)
        result = read_in_process(harness, ["contacts"], state_path=state_path)
        harness.clear_churn()
        searches = [e for e in harness.requests() if e.path == "/Contacts/Search"]
    emitted = [record["CONTACT_ID"] for record in result.lines()]
    assert len(emitted) == len(set(emitted))
    assert set(matching) <= set(emitted)
    assert len(searches) >= 2
