"""Every write mode against the harness over HTTP: create, update, upsert (found / not found / unchanged),
delete (incl. a note under its parent and a resource with a singular collection path)."""

from .conftest import find, mutations


def test_create_confirms_each_record_with_its_new_id(harness, run_write, tmp_path):
    before = harness.count("Contacts")
    journal = tmp_path / "journal.jsonl"
    records = [{"FIRST_NAME": "Ada", "EMAIL_ADDRESS": "ada@create.test"},
               {"FIRST_NAME": "Bo", "EMAIL_ADDRESS": "bo@create.test"}]
    report = run_write("contacts", "create", records, journal_path=str(journal))
    assert (report.exit_code, report.counts["created"], report.counts["rejected"]) == (0, 2, 0)
    assert harness.count("Contacts") == before + 2
    (ada,) = find(harness, "Contacts", "EMAIL_ADDRESS", "ada@create.test")
    confirmed = [line for line in journal.read_text().splitlines() if '"confirmed"' in line]
    assert len(confirmed) == 2 and any(f'"id":{ada["CONTACT_ID"]}' in line for line in confirmed)
    assert not (tmp_path / "rejects.jsonl").exists()


def test_update_sends_the_id_in_the_body_and_changes_only_what_was_sent(harness, run_write):
    target = harness.ids("Contacts")[0]
    last_name = harness.get("Contacts", target)["LAST_NAME"]
    report = run_write("contacts", "update", [{"CONTACT_ID": target, "FIRST_NAME": "Renamed"}])
    assert (report.exit_code, report.counts["updated"]) == (0, 1)
    record = harness.get("Contacts", target)
    assert (record["FIRST_NAME"], record["LAST_NAME"]) == ("Renamed", last_name)
    (put,) = mutations(harness)
    assert (put.method, put.path, put.body["CONTACT_ID"]) == ("PUT", "/Contacts", target)


def test_upsert_updates_what_it_finds_creates_what_it_does_not_and_skips_what_is_equal(harness, run_write):
    harness.create("Contacts", {"FIRST_NAME": "Old", "EMAIL_ADDRESS": "found@upsert.test"})
    harness.create("Contacts", {"FIRST_NAME": "Same", "EMAIL_ADDRESS": "same@upsert.test"})
    before = harness.count("Contacts")
    report = run_write("contacts", "upsert", [
        {"FIRST_NAME": "New", "EMAIL_ADDRESS": "found@upsert.test"},
        {"FIRST_NAME": "Fresh", "EMAIL_ADDRESS": "missing@upsert.test"},
        {"FIRST_NAME": "Same", "EMAIL_ADDRESS": "same@upsert.test"},
    ])
    assert report.exit_code == 0
    assert {k: report.counts[k] for k in ("created", "updated", "unchanged")} == \
        {"created": 1, "updated": 1, "unchanged": 1}
    assert harness.count("Contacts") == before + 1
    assert [r["FIRST_NAME"] for r in find(harness, "Contacts", "EMAIL_ADDRESS", "found@upsert.test")] == ["New"]
    assert len(find(harness, "Contacts", "EMAIL_ADDRESS", "missing@upsert.test")) == 1
    searched = [e for e in harness.requests() if e.path == "/Contacts/Search"]
    assert {e.query["field_name"] for e in searched} == {"EMAIL_ADDRESS"} and len(searched) == 3
    assert len(mutations(harness)) == 2


def test_upsert_with_an_ambiguous_key_is_rejected_not_guessed(harness, run_write, tmp_path):
    for name in ("One", "Two"):
        harness.create("Contacts", {"FIRST_NAME": name, "EMAIL_ADDRESS": "twice@upsert.test"})
    report = run_write("contacts", "upsert", [{"FIRST_NAME": "X", "EMAIL_ADDRESS": "twice@upsert.test"}])
    assert (report.exit_code, report.counts["rejected"]) == (3, 1)
    assert mutations(harness) == []


def test_delete_by_primary_key_and_a_missing_record_counts_as_already_absent(harness, run_write):
    first, second = harness.ids("Contacts")[:2]
    harness.delete("Contacts", second)
    report = run_write("contacts", "delete", [{"CONTACT_ID": first}, {"CONTACT_ID": second}])
    assert report.exit_code == 0
    assert (report.counts["deleted"], report.counts["unchanged"]) == (1, 1)
    assert harness.get("Contacts", first) is None
    assert sorted(e.path for e in mutations(harness)) == sorted([f"/Contacts/{first}", f"/Contacts/{second}"])


def test_notes_are_created_under_their_parent_and_deleted_by_id(harness, run_write):
    parent = harness.ids("Contacts")[0]
    note = {"TITLE": "Called", "BODY": "about renewal", "LINKS": [{"LINK_OBJECT_NAME": "Contact",
                                                                     "LINK_OBJECT_ID": parent}]}
    report = run_write("notes", "create", [note, {"TITLE": "no parent"}])
    assert (report.counts["created"], report.counts["rejected"]) == (1, 1)
    (post,) = mutations(harness)
    assert post.path == f"/Contacts/{parent}/Notes"
    (created,) = find(harness, "Notes", "TITLE", "Called")
    assert any(link["LINK_OBJECT_ID"] == parent for link in created["LINKS"])
    report = run_write("notes", "delete", [{"NOTE_ID": created["NOTE_ID"]}])
    assert report.counts["deleted"] == 1 and harness.get("Notes", created["NOTE_ID"]) is None


def test_a_singular_collection_path_is_written_as_declared(harness, run_write):
    contact = harness.ids("Contacts")[0]
    ticket = {"SUBJECT": "Printer on fire", "TICKET_STATUS": "Open", "CONTACT_ID": contact}
    report = run_write("tickets", "create", [ticket])
    assert report.counts["created"] == 1, report.summary_table()
    (created,) = find(harness, "Ticket", "SUBJECT", "Printer on fire")
    report = run_write("tickets", "delete", [{"TICKET_ID": created["TICKET_ID"]}])
    assert report.counts["deleted"] == 1
    assert [e.path for e in mutations(harness)] == ["/Ticket", f"/Ticket/{created['TICKET_ID']}"]
