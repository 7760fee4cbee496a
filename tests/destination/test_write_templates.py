"""Write addressing from connector.yaml's templates, and matching returned records against sent ones."""

import pytest

from insightly_connector.destination.created_record import holds
from insightly_connector.destination.validation import RecordRejected
from insightly_connector.spec.loader import load_spec


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def test_update_puts_the_id_in_the_body_and_delete_puts_it_in_the_path(spec):
    templates = spec.resources["contacts"].writes
    update = templates.request("update", {"CONTACT_ID": 7, "FIRST_NAME": "Ada"})
    assert (update.method, update.path, update.body) == ("PUT", "/Contacts", {"CONTACT_ID": 7, "FIRST_NAME": "Ada"})
    delete = templates.request("delete", {"CONTACT_ID": 7})
    assert (delete.method, delete.path, delete.body) == ("DELETE", "/Contacts/7", None)


def test_a_singular_collection_is_addressed_as_declared(spec):
    templates = spec.resources["tickets"].writes
    assert templates.request("delete", {"TICKET_ID": 3}).path == "/Ticket/3"
    assert templates.request("create", {"SUBJECT": "x"}).path == "/Ticket"


def test_a_note_is_created_under_the_parent_its_links_name(spec):
    templates = spec.resources["notes"].writes
    payload = {"TITLE": "Call", "LINKS": [{"LINK_OBJECT_NAME": "Contact", "LINK_OBJECT_ID": 12}]}
    create = templates.request("create", payload)
    assert (create.method, create.path, create.body) == ("POST", "/Contacts/12/Notes", {"TITLE": "Call"})
    with pytest.raises(RecordRejected, match="LINKS"):
        templates.request("create", {"TITLE": "Orphan"})


def test_lookup_and_query_parameter_templates(spec):
    lookup = spec.resources["contacts"].writes.lookup("EMAIL_ADDRESS", "a+b@x.io")
    assert lookup.path == "/Contacts/Search"
    assert lookup.params["field_name"] == "EMAIL_ADDRESS" and lookup.params["field_value"] == "a+b@x.io"
    delete = spec.resources["lead_sources"].writes.request("delete", {"LEAD_SOURCE_ID": 4})
    assert (delete.path, delete.params) == ("/LeadSources", {"id": "4"})


def test_path_values_cannot_add_path_segments(spec):
    delete = spec.resources["contacts"].writes.request("delete", {"CONTACT_ID": "7/../../Users"})
    assert delete.path == "/Contacts/7%2F..%2F..%2FUsers"


def test_holds_matches_what_was_sent_in_the_api_spelling():
    sent = {"FIRST_NAME": "Ada", "DATE_OF_BIRTH": "1990-01-02", "OWNER_USER_ID": 3, "BACKGROUND": None,
            "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "chess"}]}
    got = {"CONTACT_ID": 9, "FIRST_NAME": "Ada", "DATE_OF_BIRTH": "1990-01-02 00:00:00", "OWNER_USER_ID": 3.0,
           "BACKGROUND": None, "TAGS": [],
           "CUSTOMFIELDS": [{"FIELD_NAME": "Size__c", "FIELD_VALUE": 1},
                            {"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "chess", "CUSTOM_FIELD_ID": "Hobby__c"}]}
    assert holds(sent, got)
    assert not holds({**sent, "FIRST_NAME": "Ad"}, got)
    assert not holds({**sent, "CUSTOMFIELDS": [{"FIELD_NAME": "Hobby__c", "FIELD_VALUE": "golf"}]}, got)
    assert not holds({"EMAIL_OPTED_OUT": True}, {"EMAIL_OPTED_OUT": 1})
    assert not holds({"PHONE": "1"}, {})
