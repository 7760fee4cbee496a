"""The streaming write core in process: chunks, checkpoints released only after what precedes them is
written, routing by stream, metadata columns, dates back in the API's format, journal segments."""

from __future__ import annotations

import json

import pytest

from insightly_connector.destination.stream_write import StreamingWrite, StreamOptions
from insightly_connector.errors import ConfigError
from insightly_connector.http.client import Client
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.loader import load_spec

from .conftest import reject_lines, values


@pytest.fixture
def client(target):
    spec = load_spec()
    credential = load_credential({"name": "t", "api_key": target.api_key, "base_url": target.base_url,
                                  "requests_per_second": 100}, spec)
    with Client(spec, credential) as api:
        yield spec, api


def contact(n: int, tag: str) -> dict:
    return {"FIRST_NAME": f"Stream{n}", "EMAIL_ADDRESS": f"{tag}{n}@stream.test",
            "DATE_OF_BIRTH": "1990-05-04T03:02:01Z", "_sdc_extracted_at": "2026-01-01T00:00:00Z",
            "_airbyte_raw_id": "x"}


def test_each_checkpoint_is_released_after_every_record_before_it_exists(client, target, tmp_path):
    spec, api = client
    run = StreamingWrite(api, spec, streams={}, default=StreamOptions("create"), rejects_dir=str(tmp_path),
                         journal_dir=str(tmp_path), chunk_size=2)
    released = []

    def release():
        emails = set(values(target, "Contacts", "EMAIL_ADDRESS"))
        released.append(all(f"core{n}@stream.test" in emails for n in range(written)))

    written = 0
    for n in range(5):
        run.record("contacts", contact(n, "core"), n + 1)
        written += 1
    run.checkpoint(release)
    run.record("contacts", contact(5, "core"), 7)
    written += 1
    run.checkpoint(release, ["contacts"])
    (report,) = run.finish()
    assert released == [True, True]
    assert report.counts["created"] == 6 and report.counts["rejected"] == 0
    stored = [target.get("Contacts", key) for key in target.ids("Contacts")]
    mine = [r for r in stored if str(r.get("EMAIL_ADDRESS", "")).startswith("core")]
    assert len(mine) == 6
    assert {r["DATE_OF_BIRTH"] for r in mine} == {"1990-05-04 03:02:01"}        # RFC 3339 back to the API's form
    assert not any(name.startswith(("_sdc_", "_airbyte_")) for r in mine for name in r)
    # The journal holds only the segment after the last released checkpoint: nothing.
    journal = [json.loads(line) for line in (tmp_path / "contacts.journal.jsonl").read_text().splitlines()]
    assert [entry["event"] for entry in journal] == ["run"]


def test_unknown_stream_records_are_rejected_with_the_reason(client, tmp_path):
    spec, api = client
    run = StreamingWrite(api, spec, streams={}, default=StreamOptions("create"), rejects_dir=str(tmp_path))
    run.record("no_such_stream", {"A": 1}, 3)
    run.checkpoint(lambda: None)
    run.finish()
    (reject,) = reject_lines(tmp_path / "unroutable.rejects.jsonl")
    assert reject["error"]["category"] == "unknown_stream" and "no_such_stream" in reject["error"]["message"]
    assert reject["nexlaMetaData"]["inputLine"] == 3 and reject["rawMessage"] == {"A": 1}


def test_a_stream_opened_up_front_that_cannot_be_written_is_a_config_error(client, tmp_path):
    spec, api = client
    run = StreamingWrite(api, spec, streams={"emails": StreamOptions("create")}, default=None,
                         rejects_dir=str(tmp_path))
    with pytest.raises(ConfigError, match="does not support create"):
        run.open("emails")
    with pytest.raises(ConfigError, match="not one this run was configured"):
        run.open("contacts")


def test_a_resent_segment_skips_what_the_journal_confirmed(client, target, tmp_path):
    """A platform retrying a sync resends the records after the last state it got: the journal's
    segment; confirmed ones are not created again."""
    spec, api = client
    first = StreamingWrite(api, spec, streams={}, default=StreamOptions("create"), rejects_dir=str(tmp_path),
                           journal_dir=str(tmp_path))
    first.record("contacts", contact(0, "seg"), 1)
    first.checkpoint(lambda: None)
    tail = [contact(1, "seg"), contact(2, "seg")]
    for n, record in enumerate(tail):
        first.record("contacts", record, n + 3)
    first.finish()                                     # no state came after the tail
    before = len(values(target, "Contacts", "EMAIL_ADDRESS"))
    again = StreamingWrite(api, spec, streams={}, default=StreamOptions("create"), rejects_dir=str(tmp_path),
                           journal_dir=str(tmp_path))
    for n, record in enumerate(tail):
        again.record("contacts", record, n + 1)
    (report,) = again.finish()
    assert report.counts["already_done"] == 2 and report.counts["created"] == 0
    assert len(values(target, "Contacts", "EMAIL_ADDRESS")) == before


def test_records_of_one_name_with_their_own_ids_stay_apart_in_a_chunk(client, target, tmp_path):
    """Two custom-object records sharing the upsert key's value (RECORD_NAME repeats) but each carrying its
    own id are two writes, not one merged write that would copy one record's values onto the other."""
    spec, api = client
    made = [target.create("Fruit__c", {"RECORD_NAME": "Quince", "CUSTOMFIELDS": [
        {"FIELD_NAME": "Origin__c", "FIELD_VALUE": origin}]}) for origin in ("Spain", "Iran")]
    records = [target.get("Fruit__c", record["RECORD_ID"]) for record in made]
    records[1]["CUSTOMFIELDS"] = [{"FIELD_NAME": "Origin__c", "FIELD_VALUE": "Turkey"}]
    sync = StreamingWrite(api, spec, streams={}, default=StreamOptions("upsert"), rejects_dir=str(tmp_path),
                          journal_dir=str(tmp_path))
    for line, record in enumerate(records, start=1):
        sync.record("fruit__c", record, line)
    (report,) = sync.finish()
    assert report.counts["collapsed"] == 0 and report.counts["rejected"] == 0
    origins = [{item["FIELD_NAME"]: item["FIELD_VALUE"] for item in target.get("Fruit__c", record["RECORD_ID"])[
        "CUSTOMFIELDS"]}["Origin__c"] for record in made]
    assert origins == ["Spain", "Turkey"]
