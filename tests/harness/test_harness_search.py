"""/Search (exact field match, updated_after_utc strict or inclusive) and /SearchByTag."""

from __future__ import annotations


def _ids(response, key="CONTACT_ID"):
    assert response.status_code == 200, response.text
    return [r[key] for r in response.json()]


def test_field_search_is_an_exact_whole_value_match(api):
    target = api.get("/Contacts", skip=7, top=1).json()[0]
    email = target["EMAIL_ADDRESS"]
    assert _ids(api.get("/Contacts/Search", field_name="EMAIL_ADDRESS", field_value=email)) == [target["CONTACT_ID"]]
    assert _ids(api.get("/Contacts/Search", field_name="EMAIL_ADDRESS", field_value=email[:-3])) == []
    by_name = api.get("/Contacts/Search", field_name="FIRST_NAME", field_value=target["FIRST_NAME"]).json()
    assert by_name and all(r["FIRST_NAME"] == target["FIRST_NAME"] for r in by_name)
    assert [r["CONTACT_ID"] for r in by_name] == sorted(r["CONTACT_ID"] for r in by_name)
    every = api.all("/Contacts")
    assert len(by_name) == sum(r["FIRST_NAME"] == target["FIRST_NAME"] for r in every)


def test_field_search_ignores_case_unless_switched(fresh, fresh_api):
    target = fresh_api.get("/Contacts", top=1).json()[0]
    upper = target["EMAIL_ADDRESS"].upper()
    assert _ids(fresh_api.get("/Contacts/Search", field_name="EMAIL_ADDRESS", field_value=upper)) == \
        [target["CONTACT_ID"]]
    fresh.set_option("search_case_sensitive", True)
    assert _ids(fresh_api.get("/Contacts/Search", field_name="EMAIL_ADDRESS", field_value=upper)) == []


def test_field_search_on_numbers_booleans_and_custom_fields(api):
    organisation = next(r["ORGANISATION_ID"] for r in api.get("/Contacts").json() if r["ORGANISATION_ID"])
    linked = api.get("/Contacts/Search", field_name="ORGANISATION_ID", field_value=str(organisation)).json()
    assert linked and all(r["ORGANISATION_ID"] == organisation for r in linked)
    opted_out = api.get("/Contacts/Search", field_name="EMAIL_OPTED_OUT", field_value="true").json()
    assert all(r["EMAIL_OPTED_OUT"] is True for r in opted_out)
    vip = api.get("/Contacts/Search", field_name="Preferred_Channel__c", field_value="SMS").json()
    assert vip
    for record in vip:
        values = {c["FIELD_NAME"]: c["FIELD_VALUE"] for c in record["CUSTOMFIELDS"]}
        assert values["Preferred_Channel__c"] == "SMS"


def test_field_search_needs_both_parameters_and_a_known_field(api):
    assert api.get("/Contacts/Search", field_name="FIRST_NAME").status_code == 400
    assert api.get("/Contacts/Search", field_value="Emma").status_code == 400
    assert api.get("/Contacts/Search", field_name="SHOE_SIZE", field_value="9").status_code == 400


def test_updated_after_is_strictly_after_by_default_and_inclusive_when_switched(fresh, fresh_api):
    first, second = fresh.ids("Contacts")[:2]
    fresh.update("Contacts", first, {"DATE_UPDATED_UTC": "2030-01-01 00:00:00"})
    fresh.update("Contacts", second, {"DATE_UPDATED_UTC": "2030-01-01 00:00:01"})
    assert _ids(fresh_api.get("/Contacts/Search", updated_after_utc="2030-01-01T00:00:00Z")) == [second]
    assert _ids(fresh_api.get("/Contacts/Search", updated_after_utc="2030-01-01 00:00:00")) == [second]
    fresh.set_option("search_inclusive", True)
    assert _ids(fresh_api.get("/Contacts/Search", updated_after_utc="2030-01-01T00:00:00Z")) == [first, second]
    assert _ids(fresh_api.get("/Contacts/Search", updated_after_utc="2030-01-01T00:00:02Z")) == []


def test_updated_after_over_generated_data_matches_a_full_scan(api):
    every = api.all("/Contacts")
    cut = sorted(r["DATE_UPDATED_UTC"] for r in every)[len(every) // 2]
    iso = cut.replace(" ", "T") + "Z"
    expected = [r["CONTACT_ID"] for r in every if r["DATE_UPDATED_UTC"] > cut]
    assert [r["CONTACT_ID"] for r in api.all("/Contacts/Search", page=7, updated_after_utc=iso)] == expected
    response = api.get("/Contacts/Search", updated_after_utc=iso, top=1, count_total="true")
    assert int(response.headers["X-Total-Count"]) == len(expected)


def test_updated_after_must_be_a_date(api):
    for bad in ("yesterday", "2024-13-01T00:00:00Z", ""):
        assert api.get("/Contacts/Search", updated_after_utc=bad).status_code == 400


def test_emails_search_by_their_creation_date(api):
    emails = api.all("/Emails")
    cut = sorted(e["DATE_CREATED_UTC"] for e in emails)[len(emails) // 2]
    found = api.get("/Emails/Search", updated_after_utc=cut.replace(" ", "T") + "Z", top=500).json()
    assert [e["EMAIL_ID"] for e in found] == [e["EMAIL_ID"] for e in emails if e["DATE_CREATED_UTC"] > cut]


def test_field_and_date_filters_combine_with_and_or_are_rejected_when_switched(fresh, fresh_api):
    target = fresh.ids("Contacts")[3]
    fresh.update("Contacts", target, {"DATE_UPDATED_UTC": "2031-05-05 05:05:05"})
    first_name = fresh.get("Contacts", target)["FIRST_NAME"]
    both = {"field_name": "FIRST_NAME", "field_value": first_name, "updated_after_utc": "2031-01-01T00:00:00Z"}
    assert _ids(fresh_api.get("/Contacts/Search", **both)) == [target]
    fresh.set_option("search_combined_filters", "reject")
    assert fresh_api.get("/Contacts/Search", **both).status_code == 400


def test_search_by_tag(api):
    every = api.all("/Contacts")
    tagged = [r for r in every if r["TAGS"]]
    tag = tagged[0]["TAGS"][0]["TAG_NAME"]
    expected = [r["CONTACT_ID"] for r in every if tag in {t["TAG_NAME"] for t in r["TAGS"]}]
    assert _ids(api.get("/Contacts/SearchByTag", tagName=tag, top=500)) == expected
    assert _ids(api.get("/Contacts/SearchByTag", tagName=tag.lower(), top=500)) == expected
    assert api.get("/Contacts/SearchByTag").status_code == 400
    assert api.get("/Contacts/SearchByTag", tagName="no such tag").json() == []
    assert api.get("/Tasks/SearchByTag", tagName=tag).status_code == 404  # tasks have no SearchByTag


def test_search_sees_records_created_and_changed_over_http(fresh, fresh_api):
    created = fresh_api.post("/Contacts", {"FIRST_NAME": "Zebedee", "LAST_NAME": "Quill"}).json()
    assert _ids(fresh_api.get("/Contacts/Search", field_name="LAST_NAME", field_value="Quill")) == \
        [created["CONTACT_ID"]]
    after = created["DATE_CREATED_UTC"].replace(" ", "T") + "Z"
    assert created["CONTACT_ID"] not in _ids(fresh_api.get("/Contacts/Search", updated_after_utc=after, top=500))
    fresh.advance_clock(5)
    fresh_api.put("/Contacts", {"CONTACT_ID": created["CONTACT_ID"], "LAST_NAME": "Quaint"})
    assert _ids(fresh_api.get("/Contacts/Search", field_name="LAST_NAME", field_value="Quill")) == []
    assert _ids(fresh_api.get("/Contacts/Search", updated_after_utc=after, top=500)) == [created["CONTACT_ID"]]


def test_users_search(api):
    users = api.get("/Users").json()
    found = api.get("/Users/Search", field_name="LAST_NAME", field_value=users[1]["LAST_NAME"]).json()
    assert [u["USER_ID"] for u in found] == [users[1]["USER_ID"]]
