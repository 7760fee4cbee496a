"""A create whose POST got no answer is confirmed only on evidence that this send made the record.

The harness can drop a POST before processing it (`reset`): nothing is created, and an identical
record made earlier, or by someone else, must never be reported as this create's."""

from __future__ import annotations

from typing import Any

from .conftest import find, read_lines


def posts(harness: Any, path: str) -> list[Any]:
    return [entry for entry in harness.requests() if entry.method == "POST" and entry.path == path]


def test_a_post_lost_before_processing_is_sent_again_not_confirmed_with_an_older_record(harness, run_write,
                                                                                       tmp_path):
    harness.create("Teams", {"TEAM_NAME": "Sales"})  # whatever the seed holds, one "Sales" exists
    older = {team["TEAM_ID"] for team in find(harness, "Teams", "TEAM_NAME", "Sales")}
    harness.advance_clock(120)
    harness.clear_requests()
    harness.inject(kind="reset", method="POST", count=1)
    journal = tmp_path / "journal.jsonl"
    report = run_write("teams", "create", [{"TEAM_NAME": "Sales"}], journal_path=str(journal))
    teams = find(harness, "Teams", "TEAM_NAME", "Sales")
    assert (report.exit_code, report.counts["created"]) == (0, 1), report.summary_table()
    assert len(teams) == len(older) + 1 and len(posts(harness, "/Teams")) == 2
    new_id = next(team["TEAM_ID"] for team in teams if team["TEAM_ID"] not in older)
    confirmed = [line for line in read_lines(journal) if line.get("event") == "confirmed"]
    assert [line["id"] for line in confirmed] == [new_id]


def test_an_identical_contact_made_earlier_is_not_this_creates(harness, run_write):
    sent = {"FIRST_NAME": "Twin", "LAST_NAME": "Earlier", "EMAIL_ADDRESS": "twin.earlier@lost.test"}
    older = harness.create("Contacts", dict(sent))
    harness.advance_clock(120)
    harness.inject(kind="reset", method="POST", count=1)
    report = run_write("contacts", "create", [dict(sent)])
    twins = find(harness, "Contacts", "EMAIL_ADDRESS", sent["EMAIL_ADDRESS"])
    assert (report.exit_code, report.counts["created"]) == (0, 1), report.summary_table()
    assert len(twins) == 2 and older["CONTACT_ID"] in {twin["CONTACT_ID"] for twin in twins}


def test_a_twin_made_just_before_the_run_is_not_this_creates(harness, run_write):
    """Stamped in the same second as the send, the twin is told apart by the note taken before it."""
    sent = {"FIRST_NAME": "Twin", "LAST_NAME": "Same second", "EMAIL_ADDRESS": "twin.second@lost.test"}
    older = harness.create("Contacts", dict(sent))["CONTACT_ID"]
    harness.inject(kind="reset", method="POST", count=1)
    report = run_write("contacts", "create", [dict(sent)])
    twins = find(harness, "Contacts", "EMAIL_ADDRESS", sent["EMAIL_ADDRESS"])
    assert (report.exit_code, report.counts["created"]) == (0, 1), report.summary_table()
    assert len(twins) == 2 and older in {twin["CONTACT_ID"] for twin in twins}


def test_two_identical_records_made_since_the_send_are_rejected_as_outcome_unknown(harness, run_write, tmp_path):
    """A run stops right after a POST got no answer; two identical records appear; the resumed run
    cannot tell which, if either, is its own, and says so instead of guessing."""
    sent = {"FIRST_NAME": "Twin", "LAST_NAME": "During", "EMAIL_ADDRESS": "twin.during@lost.test"}
    journal = str(tmp_path / "journal.jsonl")
    harness.inject(kind="reset", method="POST", count=1)
    harness.inject(status=401, method="GET", path_prefix="/Contacts/Search", after=1)  # the lookup fails
    stopped = run_write("contacts", "create", [dict(sent)], journal_path=journal)
    assert stopped.exit_code == 1 and stopped.counts["created"] == 0, stopped.summary_table()
    made = [harness.create("Contacts", dict(sent))["CONTACT_ID"] for _ in range(2)]
    harness.clear_faults()
    report = run_write("contacts", "create", [dict(sent)], journal_path=journal)
    assert report.counts["created"] == 0 and report.counts["rejected"] == 1, report.summary_table()
    error = read_lines(tmp_path / "rejects.jsonl")[0]["error"]
    assert error["category"] == "outcome_unknown", error
    assert all(str(record_id) in error["message"] for record_id in made)
    assert len(find(harness, "Contacts", "EMAIL_ADDRESS", sent["EMAIL_ADDRESS"])) == 2  # nothing more sent


def test_a_post_processed_then_lost_is_confirmed_once_with_its_own_record(harness, run_write):
    harness.create("Teams", {"TEAM_NAME": "Support"})
    older = {team["TEAM_ID"] for team in find(harness, "Teams", "TEAM_NAME", "Support")}
    harness.advance_clock(120)
    harness.clear_requests()
    harness.inject(kind="reset_after_processing", method="POST", count=1)
    report = run_write("teams", "create", [{"TEAM_NAME": "Support"}])
    teams = find(harness, "Teams", "TEAM_NAME", "Support")
    assert (report.exit_code, report.counts["created"]) == (0, 1), report.summary_table()
    assert len(teams) == len(older) + 1 and len(posts(harness, "/Teams")) == 1
