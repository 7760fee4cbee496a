"""A killed write resumes from its journal: confirmed records are skipped, in-flight creates are
resolved (found: confirmed; absent: sent), and the rest is written, with no duplicate and nothing lost."""

import signal
import subprocess
import sys
import time
from datetime import timedelta

import orjson
import pytest

from insightly_connector.destination.journal import record_digest
from insightly_connector.errors import ConfigError

from .conftest import cli, find


def people(tag: str, n: int) -> list[dict]:
    return [{"FIRST_NAME": f"{tag}{i}", "EMAIL_ADDRESS": f"{tag}{i}@resume.test"} for i in range(n)]


def journal_line(entry: dict) -> bytes:
    return orjson.dumps({"runId": "killed", **entry}) + b"\n"


def test_in_flight_creates_are_resolved_before_anything_is_sent_again(harness, run_write, tmp_path):
    """The journal of a run killed with lines 2 and 3 in flight: line 2's POST had been processed, line 3's not."""
    records = people("flight", 4)
    since = (harness.now() - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    processed = harness.create("Contacts", dict(records[1]))
    journal = tmp_path / "journal.jsonl"
    journal.write_bytes(
        journal_line({"event": "run", "journal": 1, "resource": "contacts", "mode": "create", "upsertKey": None})
        + journal_line({"event": "confirmed", "lines": [[1, record_digest(records[0])]], "outcome": "created",
                        "id": 1})
        + b"".join(journal_line({"event": "sent", "lines": [[n, record_digest(records[n - 1])]], "action": "create",
                                 "method": "POST", "path": "/Contacts", "since": since, "attempt": 1})
                   for n in (2, 3)))
    before = harness.count("Contacts")
    report = run_write("contacts", "create", records, journal_path=str(journal))
    assert report.exit_code == 0, report.summary_table()
    assert (report.counts["already_done"], report.counts["created"]) == (1, 3)
    assert harness.count("Contacts") == before + 2  # lines 3 and 4; line 2 already existed
    assert [e.body["FIRST_NAME"] for e in harness.requests() if e.method == "POST"] in (
        ["flight2", "flight3"], ["flight3", "flight2"])
    confirmed = {entry["lines"][0][0]: entry["id"] for entry in map(orjson.loads, journal.read_bytes().splitlines())
                 if entry["event"] == "confirmed"}
    assert confirmed[2] == processed["CONTACT_ID"]


def test_a_journal_from_another_input_is_refused(harness, run_write, tmp_path):
    journal = str(tmp_path / "journal.jsonl")
    assert run_write("contacts", "create", people("first", 1), journal_path=journal).exit_code == 0
    recorded = (tmp_path / "journal.jsonl").read_bytes()
    with pytest.raises(ConfigError, match="line 1"):
        run_write("contacts", "create", people("other", 1), journal_path=journal)
    assert (tmp_path / "journal.jsonl").read_bytes() == recorded
    assert len(find(harness, "Contacts", "EMAIL_ADDRESS", "other0@resume.test")) == 0


def test_kill_and_resume_writes_everything_exactly_once(harness, credential_file, tmp_path):
    records = people("kill", 30)
    source = tmp_path / "input.jsonl"
    source.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    journal, rejects = str(tmp_path / "journal.jsonl"), str(tmp_path / "rejects.jsonl")
    args = ["write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
            "--input", str(source), "--journal", journal, "--rejects", rejects]
    before = harness.count("Contacts")
    harness.set_faults(latency_ms=150)  # so that requests are in flight when the kill lands
    child = subprocess.Popen([sys.executable, "-m", "insightly_connector", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while harness.count("Contacts") - before < 8 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=10)
    written = harness.count("Contacts") - before
    assert 8 <= written < 30, "the kill must land mid-run"
    harness.clear_faults()
    result = cli(*args)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert harness.count("Contacts") == before + 30
    for record in records:
        assert len(find(harness, "Contacts", "EMAIL_ADDRESS", record["EMAIL_ADDRESS"])) == 1
    summary = result.stderr.decode()
    assert "already done (journal)" in summary
