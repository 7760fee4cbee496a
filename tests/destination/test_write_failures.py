"""Fatal and uncertain answers: 402 at the record limit, 401, a daily quota spent, retries exhausted,
and creates whose outcome is unknown (the server processed the POST, then the answer was lost)."""

from dataclasses import replace

import pytest

from insightly_connector.destination.write import write
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import RateLimiter
from insightly_connector.spec.credential import load_credential

from .conftest import credential_for, find, mutations, read_lines


def contacts(tag: str, n: int) -> list[dict]:
    return [{"FIRST_NAME": f"{tag}{i}", "EMAIL_ADDRESS": f"{tag}{i}@failures.test"} for i in range(n)]


def posts(harness) -> list:
    return [e for e in harness.requests() if e.method == "POST"]


@pytest.fixture
def impatient_client(spec, harness):
    """A client that gives up on an answer after half a second and backs off briefly."""
    retry = replace(spec.http.retry, initial_backoff_seconds=0.01, max_backoff_seconds=0.05, max_attempts=3)
    quick = replace(spec, http=replace(spec.http, connect_timeout=2, read_timeout=0.5, retry=retry))
    credential = load_credential(credential_for(harness), quick)
    with Client(quick, credential, limiter=RateLimiter(200, max_in_flight=4)) as client:
        yield quick, client


def test_record_limit_rejects_the_rest_as_record_limit_and_ends_non_zero(harness, run_write, tmp_path):
    before = harness.count("Contacts")
    harness.set_record_limit(harness.record_total() + 2)
    report = run_write("contacts", "create", contacts("limit", 6))
    assert report.exit_code == 1 and "record_limit" in report.stop_reason
    assert (report.counts["created"], report.counts["rejected"]) == (2, 4)
    assert harness.count("Contacts") == before + 2
    rejects = read_lines(tmp_path / "rejects.jsonl")
    assert {r["error"]["category"] for r in rejects} == {"record_limit"}
    assert len(rejects) == 4
    assert any(r["error"]["status"] == 402 for r in rejects)


def test_401_stops_at_once_and_nothing_more_is_sent(harness, run_write, tmp_path):
    harness.inject(status=401, count=1000)
    report = run_write("contacts", "create", contacts("auth", 20), journal_path=str(tmp_path / "j.jsonl"))
    assert report.exit_code == 1 and "auth" in report.stop_reason
    assert report.counts["created"] == 0 and report.counts["rejected"] == 0
    assert report.counts["pending"] == 20
    sent = harness.requests()
    assert 1 <= len(sent) <= 4  # only what was already in flight on the 4 workers when the 401 came back
    assert all(e.status == 401 for e in sent)
    assert not (tmp_path / "rejects.jsonl").exists()


def test_a_reset_after_the_post_was_processed_creates_no_duplicate(harness, run_write):
    before = harness.count("Contacts")
    harness.inject(kind="reset_after_processing", method="POST", count=1)
    report = run_write("contacts", "create", contacts("reset", 3))
    assert (report.exit_code, report.counts["created"]) == (0, 3)
    assert harness.count("Contacts") == before + 3
    for i in range(3):
        assert len(find(harness, "Contacts", "EMAIL_ADDRESS", f"reset{i}@failures.test")) == 1
    assert len(posts(harness)) == 3  # the lost answer was resolved by a lookup, not by sending again
    searches = [e for e in harness.requests() if e.path == "/Contacts/Search"]
    assert searches and "updated_after_utc" in searches[0].query


def test_a_timeout_after_the_post_was_processed_creates_no_duplicate(harness, impatient_client, tmp_path):
    spec, client = impatient_client
    before = harness.count("Contacts")
    harness.inject(kind="delay_after_processing", seconds=1.5, method="POST", count=1)
    report = write(client, spec, "contacts", "upsert", contacts("slow", 3), rejects_path=str(tmp_path / "r.jsonl"))
    assert (report.exit_code, report.counts["created"]) == (0, 3), report.summary_table()
    assert harness.count("Contacts") == before + 3
    assert len(posts(harness)) == 3
    lookups = [e for e in harness.requests() if e.method == "GET" and e.query.get("field_name") == "EMAIL_ADDRESS"]
    assert len(lookups) == 4  # one per record before the create, one to resolve the lost answer


def test_a_post_refused_before_processing_is_confirmed_absent_then_sent_again(harness, run_write):
    before = harness.count("Contacts")
    harness.inject(status=503, method="POST", count=1)
    report = run_write("contacts", "create", contacts("again", 1))
    assert (report.exit_code, report.counts["created"]) == (0, 1)
    assert harness.count("Contacts") == before + 1
    assert [e.status for e in posts(harness)] == [503, 201]


def test_an_exhausted_quota_is_a_clean_resumable_stop(spec, harness, run_write, tmp_path):
    journal = str(tmp_path / "journal.jsonl")
    before = harness.count("Contacts")
    harness.set_quota_remaining(3)
    report = run_write("contacts", "create", contacts("quota", 8), journal_path=journal)
    assert report.exit_code == 4 and report.counts["pending"] > 0
    assert report.counts["created"] + report.counts["pending"] == 8
    harness.reset_quota()
    credential = load_credential(credential_for(harness), spec)
    with Client(spec, credential, limiter=RateLimiter(200, max_in_flight=4)) as next_day:
        report = write(next_day, spec, "contacts", "create", contacts("quota", 8), journal_path=journal,
                       rejects_path=str(tmp_path / "rejects.jsonl"))
    assert report.exit_code == 0, report.summary_table()
    assert report.counts["already_done"] + report.counts["created"] == 8
    assert harness.count("Contacts") == before + 8


def test_retries_exhausted_stop_the_run_and_leave_the_rest_pending(harness, impatient_client, tmp_path):
    spec, client = impatient_client
    target = harness.ids("Contacts")[0]
    harness.inject(status=503, method="PUT", count=50)
    report = write(client, spec, "contacts", "update", [{"CONTACT_ID": target, "FIRST_NAME": "Never"}],
                   rejects_path=str(tmp_path / "r.jsonl"))
    assert report.exit_code == 1 and report.counts["pending"] == 1
    assert harness.get("Contacts", target)["FIRST_NAME"] != "Never"
    assert len(mutations(harness)) == 3  # max_attempts, then stop
