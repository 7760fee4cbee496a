"""Upserts that would change nothing send nothing: the lookup returns the full live record (`brief=false`),
and a record whose every value it already holds is reported `unchanged` (summary, results, journal,
`--format json`, a dry run's "would leave unchanged"). Counted in the harness's request log."""

import re

import orjson
import pytest

from insightly_connector.api import Connector
from insightly_connector.destination.unchanged import changes_nothing
from insightly_connector.destination.validation import CustomFieldShape

from .conftest import cli, credential_for, mutations, read_lines

SHAPE = CustomFieldShape("CUSTOMFIELDS", "FIELD_NAME", "FIELD_VALUE")


def jsonl(records) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def searches(harness) -> list:
    return [entry for entry in harness.requests() if entry.method == "GET" and entry.path.endswith("/Search")]


# resource, its collection, primary key and upsert key, a change made live by someone else (the upsert undoes it)
EDITED_LIVE = [
    ("contacts", "Contacts", "CONTACT_ID", "EMAIL_ADDRESS", {"TITLE": "Edited in the CRM"}),
    ("organisations", "Organisations", "ORGANISATION_ID", "ORGANISATION_NAME", {"TAGS": [{"TAG_NAME": "edited"}]}),
    ("opportunities", "Opportunities", "OPPORTUNITY_ID", "OPPORTUNITY_NAME", {"OPPORTUNITY_DETAILS": "Edited"}),
    ("fruit__c", "Fruit__c", "RECORD_ID", "RECORD_NAME",
     {"CUSTOMFIELDS": [{"FIELD_NAME": "Origin__c", "FIELD_VALUE": "Edited"}]}),
]


@pytest.mark.parametrize(("resource", "collection", "primary_key", "upsert_key", "edit"), EDITED_LIVE)
def test_a_read_written_back_as_upsert_twice_sends_no_put_the_second_time(
        resource, collection, primary_key, upsert_key, edit, harness, tmp_path):
    with Connector({**credential_for(harness), "requests_per_second": 100}) as connector:
        connector.read([resource], output_dir=tmp_path, limit=3)
        read = [orjson.loads(line) for line in (tmp_path / f"{resource}.jsonl").read_bytes().splitlines()]
        records = read[:3]
        assert len(records) == 3 and any(isinstance(value, list) and value for value in records[0].values())
        edited = records[0][primary_key]
        harness.update(collection, edited, edit)
        harness.clear_requests()
        first = connector.write(resource, "upsert", records, rejects_path=str(tmp_path / "rejects.jsonl"))
        (put,) = mutations(harness)
        assert (put.method, put.body[primary_key]) == ("PUT", edited)
        assert (first.counts["updated"], first.counts["unchanged"], first.counts["rejected"]) == (1, 2, 0), \
            first.summary_table()
        live = harness.get(collection, edited)
        assert changes_nothing({name: live[name] for name in edit}, records[0], SHAPE)  # the edit was undone

        harness.clear_requests()
        results = tmp_path / "results.jsonl"
        second = connector.write(resource, "upsert", records, rejects_path=str(tmp_path / "rejects.jsonl"),
                                 results_path=str(results))
    assert mutations(harness) == []
    assert [entry.query.get("brief") for entry in searches(harness)] == ["false"] * 3  # the lookups only, in full
    assert (second.counts["unchanged"], second.confirmed, second.exit_code) == (3, 3, 0), second.summary_table()
    lines = read_lines(results)
    assert sorted((line["outcome"], line["id"], line["attempts"]) for line in lines) == \
        sorted(("unchanged", record[primary_key], 0) for record in records)


def test_a_changed_field_tag_or_custom_field_is_sent_and_only_those(harness, run_write, tmp_path):
    """Tags are a set the update replaces (order does not matter, a missing tag is a change); custom
    fields merge by name (one left out changes nothing, null equals unset)."""
    live = {"FIRST_NAME": "Same", "TAGS": [{"TAG_NAME": "red"}, {"TAG_NAME": "blue"}],
            "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "chess"},
                             {"FIELD_NAME": "Lifetime_Orders__c", "FIELD_VALUE": 3}]}
    variants = {
        "same": ({}, "unchanged"),
        "tags-reordered": ({"TAGS": [{"TAG_NAME": "blue"}, {"TAG_NAME": "red"}]}, "unchanged"),
        "customs-flat-and-null": ({"CUSTOMFIELDS": None, "Hobby__c": "chess", "Biography__c": None,
                                   "Lifetime_Orders__c": 3.0}, "unchanged"),
        "field": ({"FIRST_NAME": "Changed"}, "updated"),
        "empty-not-null": ({"SALUTATION": ""}, "updated"),
        "tag-added": ({"TAGS": [{"TAG_NAME": "red"}, {"TAG_NAME": "blue"}, {"TAG_NAME": "green"}]}, "updated"),
        "tag-removed": ({"TAGS": [{"TAG_NAME": "red"}]}, "updated"),
        "custom-changed": ({"CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "go"}]}, "updated"),
        "custom-set": ({"Biography__c": "Born in a sync"}, "updated"),
    }
    records, expected = [], {}
    for name, (change, outcome) in variants.items():
        email = f"{name}@unchanged.test"
        made = harness.create("Contacts", {**live, "EMAIL_ADDRESS": email, "SALUTATION": None})
        records.append({**harness.get("Contacts", made["CONTACT_ID"]), **change})
        expected[made["CONTACT_ID"]] = outcome
    harness.clear_requests()
    results = tmp_path / "results.jsonl"
    report = run_write("contacts", "upsert", records, results_path=str(results))
    assert report.counts["rejected"] == 0, (tmp_path / "rejects.jsonl").read_text()
    assert {line["id"]: line["outcome"] for line in read_lines(results)} == expected
    sent = mutations(harness)
    assert sorted(put.body["CONTACT_ID"] for put in sent) == \
        sorted(key for key, outcome in expected.items() if outcome == "updated")
    assert {put.method for put in sent} == {"PUT"}
    by_email = {harness.get("Contacts", key)["EMAIL_ADDRESS"]: harness.get("Contacts", key) for key in expected}
    assert [tag["TAG_NAME"] for tag in by_email["tag-removed@unchanged.test"]["TAGS"]] == ["red"]
    assert {item["FIELD_NAME"]: item["FIELD_VALUE"] for item in by_email["custom-set@unchanged.test"]["CUSTOMFIELDS"]
            }["Biography__c"] == "Born in a sync"


def test_records_that_share_a_key_value_stay_separate_records(harness, run_write):
    """Two records of one name, read and written back, are two records: each is compared with its own
    live record (never merged into one write, which would copy one's values onto the other)."""
    made = [harness.create("Fruit__c", {"RECORD_NAME": "Quince", "CUSTOMFIELDS": [
        {"FIELD_NAME": "Origin__c", "FIELD_VALUE": origin}]}) for origin in ("Spain", "Iran")]
    records = [harness.get("Fruit__c", record["RECORD_ID"]) for record in made]
    harness.clear_requests()
    same = run_write("fruit__c", "upsert", records)
    assert (same.counts["unchanged"], same.counts["collapsed"], mutations(harness)) == (2, 0, [])
    records[1]["CUSTOMFIELDS"] = [{"FIELD_NAME": "Origin__c", "FIELD_VALUE": "Turkey"}]
    changed = run_write("fruit__c", "upsert", records)
    (put,) = mutations(harness)
    assert put.body["RECORD_ID"] == made[1]["RECORD_ID"]
    assert (changed.counts["unchanged"], changed.counts["updated"]) == (1, 1)
    origins = [{item["FIELD_NAME"]: item["FIELD_VALUE"] for item in harness.get("Fruit__c", record["RECORD_ID"])[
        "CUSTOMFIELDS"]}["Origin__c"] for record in made]
    assert origins == ["Spain", "Turkey"]


def test_unchanged_is_journaled_so_a_resumed_run_sends_nothing(harness, credential_file, tmp_path):
    made = [harness.create("Contacts", {"FIRST_NAME": name, "EMAIL_ADDRESS": f"{name}@journal.unchanged.test"})
            for name in ("Ann", "Ben")]
    stdin = jsonl(harness.get("Contacts", record["CONTACT_ID"]) for record in made)
    journal, results = tmp_path / "journal.jsonl", tmp_path / "results.jsonl"
    args = ("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert",
            "--journal", str(journal), "--results", str(results), "--rejects", str(tmp_path / "rejects.jsonl"),
            "--format", "json")
    harness.clear_requests()
    first = cli(*args, stdin=stdin)
    assert first.returncode == 0, first.stderr
    assert orjson.loads(first.stdout)["counts"]["unchanged"] == 2
    assert mutations(harness) == [] and len(searches(harness)) == 2
    confirmed = [orjson.loads(line) for line in journal.read_bytes().splitlines() if b'"confirmed"' in line]
    assert sorted(entry["outcome"] for entry in confirmed) == ["unchanged", "unchanged"]

    harness.clear_requests()
    again = cli(*args, stdin=stdin)
    assert again.returncode == 0, again.stderr
    summary = orjson.loads(again.stdout)
    assert (summary["counts"]["already_done"], summary["counts"]["unchanged"]) == (2, 0)
    assert mutations(harness) == [] and searches(harness) == []
    assert [(line["outcome"], line.get("fromJournal")) for line in read_lines(results)] == [("unchanged", True)] * 2


def test_a_dry_run_says_it_would_leave_unchanged(harness, credential_file, tmp_path):
    made = harness.create("Contacts", {"FIRST_NAME": "Dry", "EMAIL_ADDRESS": "dry@unchanged.test",
                                       "TAGS": [{"TAG_NAME": "kept"}]})
    same = harness.get("Contacts", made["CONTACT_ID"])
    args = ("write", "--credential", credential_file, "--resource", "contacts", "--mode", "upsert", "--dry-run")
    harness.clear_requests()
    result = cli(*args, "--format", "json",
                 stdin=jsonl([same, {"FIRST_NAME": "Wet", "EMAIL_ADDRESS": "dry@other.test"}]))
    assert result.returncode == 0, result.stderr
    summary = orjson.loads(result.stdout)
    assert (summary["counts"]["would_leave_unchanged"], summary["counts"]["would_create"]) == (1, 1)
    (kept,) = [entry for entry in summary["plan"] if entry["outcome"] == "would_leave_unchanged"]
    assert kept["id"] == made["CONTACT_ID"] and "method" not in kept
    assert mutations(harness) == []
    table = cli(*args, stdin=jsonl([same]))
    assert re.search(rb"^ +would leave unchanged +1$", table.stderr, re.MULTILINE), table.stderr
    assert orjson.loads(table.stdout.splitlines()[0])["outcome"] == "would_leave_unchanged"


def test_what_the_live_record_does_not_show_is_a_change():
    """A brief answer (no nested arrays) proves nothing about them, and an item field the update would
    leave out (an id the server gave) is a change too."""
    body = {"CONTACT_ID": 1, "TAGS": [{"TAG_NAME": "a"}]}
    assert not changes_nothing(body, {"CONTACT_ID": 1}, SHAPE)
    assert changes_nothing(body, {"CONTACT_ID": 1, "TAGS": [{"TAG_NAME": "a"}]}, SHAPE)
    dated = {"DATES": [{"OCCASION_NAME": "Birthday"}]}
    assert not changes_nothing(dated, {"DATES": [{"OCCASION_NAME": "Birthday", "DATE_ID": 9}]}, SHAPE)
    assert changes_nothing({"TAGS": None}, {"TAGS": []}, SHAPE)
    assert not changes_nothing({"VIP": 1}, {"VIP": True}, SHAPE)
