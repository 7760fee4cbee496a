"""Every collection the issue lists answers at its live path; wrong forms answer 405, unknown paths 404."""

from __future__ import annotations

import pytest

from insightly_connector.harness.dataset import TAG_RECORD_TYPES
from insightly_connector.harness.table import load_table

# The collections issue 2 names, in their live spelling.
LISTED = (
    "Contacts", "Organisations", "Opportunities", "Leads", "Projects", "Tasks", "Events", "Notes", "Emails",
    "Users", "Milestones", "Pipelines", "PipelineStages", "ActivitySets", "Tags", "CustomObjects", "Countries",
    "Currencies", "Relationships", "OpportunityStateReasons", "LeadSources", "LeadStatuses",
    "OpportunityCategories", "ProjectCategories", "TaskCategories", "FileCategories", "Teams", "TeamMembers",
    "Ticket", "Product", "Quotation", "Pricebook", "PricebookEntry", "OpportunityLineItem", "QuotationLineItem",
    "Prospect", "KnowledgeArticle", "KnowledgeArticleCategory", "KnowledgeArticleFolder", "Instance",
)

LIST_PATHS = [name for name in LISTED if name not in ("Tags", "Instance")]
WRONG_FORMS = ("Tickets", "Products", "Quotations", "Quote", "Pricebooks", "Prospects", "KnowledgeArticles",
               "Contact", "Organisation", "Opportunity", "Lead", "Note", "Email", "Task", "Event", "Project")


def test_every_listed_collection_is_in_the_swagger_derived_table():
    assert set(LISTED) <= set(load_table().collections)


@pytest.mark.parametrize("name", LIST_PATHS)
def test_every_listed_collection_answers_a_json_array(api, name):
    response = api.get(f"/{name}")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert isinstance(response.json(), list) and response.json(), name


@pytest.mark.parametrize("path", ["/Users/Me", "/Instance", "/Permissions"])
def test_single_objects_answer_an_object(api, path):
    response = api.get(path)
    assert response.status_code == 200 and isinstance(response.json(), dict)


@pytest.mark.parametrize("record_type", sorted(TAG_RECORD_TYPES))
def test_tags_answer_per_record_type(api, record_type):
    response = api.get("/Tags", record_type=record_type)
    assert response.status_code == 200
    assert all(set(tag) == {"TAG_NAME"} for tag in response.json())


def test_tags_need_a_valid_record_type(api):
    assert api.get("/Tags").status_code == 400
    assert api.get("/Tags", record_type="planets").json() == {"Message": "Invalid record_type specified."}


def test_custom_fields_per_object_and_custom_object_records(api):
    objects = api.get("/CustomObjects").json()
    assert objects and all(o["OBJECT_NAME"].endswith("__c") for o in objects)
    standard = ["Contacts", "Organisations", "Opportunities", "Leads", "Projects"]
    for name in standard + [o["OBJECT_NAME"] for o in objects]:
        fields = api.get(f"/CustomFields/{name}")
        assert fields.status_code == 200 and fields.json(), name
    for obj in objects:
        name = obj["OBJECT_NAME"]
        assert api.get(f"/CustomObjects/{name}").json()["OBJECT_NAME"] == name
        records = api.get(f"/{name}")
        assert records.status_code == 200 and records.json(), name
        first = records.json()[0]["RECORD_ID"]
        assert api.get(f"/{name}/{first}").json()["RECORD_ID"] == first
    assert api.get("/CustomFields/Tasks").json() == []
    assert api.get("/CustomFields/Planets").status_code == 400
    found = api.get("/CustomFields/Contacts/Search", fieldName="Hobby__c")
    assert found.status_code == 200 and found.json()["FIELD_TYPE"] == "TEXT"


@pytest.mark.parametrize("wrong", WRONG_FORMS)
def test_the_wrong_singular_or_plural_answers_405(api, wrong):
    response = api.get(f"/{wrong}")
    assert response.status_code == 405, wrong
    assert "Message" in response.json()


@pytest.mark.parametrize("path", ["/Planets", "/Contacts/1/Planets", "/", "/Contacts/1/Notes/2/3"])
def test_unknown_paths_answer_404(api, path):
    assert api.get(path).status_code == 404


def test_outside_the_version_prefix_is_404(api):
    base = api.harness.base_url.rsplit("/v3.1", 1)[0]
    response = api.session.get(base + "/v2.2/Contacts", timeout=10)
    assert response.status_code == 404


def test_methods_a_route_lacks_answer_405(api):
    assert api.post("/Emails", {}).status_code == 405  # emails are read-only
    assert api.post("/Notes", {"TITLE": "x"}).status_code == 405  # notes need a parent
    assert api.request("PATCH", "/Contacts").status_code == 405
    assert api.delete("/Pricebook/1").status_code == 405  # no DELETE in the Swagger file


def test_get_by_id_of_a_missing_record_is_404(api):
    response = api.get("/Contacts/1")
    assert response.status_code == 404
    assert response.json() == {"Message": "Record not found."}
    assert api.get("/Contacts/not-a-number").status_code == 400
