"""Bad journal, rejects and upsert-key arguments to `write`: exit 2 with one line, nothing sent; sinks the
user names (a device, a FIFO) keep working and are never deleted; record copies in the rejects file
are the user's data, unaltered."""

from __future__ import annotations

import os
import stat
import threading

import orjson
import pytest
import requests

from .conftest import cli, mutations, read_lines

REJECTED = {"FIRST_NAME": "Bad", "OWNER_USER_ID": "not a number"}  # fails validation: a reject, no request


def jsonl(*records) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def one_line_usage_error(result, *needles: str) -> None:
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    for needle in needles:
        assert needle in stderr, stderr


@pytest.mark.parametrize("case", ["journal_in_missing_folder", "rejects_in_missing_folder", "rejects_a_folder",
                                  "journal_a_folder"])
def test_unwritable_journal_or_rejects_path_is_a_usage_error_before_anything_is_sent(
        harness, credential_file, tmp_path, case):
    missing = tmp_path / "no-such-folder" / "file.jsonl"
    paths = {"journal_in_missing_folder": ("--journal", missing),
             "rejects_in_missing_folder": ("--rejects", missing),
             "rejects_a_folder": ("--rejects", tmp_path),
             "journal_a_folder": ("--journal", tmp_path)}
    option, path = paths[case]
    extra = [] if option == "--rejects" else ["--rejects", str(tmp_path / "r.jsonl")]
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 option, str(path), *extra, stdin=jsonl({"FIRST_NAME": "Ok"}, REJECTED))
    one_line_usage_error(result, option, str(path))
    assert harness.requests() == []
    assert not missing.parent.exists()


def test_a_file_without_a_run_header_is_refused_as_a_journal_and_left_untouched(harness, credential_file, tmp_path):
    not_a_journal = tmp_path / "records.jsonl"  # e.g. the input given as --journal by mistake
    not_a_journal.write_bytes(jsonl({"FIRST_NAME": "Ada"}))
    before = not_a_journal.read_bytes()
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--journal", str(not_a_journal), "--rejects", str(tmp_path / "r.jsonl"),
                 stdin=jsonl({"FIRST_NAME": "Ada"}))
    one_line_usage_error(result, str(not_a_journal), "'run'")
    assert not_a_journal.read_bytes() == before
    assert mutations(harness) == []


def test_a_journal_of_other_input_is_refused(harness, credential_file, tmp_path):
    journal = tmp_path / "journal.jsonl"
    common = ["write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
              "--journal", str(journal), "--rejects", str(tmp_path / "r.jsonl")]
    assert cli(*common, stdin=jsonl({"FIRST_NAME": "First input"})).returncode == 0
    harness.clear_requests()
    result = cli(*common, stdin=jsonl({"FIRST_NAME": "Other input"}))
    one_line_usage_error(result, "journal")
    assert mutations(harness) == []


def test_an_upsert_key_that_is_no_field_is_a_usage_error_before_any_write(harness, credential_file, tmp_path):
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
                 "--upsert-key", "EMAIL", "--rejects", str(tmp_path / "r.jsonl"),
                 stdin=jsonl({"FIRST_NAME": "A", "EMAIL_ADDRESS": "a@key.test"}))
    one_line_usage_error(result, "--upsert-key", "'EMAIL'", "EMAIL_ADDRESS")
    assert mutations(harness) == []
    assert not [entry for entry in harness.requests() if "/Search" in entry.path]  # no lookup either
    assert not (tmp_path / "r.jsonl").exists()


def test_a_custom_field_is_a_valid_upsert_key(harness, credential_file, tmp_path):
    answer = requests.get(f"{harness.base_url}/CustomFields/Contacts", auth=(harness.api_key, ""), timeout=10)
    names = [field["FIELD_NAME"] for field in answer.json()]
    if not names:
        pytest.skip("the harness exposes no custom field of Contacts to test with")
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
                 "--upsert-key", names[0], "--dry-run", stdin=jsonl({"FIRST_NAME": "A", names[0]: "x"}))
    assert result.returncode in (0, 3), result.stderr


def null_device(tmp_path) -> str:
    """A private copy of /dev/null's device node (as root, e.g. in a container, where the bug bit): the test
    never points the connector at the machine's own /dev/null, which a regression would destroy."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror})")
    return str(path)


def test_rejects_to_a_device_keeps_the_device(harness, credential_file, tmp_path):
    device = null_device(tmp_path)
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--rejects", device, stdin=jsonl(REJECTED))
    assert result.returncode == 3, result.stderr
    assert stat.S_ISCHR(os.stat(device).st_mode), "the device node was replaced by a regular file"


def test_a_fifo_as_rejects_file_receives_the_rejects_and_stays_a_fifo(harness, credential_file, tmp_path):
    fifo = tmp_path / "rejects.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--rejects", str(fifo), stdin=jsonl(REJECTED))
    reader.join(timeout=30)
    assert result.returncode == 3, result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    (line,) = [orjson.loads(raw) for raw in received[0].splitlines()]
    assert line["rawMessage"] == REJECTED


def test_a_journal_on_a_device_is_written_and_never_read(harness, credential_file, tmp_path):
    device = null_device(tmp_path)
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--journal", device, "--rejects", str(tmp_path / "r.jsonl"),
                 stdin=jsonl({"FIRST_NAME": "Dev", "LAST_NAME": "Null"}))
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_the_rejects_copy_of_a_record_holding_the_key_is_unaltered(harness, credential_file, tmp_path):
    key = harness.api_key
    rejects = tmp_path / "r.jsonl"
    record = {**REJECTED, "LAST_NAME": key, "BACKGROUND": f"pasted {key}"}
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 "--rejects", str(rejects), stdin=jsonl(record))
    assert result.returncode == 3, result.stderr
    (line,) = read_lines(rejects)
    assert line["rawMessage"] == record
    said = orjson.dumps({name: value for name, value in line.items() if name != "rawMessage"})
    assert key.encode() not in said and key.encode() not in result.stderr and key.encode() not in result.stdout
