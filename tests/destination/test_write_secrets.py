"""The API key, raw or base64 (with or without the trailing colon), never appears in anything a write
prints or leaves behind: stdout, stderr, the journal, the rejects file's own fields. A record that holds
it is the user's data: its copy in the rejects file (`rawMessage`) is kept unaltered."""

import orjson

from insightly_connector.redaction import secret_forms

from .conftest import cli


def leaks(key: str, *blobs: bytes) -> list[str]:
    return [form for form in secret_forms(key) for blob in blobs if form.encode() in blob]


def test_no_key_in_outputs_journal_or_rejects(harness, credential_file, tmp_path):
    key = harness.api_key
    stdin = b"".join(orjson.dumps(record) + b"\n" for record in [
        {"FIRST_NAME": "Leaky", "BACKGROUND": f"my key is {key}", "OWNER_USER_ID": "x"},  # rejected, holds the key
        {"FIRST_NAME": "Fine", "EMAIL_ADDRESS": "fine@secrets.test"},
        {"CONTACT_ID": 1, "FIRST_NAME": "wrong mode"},
    ])
    journal, rejects = tmp_path / "journal.jsonl", tmp_path / "rejects.jsonl"
    outputs = []
    harness.inject(kind="reset_after_processing", method="POST", count=1)
    for extra, code in (([], 3), (["--dry-run"], 3)):  # the dry run finds it all settled; rejects stay rejects
        result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                     "--journal", str(journal), "--rejects", str(rejects), *extra, stdin=stdin)
        assert result.returncode == code, result.stderr
        outputs += [result.stdout, result.stderr]
    harness.inject(status=401, count=10)
    result = cli("write", "--credential", credential_file, "--resource", "contacts", "--mode", "create",
                 stdin=orjson.dumps({"FIRST_NAME": "Denied"}) + b"\n", cwd=tmp_path)
    assert result.returncode == 1
    outputs += [result.stdout, result.stderr]
    lines = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    # the record's copy in the rejects file is the user's data, kept unaltered; what the connector says is not
    assert [line["rawMessage"]["BACKGROUND"] for line in lines if "BACKGROUND" in line["rawMessage"]] \
        == [f"my key is {key}"]
    said = [orjson.dumps({k: v for k, v in line.items() if k != "rawMessage"}) for line in lines]
    assert leaks(key, *outputs, journal.read_bytes(), *said) == []
