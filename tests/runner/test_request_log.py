"""`--request-log FILE` and `--verbose`: every HTTP attempt of a run, scrubbed, over real HTTP to a harness."""

from __future__ import annotations

import json

from insightly_connector.harness import Harness

from .conftest import assert_no_secret, credential_dict, run_cli, write_credential


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_read_logs_a_run_line_each_attempt_and_an_end_line(tmp_path):
    log = tmp_path / "requests.jsonl"
    with Harness(contacts=30, rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path, credential_dict(harness))
        done = run_cli("read", "--credential", credential, "--resources", "contacts,pipelines",
                       "--output", str(tmp_path / "out"), "--request-log", str(log))
        key = harness.api_key
    assert done.returncode == 0, done.stderr
    lines = _lines(log)
    run, requests, end = lines[0], lines[1:-1], lines[-1]
    assert run["event"] == "run" and run["verb"] == "read" and run["started_at"].endswith("Z")
    assert run["requests_per_second"] > 0
    assert isinstance(run["daily_quota"], int)
    assert end == {"event": "end", "t": end["t"], "exit_code": 0} and end["t"] >= requests[-1]["t"]
    assert {r["resource"] for r in requests} >= {"contacts", "pipelines"}
    contacts = [r for r in requests if r["resource"] == "contacts"]
    assert all(r["event"] == "request" and r["method"] == "GET" and r["status"] == 200 for r in contacts)
    assert all(r["path"].startswith("/v3.1/Contacts") and r["attempt"] == 1 and r["error"] is None
               for r in contacts)
    assert any("top=" in r["query"] for r in contacts)
    assert all(isinstance(r["quota_remaining"], int) and r["ms"] >= 0 for r in requests)
    assert_no_secret(key, log.read_text(), done.stderr)


def test_retries_are_numbered_attempts_with_their_error(tmp_path):
    log = tmp_path / "requests.jsonl"
    with Harness(contacts=5, rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path, credential_dict(harness))
        harness.inject(status=503, count=2)
        done = run_cli("read", "--credential", credential, "--resources", "pipelines", "--output",
                       str(tmp_path / "out"), "--request-log", str(log), "--verbose")
    assert done.returncode == 0, done.stderr
    requests = [line for line in _lines(log) if line["event"] == "request"]
    assert [(r["attempt"], r["status"]) for r in requests[:3]] == [(1, 503), (2, 503), (3, 200)]
    assert requests[0]["error"] and requests[2]["error"] is None
    verbose = [line for line in done.stderr.splitlines() if line.startswith("GET /v3.1/Pipelines")]
    assert len(verbose) == 3
    assert "-> 503 in" in verbose[0] and "attempt 2" in verbose[1] and "-> 200 in" in verbose[2]


def test_a_failed_run_still_ends_the_log_with_its_exit_code(tmp_path):
    log = tmp_path / "requests.jsonl"
    with Harness(rate_limit_per_second=None) as harness:
        wrong = "ffffffff-0000-0000-0000-000000000000"
        credential = write_credential(tmp_path, credential_dict(harness, api_key=wrong))
        done = run_cli("check", "--credential", credential, "--request-log", str(log), "--verbose")
    assert done.returncode == 1
    lines = _lines(log)
    assert lines[0]["verb"] == "check" and lines[-1]["exit_code"] == 1
    assert lines[1]["status"] == 401 and lines[1]["resource"] is None
    assert_no_secret(wrong, log.read_text(), done.stderr, done.stdout)


def test_a_log_that_cannot_be_written_is_a_usage_error(tmp_path):
    done = run_cli("read", "--credential", str(tmp_path / "none.json"), "--request-log",
                   str(tmp_path / "missing-dir" / "log.jsonl"))
    assert done.returncode == 2 and "--request-log" in done.stderr


def _logged_requests_of_a_read(tmp_path, resource: str) -> list[dict]:
    """The request lines a successful read of `resource` (a small harness) writes to its request log."""
    log = tmp_path / "requests.jsonl"
    with Harness(contacts=4, rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path, credential_dict(harness))
        done = run_cli("read", "--credential", credential, "--resources", resource,
                       "--output", str(tmp_path / "out"), "--request-log", str(log))
    assert done.returncode == 0, done.stderr
    return [line for line in _lines(log) if line["event"] == "request"]


def test_a_child_streams_requests_are_named_after_it_not_its_parent(tmp_path):
    requests = _logged_requests_of_a_read(tmp_path, "contacts_file_attachments")
    children = [r for r in requests if r["path"].endswith("/FileAttachments")]
    assert len(children) == 4 and {r["resource"] for r in children} == {"contacts_file_attachments"}
    assert {r["resource"] for r in requests if r["path"] == "/v3.1/Contacts"} == {"contacts"}


def test_requests_for_objects_found_live_are_named_after_their_resource(tmp_path):
    """Custom objects become resources during the run (one per object listed live): their requests are named
    too, not left unnamed because the log was set up before they existed."""
    requests = _logged_requests_of_a_read(tmp_path, "custom_object_records")
    records = [r for r in requests if r["path"].endswith("__c")]
    assert records and all(r["resource"] == r["path"].rsplit("/", 1)[-1].lower() for r in records)
    assert {r["resource"] for r in requests if r["path"] == "/v3.1/CustomObjects"} == {"custom_objects"}
