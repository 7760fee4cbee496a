"""The `write` command line: Airbyte / Singer / plain input on stdin, the summary, exit codes, dry run."""

import os
import pty
import subprocess
import sys

import orjson

from .conftest import cli, find, mutations, read_lines

AIRBYTE = {"type": "RECORD", "record": {"stream": "people", "emitted_at": 1,
                                        "data": {"FIRST_NAME": "Air", "EMAIL_ADDRESS": "air@cli.test"}}}
SINGER = {"type": "RECORD", "stream": "people", "record": {"FIRST_NAME": "Sing", "EMAIL_ADDRESS": "sing@cli.test"}}


def jsonl(*items) -> bytes:
    return b"".join(item if isinstance(item, bytes) else orjson.dumps(item) + b"\n" for item in items)


def test_stdin_mixes_airbyte_singer_and_plain_records(harness, credential_file, tmp_path):
    before = harness.count("Contacts")
    stdin = jsonl({"type": "SCHEMA", "stream": "people", "schema": {}, "key_properties": []}, AIRBYTE, SINGER,
                  {"FIRST_NAME": "Plain", "EMAIL_ADDRESS": "plain@cli.test"}, {"type": "STATE", "value": {}},
                  b"{broken\n")
    rejects = tmp_path / "rejects.jsonl"
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--rejects", str(rejects), stdin=stdin)
    assert result.returncode == 3, result.stderr
    assert harness.count("Contacts") == before + 3
    for email in ("air@cli.test", "sing@cli.test", "plain@cli.test"):
        assert len(find(harness, "Contacts", "EMAIL_ADDRESS", email)) == 1
    summary = result.stderr.decode()  # the summary goes to stderr, as read's does
    assert "created" in summary and "exit code 3" in summary and result.stdout == b""
    (reject,) = read_lines(rejects)
    assert reject["nexlaMetaData"]["inputLine"] == 6 and reject["error"]["category"] == "invalid_input"


def test_all_confirmed_exits_zero_and_input_can_be_a_file(harness, credential_file, tmp_path):
    target = harness.ids("Contacts")[0]
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl({"CONTACT_ID": target, "TITLE": "Chief"}))
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "update",
                 "--input", str(source), "--rejects", str(tmp_path / "r.jsonl"))
    assert result.returncode == 0, result.stderr
    assert harness.get("Contacts", target)["TITLE"] == "Chief"


def test_bad_arguments_and_unreadable_input_are_usage_errors(credential_file, tmp_path):
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--input", str(tmp_path / "missing.jsonl"))
    assert result.returncode == 2 and b"--input" in result.stderr and b"Traceback" not in result.stderr
    result = cli("write", "--credential", credential_file, "--resource", "emails", "--mode", "create",
                 stdin=b"{}\n")
    assert result.returncode == 2 and b"does not support create" in result.stderr


def test_dry_run_prints_the_plan_and_sends_no_mutation(harness, credential_file, tmp_path):
    existing = harness.create("Contacts", {"FIRST_NAME": "Known", "EMAIL_ADDRESS": "known@dry.test"})
    delete_id = harness.ids("Contacts")[0]
    before = harness.count("Contacts")
    upserts = jsonl({"FIRST_NAME": "Changed", "EMAIL_ADDRESS": "known@dry.test"},
                    {"FIRST_NAME": "New", "EMAIL_ADDRESS": "new@dry.test"},
                    {"EMAIL_ADDRESS": "incomplete@dry.test"})
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
                 "--dry-run", "--rejects", str(tmp_path / "r.jsonl"), "--journal", str(tmp_path / "j.jsonl"),
                 stdin=upserts)
    assert result.returncode == 3, result.stderr
    plan = [orjson.loads(line) for line in result.stdout.splitlines() if line.startswith(b"{")]
    assert [(p["inputLines"], p["outcome"]) for p in plan] == [([1], "would_update"), ([2], "would_create"),
                                                               ([3], "rejected")]
    assert plan[0]["id"] == existing["CONTACT_ID"] and plan[0]["method"] == "PUT"
    assert plan[1]["method"] == "POST" and plan[1]["fields"] == ["EMAIL_ADDRESS", "FIRST_NAME"]
    assert "FIRST_NAME" in plan[2]["message"]
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "delete",
                 "--dry-run", stdin=jsonl({"CONTACT_ID": delete_id}), cwd=tmp_path)
    assert result.returncode == 0
    assert b'"outcome":"would_delete"' in result.stdout and f"/Contacts/{delete_id}".encode() in result.stdout
    assert mutations(harness) == []
    assert harness.count("Contacts") == before
    assert not (tmp_path / "r.jsonl").exists() and not (tmp_path / "j.jsonl").exists()
    assert list(tmp_path.glob("*.rejects.jsonl")) == []


def test_records_typed_at_a_terminal_are_asked_for_and_written(harness, credential_file, tmp_path):
    """No --input and a terminal on stdin: the write says it waits for records instead of seeming to hang."""
    main, child = pty.openpty()
    try:
        done = subprocess.Popen([sys.executable, "-m", "insightly_connector", "write", "--credential", credential_file,
                                 "--resource", "contacts", "--mode", "create", "--rejects",
                                 str(tmp_path / "r.jsonl")], stdin=child, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        os.write(main, jsonl({"FIRST_NAME": "Typed", "EMAIL_ADDRESS": "typed@cli.test"}) + b"\x04")
        try:
            _, stderr = done.communicate(timeout=60)
        finally:
            done.kill()
    finally:
        os.close(main)
        os.close(child)
    assert done.returncode == 0, stderr
    assert stderr.decode().startswith("write: reading records from the terminal, one JSON object a line; end with")
    assert len(find(harness, "Contacts", "EMAIL_ADDRESS", "typed@cli.test")) == 1


def test_an_unknown_resource_is_named_by_the_option_that_gave_it(harness, credential_file):
    result = cli("write", "--credential", credential_file, "--resource", "contactz", "--mode", "create",
                 stdin=jsonl({"FIRST_NAME": "x"}))
    assert result.returncode == 2
    assert result.stderr.decode().startswith("error: --resource: unknown resource 'contactz'; did you mean contacts")
