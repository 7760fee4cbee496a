"""Writes: POST 201 with server fields, 400 validation, partial PUT (id in body), DELETE 202, notes under
a parent, child records under theirs, the record limit (402), plans (403/404), malformed input."""

from __future__ import annotations

import socket

import pytest
import requests

from insightly_connector.harness import Harness


def test_post_answers_201_with_the_full_record_and_server_fields(fresh, fresh_api):
    me = fresh_api.get("/Users/Me").json()["USER_ID"]
    before = max(fresh.ids("Contacts"))
    start = fresh.now().strftime("%Y-%m-%d %H:%M:%S")
    body = {"FIRST_NAME": "Ada", "CONTACT_ID": 1, "DATE_CREATED_UTC": "2000-01-01 00:00:00"}
    response = fresh_api.post("/Contacts", body)
    end = fresh.now().strftime("%Y-%m-%d %H:%M:%S")
    assert response.status_code == 201
    record = response.json()
    assert record["CONTACT_ID"] > before  # the server's id and dates, not the client's
    assert start <= record["DATE_CREATED_UTC"] == record["DATE_UPDATED_UTC"] <= end
    assert record["CREATED_USER_ID"] == record["OWNER_USER_ID"] == me
    assert record["VISIBLE_TO"] == "EVERYONE" and record["EMAIL_OPTED_OUT"] is False
    assert record["LAST_NAME"] is None and record["TAGS"] == [] and record["LINKS"] == []
    assert fresh_api.get(f"/Contacts/{record['CONTACT_ID']}").json() == record


def test_post_keeps_an_owner_the_client_chooses_and_defaults_lead_source_and_status(fresh_api):
    users = [u["USER_ID"] for u in fresh_api.get("/Users").json()]
    owned = fresh_api.post("/Contacts", {"FIRST_NAME": "O", "OWNER_USER_ID": users[2]}).json()
    assert owned["OWNER_USER_ID"] == users[2]
    lead = fresh_api.post("/Leads", {"LAST_NAME": "Lead"}).json()
    sources = {s["LEAD_SOURCE_ID"]: s for s in fresh_api.get("/LeadSources").json()}
    assert sources[lead["LEAD_SOURCE_ID"]]["DEFAULT_VALUE"] is True
    task = fresh_api.post("/Tasks", {"TITLE": "Call back"}).json()
    assert task["COMPLETED"] is False and task["OWNER_USER_ID"]


@pytest.mark.parametrize(("body", "fragment"), [
    ({"LAST_NAME": "No first name"}, "FIRST_NAME is required"),
    ({"FIRST_NAME": ""}, "FIRST_NAME is required"),
    ({"FIRST_NAME": 12}, "FIRST_NAME: expected a string"),
    ({"FIRST_NAME": "x" * 256}, "longer than 255"),
    ({"FIRST_NAME": "A", "ORGANISATION_ID": "ten"}, "ORGANISATION_ID: expected an integer"),
    ({"FIRST_NAME": "A", "OWNER_USER_ID": 2**40}, "out of range"),
    ({"FIRST_NAME": "A", "EMAIL_OPTED_OUT": "yes"}, "expected true or false"),
    ({"FIRST_NAME": "A", "DATE_OF_BIRTH": "1980-05-01T00:00:00Z"}, "YYYY-MM-DD HH:MM:SS"),
    ({"FIRST_NAME": "A", "CUSTOMFIELDS": [{"FIELD_NAME": "Shoe_Size__c", "FIELD_VALUE": 9}]}, "unknown custom field"),
    ({"FIRST_NAME": "A", "CUSTOMFIELDS": [{"FIELD_NAME": "VIP__c", "FIELD_VALUE": "yes"}]}, "invalid value"),
    ({"FIRST_NAME": "A", "TAGS": "VIP"}, "expected an array"),
    ({"FIRST_NAME": "A", "LINKS": [{"LINK_OBJECT_NAME": "Organisations", "LINK_OBJECT_ID": 1}]}, "LINK_OBJECT_NAME"),
])
def test_post_answers_400_with_a_message_for_invalid_records(fresh_api, body, fragment):
    response = fresh_api.post("/Contacts", body)
    assert response.status_code == 400
    message = response.json()["Message"]
    assert message.startswith("Data validation error.") and fragment in message


def test_every_custom_field_type_round_trips(fresh_api):
    values = {"Hobby__c": "Chess", "Biography__c": "Line 1\nLine 2", "Preferred_Channel__c": "Phone",
              "Interests__c": "Music;Travel", "VIP__c": True, "Lifetime_Orders__c": 12,
              "Discount_Rate__c": 12.5, "Renewal_Date__c": "2026-01-01 00:00:00",
              "Last_Survey_At__c": "2025-06-30 13:45:00", "Portfolio__c": "https://example.com/me"}
    body = {"FIRST_NAME": "Custom", "CUSTOMFIELDS": [{"FIELD_NAME": k, "FIELD_VALUE": v} for k, v in values.items()]}
    record = fresh_api.post("/Contacts", body).json()
    stored = {c["FIELD_NAME"]: c["FIELD_VALUE"] for c in record["CUSTOMFIELDS"]}
    assert {k: stored[k] for k in values} == values
    assert stored["Customer_Number__c"].startswith("CN-")  # AUTONUMBER is the server's


def test_put_is_partial_with_the_id_in_the_body_and_null_clears(fresh, fresh_api):
    record = fresh_api.post("/Contacts", {"FIRST_NAME": "Pat", "LAST_NAME": "Keep", "TITLE": "Boss",
                                          "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "Golf"},
                                                           {"FIELD_NAME": "VIP__c", "FIELD_VALUE": True}]}).json()
    fresh.advance_clock(3)
    response = fresh_api.put("/Contacts", {"CONTACT_ID": record["CONTACT_ID"], "TITLE": None, "FIRST_NAME": "Patty",
                                           "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": None}]})
    assert response.status_code == 200
    updated = response.json()
    assert updated["FIRST_NAME"] == "Patty" and updated["LAST_NAME"] == "Keep" and updated["TITLE"] is None
    assert {c["FIELD_NAME"]: c["FIELD_VALUE"] for c in updated["CUSTOMFIELDS"]} == {
        "VIP__c": True, "Customer_Number__c": f"CN-{record['CONTACT_ID']:08d}"}
    assert updated["DATE_UPDATED_UTC"] > record["DATE_UPDATED_UTC"]
    assert updated["DATE_CREATED_UTC"] == record["DATE_CREATED_UTC"]
    assert fresh_api.get(f"/Contacts/{record['CONTACT_ID']}").json() == updated


def test_put_errors(fresh_api):
    record_id = fresh_api.get("/Contacts", top=1).json()[0]["CONTACT_ID"]
    assert fresh_api.put("/Contacts", {"FIRST_NAME": "No id"}).status_code == 400
    assert fresh_api.put("/Contacts", {"CONTACT_ID": 1, "FIRST_NAME": "Missing"}).status_code == 404
    assert fresh_api.put("/Contacts", {"CONTACT_ID": record_id, "FIRST_NAME": None}).status_code == 400
    assert fresh_api.put(f"/Contacts/{record_id}", {"FIRST_NAME": "x"}).status_code == 405  # id goes in the body


def test_delete_answers_202_then_the_record_is_gone(fresh, fresh_api):
    record_id = fresh.ids("Contacts")[0]
    count = fresh.count("Contacts")
    response = fresh_api.delete(f"/Contacts/{record_id}")
    assert response.status_code == 202 and response.content == b""
    assert fresh_api.get(f"/Contacts/{record_id}").status_code == 404
    assert fresh_api.delete(f"/Contacts/{record_id}").status_code == 404
    assert fresh.count("Contacts") == count - 1
    assert record_id not in [r["CONTACT_ID"] for r in fresh_api.all("/Contacts")]


def test_lead_sources_delete_by_query_id(fresh_api):
    created = fresh_api.post("/LeadSources", {"LEAD_SOURCE": "Podcast"}).json()
    assert fresh_api.delete("/LeadSources", id=created["LEAD_SOURCE_ID"]).status_code == 202
    assert created["LEAD_SOURCE_ID"] not in [s["LEAD_SOURCE_ID"] for s in fresh_api.get("/LeadSources").json()]


def test_notes_are_created_under_a_parent_and_listed_there(fresh, fresh_api):
    organisation = fresh.ids("Organisations")[0]
    assert fresh_api.post("/Notes", {"TITLE": "orphan"}).status_code == 405
    response = fresh_api.post(f"/Organisations/{organisation}/Notes", {"TITLE": "Call notes", "BODY": "<p>Hi</p>"})
    assert response.status_code == 201
    note = response.json()
    assert note["LINKS"][0]["LINK_OBJECT_NAME"] == "Organisation" and note["LINKS"][0]["LINK_OBJECT_ID"] == organisation
    listed = fresh_api.get(f"/Organisations/{organisation}/Notes").json()
    assert note["NOTE_ID"] in [n["NOTE_ID"] for n in listed]
    assert all(any(link["LINK_OBJECT_ID"] == organisation for link in n["LINKS"]) for n in listed)
    assert fresh_api.post(f"/Organisations/{organisation}/Notes", {"BODY": "no title"}).status_code == 400
    assert fresh_api.post("/Organisations/1/Notes", {"TITLE": "missing parent"}).status_code == 404
    changed = fresh_api.put("/Notes", {"NOTE_ID": note["NOTE_ID"], "TITLE": "Renamed"}).json()
    assert changed["TITLE"] == "Renamed" and changed["BODY"] == "<p>Hi</p>"


def test_child_records_are_created_and_listed_under_their_parent(fresh, fresh_api):
    pricebook = fresh.ids("Pricebook")[0]
    entry = fresh_api.post(f"/Pricebook/{pricebook}/PricebookEntry", {"PRICE": 9.5, "PRODUCT_ID": 1})
    assert entry.status_code == 201 and entry.json()["PRICEBOOK_ID"] == pricebook
    listed = fresh_api.get(f"/Pricebook/{pricebook}/PricebookEntry").json()
    assert entry.json()["PRICEBOOK_ENTRY_ID"] in [e["PRICEBOOK_ENTRY_ID"] for e in listed]
    assert all(e["PRICEBOOK_ID"] == pricebook for e in listed)
    contact = fresh.ids("Contacts")[0]
    assert fresh_api.get(f"/Contacts/{contact}/Tags").json() == fresh.get("Contacts", contact)["TAGS"]
    assert fresh_api.request("POST", f"/Contacts/{contact}/Follow").status_code == 501  # listed, not emulated


def test_record_limit_answers_402():
    with Harness(contacts=5, rate_limit_per_second=None) as harness:
        harness.set_record_limit(harness.record_total() + 2)
        session = requests.Session()
        session.auth = (harness.api_key, "")
        statuses = [session.post(harness.base_url + "/Contacts", json={"FIRST_NAME": f"n{n}"}, timeout=10).status_code
                    for n in range(3)]
        assert statuses == [201, 201, 402]
        assert session.post(harness.base_url + "/Contacts", json={"FIRST_NAME": "x"},
                            timeout=10).json() == {"Message": "Record limit reached."}
        assert session.post(harness.base_url + "/LeadSources", json={"LEAD_SOURCE": "Not a record"},
                            timeout=10).status_code == 201
        session.close()


def test_professional_plan_lacks_objects_as_the_notes_say():
    with Harness(contacts=5, plan="professional", rate_limit_per_second=None) as harness:
        session = requests.Session()
        session.auth = (harness.api_key, "")
        for name in ("Product", "Pricebook", "PricebookEntry", "Quotation", "QuotationLineItem", "OpportunityLineItem"):
            assert session.get(f"{harness.base_url}/{name}", timeout=10).status_code == 404, name
        for name in ("Ticket", "Prospect", "KnowledgeArticle", "KnowledgeArticleCategory", "KnowledgeArticleFolder"):
            response = session.get(f"{harness.base_url}/{name}/Search", timeout=10)
            assert response.status_code == 403, name
            assert response.json() == {"Message": f"API User does not have access to {name}."}
        assert session.get(harness.base_url + "/Contacts", timeout=10).status_code == 200
        assert session.get(harness.base_url + "/Instance", timeout=10).json()["PLAN_NAME"] == "Professional"
        session.close()


def test_malformed_json_answers_400_and_nothing_crashes_the_server(fresh, fresh_api):
    response = fresh_api.request("POST", "/Contacts", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["Message"]
    assert fresh_api.request("PUT", "/Contacts", data=b"[1,2").status_code == 400
    assert fresh_api.post("/Contacts", [1, 2]).status_code == 400
    assert fresh_api.post("/Contacts", None).status_code == 400
    with socket.create_connection(("127.0.0.1", fresh.port), timeout=5) as raw:
        raw.sendall(b"\x00\x01 garbage that is not HTTP\r\n\r\n")
        raw.recv(1024)
    for path in ("/Contacts/%00", "/Contacts/99999999999999999999999", "/Contacts/1/Notes/x", "/%2e%2e/etc"):
        assert fresh_api.get(path).status_code in (400, 404, 405)
    assert fresh_api.get("/Users/Me").status_code == 200


def test_a_malformed_content_length_answers_400_and_the_server_carries_on(fresh, fresh_api):
    with socket.create_connection(("127.0.0.1", fresh.port), timeout=5) as raw:
        raw.sendall(b"POST /v3.1/Contacts HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n{}")
        assert raw.recv(1024).startswith(b"HTTP/1.1 400")
    assert fresh_api.get("/Users/Me").status_code == 200


def test_milestones_are_written_under_their_project(fresh, fresh_api):
    project = fresh.ids("Projects")[0]
    created = fresh_api.post(f"/Projects/{project}/Milestones", {"TITLE": "Go live", "DUE_DATE": "2026-03-01 00:00:00"})
    assert created.status_code == 201
    milestone = created.json()
    assert milestone["PROJECT_ID"] == project and milestone["COMPLETED"] is False
    changed = fresh_api.put(f"/Projects/{project}/Milestones", {"MILESTONE_ID": milestone["MILESTONE_ID"],
                                                                "COMPLETED": True})
    assert changed.status_code == 200 and changed.json()["COMPLETED"] is True
    assert changed.json()["TITLE"] == "Go live"
    other = fresh.ids("Projects")[1]
    assert fresh_api.delete(f"/Projects/{other}/Milestones/{milestone['MILESTONE_ID']}").status_code == 404
    assert fresh_api.delete(f"/Projects/{project}/Milestones/{milestone['MILESTONE_ID']}").status_code == 202
    assert fresh_api.get(f"/Milestones/{milestone['MILESTONE_ID']}").status_code == 404
    no_such_link = f"/Contacts/{fresh.ids('Contacts')[0]}/Links/1"
    assert fresh_api.request("DELETE", no_such_link).status_code == 404
    assert fresh_api.request("DELETE", f"/Contacts/{fresh.ids('Contacts')[0]}/Image").status_code == 501


def test_category_delete_deactivates(fresh_api):
    category = fresh_api.get("/TaskCategories").json()[0]
    assert fresh_api.delete(f"/TaskCategories/{category['CATEGORY_ID']}").status_code == 202
    after = {c["CATEGORY_ID"]: c for c in fresh_api.get("/TaskCategories").json()}
    assert after[category["CATEGORY_ID"]]["ACTIVE"] is False
    assert fresh_api.delete(f"/TaskCategories/{category['CATEGORY_ID']}").status_code == 409
