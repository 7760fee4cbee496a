"""Records refused before any request: required fields, types, maxLength, read-only fields, unknown
custom fields; duplicate keys; the rejects file's shape. Checked in the harness's request log."""

from insightly_connector.destination.input_records import read_records

from .conftest import find, mutations, read_lines


def test_invalid_records_are_rejected_with_reasons_and_cost_no_write(harness, run_write, tmp_path):
    records = [
        {"LAST_NAME": "no first name"},
        {"FIRST_NAME": "Ada", "OWNER_USER_ID": "not a number"},
        {"FIRST_NAME": "x" * 256},
        {"FIRST_NAME": "Ok", "EMAIL_ADDRESS": "ok@validation.test"},
    ]
    report = run_write("contacts", "create", records)
    assert (report.exit_code, report.counts["created"], report.counts["rejected"]) == (3, 1, 3)
    rejects = read_lines(tmp_path / "rejects.jsonl")
    assert [r["nexlaMetaData"]["inputLine"] for r in rejects] == [1, 2, 3]
    assert [r["error"]["category"] for r in rejects] == ["validation"] * 3
    messages = [r["error"]["message"] for r in rejects]
    assert "FIRST_NAME" in messages[0] and "OWNER_USER_ID" in messages[1] and "255" in messages[2]
    assert [r["rawMessage"] for r in rejects] == records[:3]
    assert all(r["error"]["attempts"] == 0 and r["error"]["status"] is None for r in rejects)
    assert [e.body["FIRST_NAME"] for e in mutations(harness)] == ["Ok"]


def test_read_only_fields_are_dropped_with_a_warning_or_rejected_as_chosen(harness, run_write, tmp_path):
    record = {"FIRST_NAME": "Ro", "EMAIL_ADDRESS": "ro@validation.test", "DATE_CREATED_UTC": "2001-01-01 00:00:00"}
    report = run_write("contacts", "create", [record], read_only="reject")
    assert (report.counts["rejected"], report.exit_code) == (1, 3)
    assert read_lines(tmp_path / "rejects.jsonl")[0]["error"]["category"] == "read_only"
    assert mutations(harness) == []
    report = run_write("contacts", "create", [record], read_only="drop")
    assert (report.counts["created"], report.warnings) == (1, 1)
    (post,) = mutations(harness)
    assert "DATE_CREATED_UTC" not in post.body
    (created,) = find(harness, "Contacts", "EMAIL_ADDRESS", "ro@validation.test")
    assert created["DATE_CREATED_UTC"] != "2001-01-01 00:00:00"


def test_custom_fields_as_flat_keys_or_an_array_and_unknown_names_rejected(harness, run_write, tmp_path):
    records = [
        {"FIRST_NAME": "Flat", "EMAIL_ADDRESS": "flat@custom.test", "Hobby__c": "chess"},
        {"FIRST_NAME": "Array", "EMAIL_ADDRESS": "array@custom.test",
         "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "golf"}]},
        {"FIRST_NAME": "Bad", "Shoe_Size__c": 44},
        {"FIRST_NAME": "Bad", "CUSTOMFIELDS": [{"FIELD_NAME": "Shoe_Size__c", "FIELD_VALUE": 44}]},
        {"FIRST_NAME": "Bad", "Lifetime_Orders__c": "many"},
    ]
    report = run_write("contacts", "create", records)
    assert (report.counts["created"], report.counts["rejected"]) == (2, 3), report.summary_table()
    rejects = read_lines(tmp_path / "rejects.jsonl")
    assert [(r["nexlaMetaData"]["inputLine"], r["error"]["category"]) for r in rejects] == \
        [(3, "unknown_field"), (4, "unknown_field"), (5, "validation")]
    assert all("Shoe_Size__c" in r["error"]["message"] for r in rejects[:2])
    assert "Lifetime_Orders__c must be number" in rejects[2]["error"]["message"]
    hobbies = {}
    for email in ("flat@custom.test", "array@custom.test"):
        (record,) = find(harness, "Contacts", "EMAIL_ADDRESS", email)
        hobbies[email] = {f["FIELD_NAME"]: f["FIELD_VALUE"] for f in record["CUSTOMFIELDS"]}.get("Hobby__c")
    assert hobbies == {"flat@custom.test": "chess", "array@custom.test": "golf"}
    assert len(mutations(harness)) == 2


def test_duplicate_keys_are_collapsed_into_one_write_never_two_creates(harness, run_write):
    records = [{"FIRST_NAME": "First", "EMAIL_ADDRESS": "dup@collapse.test"},
               {"LAST_NAME": "Later", "EMAIL_ADDRESS": "dup@collapse.test"},
               {"FIRST_NAME": "First", "EMAIL_ADDRESS": "dup@collapse.test"}]
    report = run_write("contacts", "upsert", records)
    assert (report.exit_code, report.counts["created"], report.counts["collapsed"]) == (0, 1, 2)
    (record,) = find(harness, "Contacts", "EMAIL_ADDRESS", "dup@collapse.test")
    assert (record["FIRST_NAME"], record["LAST_NAME"]) == ("First", "Later")
    assert len(mutations(harness)) == 1


def test_duplicate_keys_can_be_rejected_instead(harness, run_write, tmp_path):
    records = [{"FIRST_NAME": "Kept", "EMAIL_ADDRESS": "dup@reject.test"},
               {"FIRST_NAME": "Refused", "EMAIL_ADDRESS": "dup@reject.test"}]
    report = run_write("contacts", "create", records, upsert_key="EMAIL_ADDRESS", duplicates="reject")
    assert (report.exit_code, report.counts["created"], report.counts["rejected"]) == (3, 1, 1)
    assert [r["FIRST_NAME"] for r in find(harness, "Contacts", "EMAIL_ADDRESS", "dup@reject.test")] == ["Kept"]
    (reject,) = read_lines(tmp_path / "rejects.jsonl")
    assert reject["error"]["category"] == "duplicate_key" and "line 1" in reject["error"]["message"]


def test_api_rejects_carry_status_message_attempts_and_the_original_record(harness, run_write, tmp_path):
    missing = max(harness.ids("Contacts")) + 1000
    report = run_write("contacts", "update", [{"CONTACT_ID": missing, "FIRST_NAME": "Ghost"}])
    assert (report.exit_code, report.counts["rejected"]) == (3, 1)
    (reject,) = read_lines(tmp_path / "rejects.jsonl")
    assert reject["error"]["category"] == "not_found"
    assert reject["error"]["status"] == 404 and reject["error"]["attempts"] == 1
    assert reject["error"]["message"]
    assert reject["rawMessage"] == {"CONTACT_ID": missing, "FIRST_NAME": "Ghost"}
    meta = reject["nexlaMetaData"]
    assert (meta["resource"], meta["mode"], meta["inputLine"], meta["runId"]) == \
        ("contacts", "update", 1, report.run_id)


def test_unreadable_input_lines_are_rejected_as_invalid_input(harness, run_write, tmp_path):
    lines = ['{"FIRST_NAME": "Line1", "EMAIL_ADDRESS": "l1@input.test"}', "{not json", "[1]"]
    report = run_write("contacts", "create", read_records(lines))
    assert (report.counts["created"], report.counts["rejected"], report.records) == (1, 2, 3)
    rejects = read_lines(tmp_path / "rejects.jsonl")
    assert [(r["nexlaMetaData"]["inputLine"], r["error"]["category"]) for r in rejects] == \
        [(2, "invalid_input"), (3, "invalid_input")]
    assert rejects[0]["rawMessage"] == "{not json"
