"""Writes to what lives under a record, each a mode declared in the YAML, sent over HTTP to the harness:
tags, links, pipeline and stage, state changes with a reason, activity-set assignment, dates, e-mail
domains, file attachments (multipart upload and delete) and comments; each with its own validation, and
a place in the results and the rejects."""

import pytest

from insightly_connector.spec.loader import load_spec

from .conftest import mutations, read_lines

SPEC = load_spec()


def only_write(harness):
    (entry,) = mutations(harness)
    return entry


def test_tags_are_added_and_removed(harness, run_write, tmp_path):
    contact = harness.ids("Contacts")[1]
    results = tmp_path / "results.jsonl"
    report = run_write("contacts", "add_tag", [{"CONTACT_ID": contact, "TAG_NAME": "vip"},
                                               {"CONTACT_ID": contact, "TAG_NAME": "vip"},  # the same: one write
                                               {"CONTACT_ID": contact, "TAG_NAME": "golf"}],
                       results_path=str(results))
    assert (report.counts["created"], report.counts["collapsed"]) == (2, 1), report.summary_table()
    assert {"vip", "golf"} <= {tag["TAG_NAME"] for tag in harness.get("Contacts", contact)["TAGS"]}
    sent = [(entry.method, entry.path, entry.body) for entry in mutations(harness)]
    assert ("POST", f"/Contacts/{contact}/Tags", {"TAG_NAME": "vip"}) in sent and len(sent) == 2
    assert sorted(line["outcome"] for line in read_lines(results)) == ["created"] * 3
    harness.clear_requests()
    report = run_write("contacts", "remove_tag", [{"CONTACT_ID": contact, "TAG_NAME": "vip"}])
    assert report.counts["deleted"] == 1
    entry = only_write(harness)
    assert (entry.method, entry.path, entry.body) == ("DELETE", f"/Contacts/{contact}/Tags", {"TAG_NAME": "vip"})
    assert "vip" not in {tag["TAG_NAME"] for tag in harness.get("Contacts", contact)["TAGS"]}


def test_links_are_added_with_their_new_id_and_removed(harness, run_write, tmp_path):
    contact, organisation = harness.ids("Contacts")[2], harness.ids("Organisations")[0]
    results = tmp_path / "results.jsonl"
    report = run_write("contacts", "add_link", [
        {"CONTACT_ID": contact, "LINK_OBJECT_NAME": "Organisation", "LINK_OBJECT_ID": organisation, "ROLE": "CFO"},
        {"CONTACT_ID": contact, "LINK_OBJECT_NAME": "Organisations", "LINK_OBJECT_ID": organisation},  # plural: 400
    ], results_path=str(results), rejects_path=str(tmp_path / "rejects.jsonl"))
    assert (report.counts["created"], report.counts["rejected"]) == (1, 1)
    by_line = {line["inputLine"]: line for line in read_lines(results)}
    link_id = by_line[1]["id"]
    (stored,) = [link for link in harness.get("Contacts", contact)["LINKS"] if link["LINK_ID"] == link_id]
    assert (stored["LINK_OBJECT_ID"], stored["ROLE"]) == (organisation, "CFO")
    (reject,) = read_lines(tmp_path / "rejects.jsonl")
    assert reject["error"]["status"] == 400 and reject["nexlaMetaData"]["mode"] == "add_link"
    harness.clear_requests()
    report = run_write("contacts", "remove_link", [{"CONTACT_ID": contact, "LINK_ID": link_id}])
    assert report.counts["deleted"] == 1
    assert only_write(harness).path == f"/Contacts/{contact}/Links/{link_id}"
    assert link_id not in {link["LINK_ID"] for link in harness.get("Contacts", contact)["LINKS"]}


def test_pipeline_stage_and_state_change_with_a_reason(harness, run_write):
    opportunity = harness.ids("Opportunities")[0]
    stages = [harness.get("PipelineStages", key) for key in harness.ids("PipelineStages")]
    pipeline = next(p for p in (harness.get("Pipelines", key) for key in harness.ids("Pipelines"))
                    if p.get("FOR_OPPORTUNITIES"))
    mine = sorted((s for s in stages if s["PIPELINE_ID"] == pipeline["PIPELINE_ID"]), key=lambda s: s["STAGE_ORDER"])
    assert run_write("opportunities", "set_pipeline", [{"OPPORTUNITY_ID": opportunity,
                                                        "PIPELINE_ID": pipeline["PIPELINE_ID"]}]).counts["updated"] == 1
    assert harness.get("Opportunities", opportunity)["STAGE_ID"] == mine[0]["STAGE_ID"]
    last = mine[-1]["STAGE_ID"]
    report = run_write("opportunities", "set_stage", [{"OPPORTUNITY_ID": opportunity, "STAGE_ID": last}])
    assert report.counts["updated"] == 1 and harness.get("Opportunities", opportunity)["STAGE_ID"] == last
    reason = next(r for r in (harness.get("OpportunityStateReasons", k) for k in harness.ids("OpportunityStateReasons"))
                  if r["FOR_OPPORTUNITY_STATE"] == "Won")
    harness.clear_requests()
    report = run_write("opportunities", "change_state", [{"OPPORTUNITY_ID": opportunity, "FOR_OPPORTUNITY_STATE": "Won",
                                                          "STATE_REASON_ID": reason["STATE_REASON_ID"]}])
    assert report.counts["updated"] == 1 and harness.get("Opportunities", opportunity)["OPPORTUNITY_STATE"] == "WON"
    entry = only_write(harness)
    assert (entry.method, entry.path) == ("PUT", f"/Opportunities/{opportunity}/StateChange")
    assert entry.body == {"FOR_OPPORTUNITY_STATE": "Won", "STATE_REASON_ID": reason["STATE_REASON_ID"]}
    assert run_write("opportunities", "clear_pipeline", [{"OPPORTUNITY_ID": opportunity}]).counts["deleted"] == 1
    assert harness.get("Opportunities", opportunity)["PIPELINE_ID"] is None


def test_activity_set_dates_and_email_domains(harness, run_write):
    organisation = harness.ids("Organisations")[1]
    activity_set = harness.ids("ActivitySets")[0]
    assert run_write("organisations", "assign_activity_set", [
        {"ORGANISATION_ID": organisation, "ACTIVITYSET_ID": activity_set,
         "START_DATE": "2026-12-01 00:00:00"}]).counts["created"] == 1
    assert mutations(harness)[-1].path == f"/Organisations/{organisation}/ActivitySetAssignment"
    report = run_write("organisations", "set_date", [{"ORGANISATION_ID": organisation, "OCCASION_NAME": "Founded",
                                                      "OCCASION_DATE": "2001-05-04 00:00:00", "REPEAT_YEARLY": True}])
    assert report.counts["updated"] == 1
    assert "Founded" in {date["OCCASION_NAME"] for date in harness.get("Organisations", organisation)["DATES"]}
    report = run_write("organisations", "set_email_domain", [{"ORGANISATION_ID": organisation,
                                                              "EMAIL_DOMAIN": "acme.example"}])
    assert report.counts["updated"] == 1
    assert "acme.example" in {d["EMAIL_DOMAIN"] for d in harness.get("Organisations", organisation)["EMAILDOMAINS"]}


def test_file_attachment_upload_and_delete(harness, run_write, tmp_path):
    contact = harness.ids("Contacts")[3]
    document = tmp_path / "contract.pdf"
    document.write_bytes(b"%PDF-1.4 a small contract")
    results = tmp_path / "results.jsonl"
    report = run_write("contacts", "attach_file", [
        {"CONTACT_ID": contact, "FILE_PATH": str(document), "FILE_CATEGORY_ID": 3002},
        {"CONTACT_ID": contact, "FILE_PATH": str(tmp_path / "missing.pdf")},        # rejected before sending
    ], results_path=str(results), rejects_path=str(tmp_path / "rejects.jsonl"))
    assert (report.counts["created"], report.counts["rejected"]) == (1, 1), report.summary_table()
    entry = only_write(harness)
    assert (entry.method, entry.path) == ("POST", f"/Contacts/{contact}/FileAttachments")
    file_id = next(line["id"] for line in read_lines(results) if line["outcome"] == "created")
    listed = harness.api.children.records("FileAttachments", "Contacts", contact)
    (stored,) = [item for item in listed if item["FILE_ID"] == file_id]
    assert (stored["FILE_NAME"], stored["CONTENT_TYPE"], stored["FILE_SIZE"], stored["FILE_CATEGORY_ID"]) == \
        ("contract.pdf", "application/pdf", len(document.read_bytes()), 3002)
    harness.clear_requests()
    deleted = run_write("contacts", "delete_file", [{"CONTACT_ID": contact, "FILE_ID": file_id}],
                        rejects_path=str(tmp_path / "delete.rejects.jsonl"))
    assert deleted.counts["deleted"] == 1, (tmp_path / "delete.rejects.jsonl").read_text()
    assert only_write(harness).path == f"/FileAttachments/{file_id}"
    assert file_id not in {item["FILE_ID"] for item in harness.api.children.records("FileAttachments", "Contacts",
                                                                                      contact)}


def test_comments_on_tasks_and_tickets_take_their_own_fields(harness, run_write, tmp_path):
    task = harness.ids("Tasks")[0]
    report = run_write("tasks", "add_comment", [{"TASK_ID": task, "BODY": "Called back"}])
    assert report.counts["created"] == 1
    assert any(c.get("BODY") == "Called back" for c in harness.api.children.records("Comments", "Tasks", task))
    ticket = harness.ids("Ticket")[0]
    report = run_write("tickets", "add_comment", [
        {"TICKET_ID": ticket, "BODY_HTML": "<p>Fixed</p>", "PUBLIC_COMMENT": True, "CHANNEL": "Email"},
        {"TICKET_ID": ticket, "BODY": "the task field is not a ticket comment's"}],
        rejects_path=str(tmp_path / "rejects.jsonl"))
    assert (report.counts["created"], report.counts["rejected"]) == (1, 1)
    (reject,) = read_lines(tmp_path / "rejects.jsonl")
    assert reject["error"]["category"] == "unknown_field" and reject["error"]["attempts"] == 0


@pytest.mark.parametrize(("record", "message"), [
    ({"TAG_NAME": "no parent"}, "add_tag needs CONTACT_ID"),
    ({"CONTACT_ID": 1}, "add_tag needs TAG_NAME"),
    ({"CONTACT_ID": 1, "TAG_NAME": 5}, "TAG_NAME must be string"),
])
def test_each_sub_write_is_validated_before_sending(harness, run_write, record, message, tmp_path):
    report = run_write("contacts", "add_tag", [record], rejects_path=str(tmp_path / "rejects.jsonl"))
    assert report.counts["rejected"] == 1 and not mutations(harness)
    assert message in read_lines(tmp_path / "rejects.jsonl")[0]["error"]["message"]


def test_every_declared_sub_write_has_a_route_the_harness_emulates():
    """Each YAML sub-write names a route the Swagger has for that collection (no 404 by construction)."""
    from insightly_connector.harness.table import load_table
    table = load_table().collections
    for resource in SPEC.resources.values():
        collection = table.get(resource.path.strip("/"))
        for mode, template in resource.sub_writes.items():
            parts = template["path"].strip("/").split("/")
            if parts[0] == "FileAttachments":
                continue
            route = "/".join("{}" if part.startswith("{") else part for part in parts[2:])
            assert collection is not None and template["method"] in collection.subresources.get(route, ()), \
                (resource.name, mode, template["method"], route)


def test_a_post_under_a_record_of_unknown_outcome_is_never_sent_again(harness, run_write, tmp_path):
    """The link landed but the answer was lost: a second POST would make a second link, so the record is
    rejected as outcome_unknown for the user to check, in this run and when a journal resumes it."""
    contact, organisation = harness.ids("Contacts")[4], harness.ids("Organisations")[1]
    record = {"CONTACT_ID": contact, "LINK_OBJECT_NAME": "Organisation", "LINK_OBJECT_ID": organisation}
    links_before = len(harness.get("Contacts", contact)["LINKS"])
    harness.inject(kind="reset_after_processing", method="POST", path_prefix=f"/Contacts/{contact}/Links")
    journal, rejects = tmp_path / "journal.jsonl", tmp_path / "rejects.jsonl"
    report = run_write("contacts", "add_link", [record], journal_path=str(journal), rejects_path=str(rejects))
    assert report.counts["rejected"] == 1, report.summary_table()
    assert read_lines(rejects)[0]["error"]["category"] == "outcome_unknown"
    assert len(mutations(harness)) == 1 and len(harness.get("Contacts", contact)["LINKS"]) == links_before + 1
    harness.clear_requests()
    again = run_write("contacts", "add_link", [record], journal_path=str(journal), rejects_path=str(rejects),
                      retry_rejects=True)
    assert again.counts["rejected"] == 1 and not mutations(harness), (again.summary_table(), journal.read_text())
