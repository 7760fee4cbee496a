"""What a write says: per-record results (`--results`), the summary on stderr, `--quiet`, `--format json`,
and a dry run that says "would create" and counts the reads it made to decide."""

import orjson

from .conftest import cli, mutations, read_lines


def jsonl(*records) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def test_results_file_has_one_line_per_input_record(harness, run_write, tmp_path):
    known = harness.create("Contacts", {"FIRST_NAME": "Known", "EMAIL_ADDRESS": "known@results.test"})
    results = tmp_path / "results.jsonl"
    report = run_write("contacts", "upsert", [
        {"FIRST_NAME": "Known", "EMAIL_ADDRESS": "known@results.test"},     # 1: matches, holds: unchanged
        {"FIRST_NAME": "New", "EMAIL_ADDRESS": "new@results.test"},         # 2: created
        {"FIRST_NAME": "Renamed", "EMAIL_ADDRESS": "known@results.test"},   # 3: collapsed into line 1
        {"EMAIL_ADDRESS": 12},                                              # 4: rejected before sending
    ], results_path=str(results))
    lines = sorted(read_lines(results), key=lambda line: line["inputLine"])
    assert [line["inputLine"] for line in lines] == [1, 2, 3, 4]
    by_line = {line["inputLine"]: line for line in lines}
    assert by_line[1]["outcome"] == by_line[3]["outcome"] == "updated"
    assert by_line[1]["id"] == by_line[3]["id"] == known["CONTACT_ID"]
    assert by_line[1]["key"] == {"EMAIL_ADDRESS": "known@results.test"} and by_line[1]["attempts"] == 1
    created = harness.get("Contacts", by_line[2]["id"])
    assert by_line[2]["outcome"] == "created" and created["EMAIL_ADDRESS"] == "new@results.test"
    assert by_line[4]["outcome"] == "rejected" and by_line[4]["id"] is None and by_line[4]["attempts"] == 0
    assert by_line[4]["error"]["category"] == "validation"
    assert report.counts["rejected"] == 1


def test_summary_goes_to_stderr_and_quiet_leaves_only_errors(harness, credential_file, tmp_path):
    target = harness.ids("Contacts")[0]
    args = ("write", "--credential", credential_file, "--resource", "contacts", "--mode", "update",
            "--rejects", str(tmp_path / "rejects.jsonl"))
    result = cli(*args, stdin=jsonl({"CONTACT_ID": target, "TITLE": "Stderr"}))
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"" and b"updated" in result.stderr and b"exit code 0" in result.stderr
    quiet = cli(*args, "--quiet", stdin=jsonl({"CONTACT_ID": target, "TITLE": "Quiet"}, {"TITLE": "no id"}))
    assert quiet.returncode == 3 and quiet.stdout == b""
    assert quiet.stderr.decode().strip().splitlines() == [
        f"write: 1 record rejected, see {tmp_path / 'rejects.jsonl'}"]


def test_format_json_prints_one_machine_readable_summary(harness, credential_file, tmp_path):
    target = harness.ids("Contacts")[0]
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "update",
                 "--rejects", str(tmp_path / "rejects.jsonl"), "--format", "json",
                 stdin=jsonl({"CONTACT_ID": target, "TITLE": "Json"}, {"CONTACT_ID": target, "BOGUS": 1}))
    assert result.returncode == 3, result.stderr
    summary = orjson.loads(result.stdout)
    assert summary["counts"]["updated"] == 1 and summary["counts"]["rejected"] == 1
    assert (summary["resource"], summary["mode"], summary["records"], summary["exitCode"]) == \
        ("contacts", "update", 2, 3)
    assert summary["reads"]["metadata"] == ["/CustomFields/Contacts"]


def test_dry_run_says_would_and_reports_its_reads(harness, credential_file, tmp_path):
    harness.create("Contacts", {"FIRST_NAME": "There", "EMAIL_ADDRESS": "there@dry.test"})
    harness.clear_requests()
    results = tmp_path / "results.jsonl"
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
                 "--dry-run", "--results", str(results), "--format", "json",
                 stdin=jsonl({"FIRST_NAME": "Changed", "EMAIL_ADDRESS": "there@dry.test", "Hobby__c": "go"},
                             {"FIRST_NAME": "New", "EMAIL_ADDRESS": "new@dry.test", "VIP__c": True}))
    assert result.returncode == 0, result.stderr
    summary = orjson.loads(result.stdout)
    assert summary["dryRun"] is True
    assert summary["counts"]["would_create"] == 1 and summary["counts"]["would_update"] == 1
    assert "created" not in summary["counts"]
    assert sorted(entry["outcome"] for entry in summary["plan"]) == ["would_create", "would_update"]
    assert summary["reads"] == {"metadata": ["/CustomFields/Contacts"], "lookups": 2}
    assert not mutations(harness)
    gets = [entry.path for entry in harness.requests()]
    assert gets.count("/CustomFields/Contacts") == 1 and gets.count("/Contacts/Search") == 2
    assert len(gets) == 3, gets  # no clock probe, nothing else
    assert sorted(line["outcome"] for line in read_lines(results)) == ["would_create", "would_update"]
    table = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
                "--dry-run", stdin=jsonl({"FIRST_NAME": "New", "EMAIL_ADDRESS": "new@dry.test", "Hobby__c": "x",
                                          "DATE_CREATED_UTC": "2020-01-01 00:00:00"}))
    assert b"would create" in table.stderr and b"reads made to decide: 1 custom-field metadata" in table.stderr
    assert b" 1 lookup; no write sent" in table.stderr
    assert b"warnings: 1 (fields dropped, references kept; the plan lists them)" in table.stderr
    assert orjson.loads(table.stdout.splitlines()[0])["outcome"] == "would_create"
