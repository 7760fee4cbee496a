"""The rejects file: quarantine-shaped lines, the connector's fields scrubbed of secrets, created only when needed."""

import orjson

from insightly_connector.destination.rejects import Rejection, RejectsFile
from insightly_connector.redaction import Redactor


def test_reject_lines_have_the_quarantine_shape_and_no_secret(tmp_path):
    path = tmp_path / "rejects.jsonl"
    secret = "k3y-Secret-0001"
    rejects = RejectsFile(path, resource="contacts", mode="create", run_id="run-1", redactor=Redactor([secret]))
    assert not path.exists()
    rejects.write(7, {"FIRST_NAME": "Ada", "NOTE": f"pasted {secret}"},
                  Rejection("invalid", "HTTP 400: Data validation error.", status=400, attempts=1))
    rejects.close()
    text = path.read_text()
    (line,) = [orjson.loads(raw) for raw in text.splitlines()]
    assert line["rawMessage"]["NOTE"] == f"pasted {secret}"  # the user's record, unaltered
    assert secret not in orjson.dumps({k: v for k, v in line.items() if k != "rawMessage"}).decode()
    meta = line["nexlaMetaData"]
    assert (meta["resource"], meta["mode"], meta["inputLine"], meta["runId"]) == ("contacts", "create", 7, "run-1")
    assert meta["ingestTime"].endswith("Z")
    assert line["error"] == {"category": "invalid", "status": 400, "message": "HTTP 400: Data validation error.",
                             "attempts": 1}
    assert line["rawMessage"]["FIRST_NAME"] == "Ada"
    assert rejects.count == 1


def test_a_fresh_rejects_file_replaces_an_old_one_and_a_resumed_one_appends(tmp_path):
    path = tmp_path / "rejects.jsonl"
    path.write_text("old\n")
    RejectsFile(path, resource="r", mode="create", run_id="x", fresh=False).close()
    assert path.read_text() == "old\n"
    before = path.stat().st_ino
    RejectsFile(path, resource="r", mode="create", run_id="x", fresh=True).close()
    assert path.read_text() == "" and path.stat().st_ino == before  # emptied in place, never deleted
