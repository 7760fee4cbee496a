"""connector.yaml loads, validates, and every broken variant is refused with one line naming the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.spec.loader import load_spec

REQUIRED_RESOURCES = [
    "contacts", "organisations", "opportunities", "leads", "projects", "tasks", "events", "notes", "emails",
    "users", "milestones", "pipelines", "pipeline_stages", "activity_sets",
    "tags_contacts", "tags_leads", "tags_opportunities", "tags_organisations", "tags_projects", "tags_emails",
    "custom_fields_contacts", "custom_objects", "custom_object_records", "countries", "currencies",
    "relationships", "opportunity_state_reasons", "lead_sources", "lead_statuses", "opportunity_categories",
    "project_categories", "task_categories", "file_categories", "teams", "team_members", "tickets",
    "products", "quotations", "pricebooks", "pricebook_entries", "opportunity_line_items",
    "quotation_line_items", "prospects", "knowledge_articles", "knowledge_article_categories",
    "knowledge_article_folders", "instance",
]


def test_the_repository_yaml_loads_with_every_required_resource(spec):
    assert spec.connector["code"] == "insightly_api"
    assert spec.connector["connection_type"] == "rest"
    assert spec.root == Path(spec.path).resolve().parent
    missing = [name for name in REQUIRED_RESOURCES if name not in spec.resources]
    assert missing == []
    assert spec.credential_form["required"] == ["name", "api_key"]


def test_endpoints_use_nexla_names(spec):
    for resource in spec.resources.values():
        assert resource.endpoint == f"insightly_api.get_{resource.name}"
        for mode, template in resource.write.items():
            assert template["endpoint"] == f"insightly_api.{mode}_{resource.name}"


def test_defaults_are_merged_and_overrides_win(spec):
    contacts = spec.resource("contacts")
    assert contacts.read["pagination"]["page_size"] == 500
    assert contacts.read["pagination"]["order"] == "primary_key_ascending"
    assert contacts.incremental["path"] == "/Contacts/Search"
    assert contacts.write["delete"]["path"] == "/Contacts/{record.CONTACT_ID}"
    assert contacts.write["update"] == {"method": "PUT", "path": "/Contacts", "id_in_body": True,
                                        "endpoint": "insightly_api.update_contacts"}
    tags = spec.resource("tags_leads")
    assert tags.read["params"] == {"record_type": "leads"}
    assert tags.read["pagination"]["order"] == "none"
    assert tags.read["pagination"]["limit_param"] == "top"
    countries = spec.resource("countries")
    assert countries.read["pagination"] == {"type": "none"}, "a different type replaces the default whole"
    instance = spec.resource("instance")
    assert instance.single_object and instance.read["pagination"]["type"] == "none"


def test_merged_blocks_share_no_container_between_resources(spec):
    """Defaults are merged without copying them first: each resource must still own every dict and list of
    its merged blocks, so that a change to one resource's block can never show in another's."""

    def containers(value, found):
        if isinstance(value, (dict, list)):
            found.add(id(value))
            for item in value.values() if isinstance(value, dict) else value:
                containers(item, found)
        return found

    owners: dict[int, str] = {}
    for resource in spec.resources.values():
        blocks = [resource.read, resource.incremental, resource.write, resource.sub_writes]
        for container in containers(blocks, set()) - {id(blocks)}:
            assert owners.setdefault(container, resource.name) == resource.name
    assert len(owners) > 3 * len(spec.resources)


def test_parent_is_attached_only_to_templates_that_address_it(spec):
    milestones = spec.resource("milestones")
    assert milestones.write["create"]["path"] == "/Projects/{parent.id}/Milestones"
    assert milestones.write["delete"]["path"] == "/Projects/{parent.id}/Milestones/{record.MILESTONE_ID}"
    assert all(milestones.write[mode]["parent"] == {"id_field": "PROJECT_ID"}
               for mode in ("create", "update", "delete"))
    notes = spec.resource("notes")
    assert notes.write["create"]["parent"]["collections"]["Contact"] == "Contacts"
    assert "parent" not in notes.write["update"] and notes.write["update"]["path"] == "/Notes"


def test_unknown_resource_suggests_close_names(spec):
    with pytest.raises(ConfigError, match=r"unknown resource 'contact'; did you mean contacts"):
        spec.resource("contact")


def test_dynamic_template_expands_per_custom_object(spec):
    template = spec.resource("custom_object_records")
    assert template.dynamic["list_path"] == "/CustomObjects" and template.dynamic_source is None
    assert template.path == "/${object_name}", "a template keeps its per-object placeholders"
    fruit, veg = spec.expand_dynamic("custom_object_records", [
        {"OBJECT_NAME": "Fruit__c", "PLURAL_LABEL": "Fruits"}, {"OBJECT_NAME": "Veg__c"}])
    assert (fruit.name, fruit.display_name, fruit.path) == ("fruit__c", "Fruits", "/Fruit__c")
    assert fruit.dynamic_source == "custom_object_records" and fruit.dynamic["object_name"] == "Fruit__c"
    assert fruit.incremental["path"] == "/Fruit__c/Search"
    assert fruit.custom_fields_path == "/CustomFields/Fruit__c"
    assert fruit.write["delete"]["path"] == "/Fruit__c/{record.RECORD_ID}"
    assert fruit.endpoint == "insightly_api.get_fruit__c"
    assert veg.display_name == "Veg__c", "the object name stands in for a missing label"
    [fields] = spec.expand_dynamic("custom_object_fields", [{"OBJECT_NAME": "Fruit__c"}])
    assert (fields.name, fields.path) == ("custom_fields_fruit__c", "/CustomFields/Fruit__c")


def test_dynamic_expansion_quotes_names_and_refuses_collisions(spec):
    [odd] = spec.expand_dynamic("custom_object_records", [{"OBJECT_NAME": "A/B c__c"}])
    assert odd.path == "/A%2FB%20c__c" and odd.name == "a_b_c__c"
    with pytest.raises(ConfigError, match="already taken"):
        spec.expand_dynamic("custom_object_records", [{"OBJECT_NAME": "X__c"}, {"OBJECT_NAME": "x__C"}])
    with pytest.raises(ConfigError, match="has no OBJECT_NAME"):
        spec.expand_dynamic("custom_object_records", [{"PLURAL_LABEL": "Nameless"}])
    with pytest.raises(ConfigError, match="unknown dynamic template 'custom_objects_records'"):
        spec.expand_dynamic("custom_objects_records", [])


def _set(path: str, value):
    """A change that sets document[a][b]... = value (keys split on '/')."""

    def change(document: dict) -> None:
        *parents, last = path.split("/")
        node = document
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _delete(path: str):
    def change(document: dict) -> None:
        *parents, last = path.split("/")
        node = document
        for key in parents:
            node = node[key]
        del node[last]

    return change


BROKEN = [
    (_set("resources/contacts/read", {"pagination": {"page_size": 900}}),
     "connector.yaml: resources.contacts.read.pagination.page_size: 900 is greater than the maximum of 500"),
    (_set("resources/contacts/read", {"pagination": {"page_size": 400, "max_page_size": 300}}),
     "connector.yaml: resources.contacts.read.pagination.page_size: 400 is greater than the maximum of 300"),
    (_set("resources/contacts/pathh", "/Contacts"),
     "connector.yaml: resources.contacts: Additional properties are not allowed ('pathh' was unexpected)"),
    (_set("resources/contacts/path", "Contacts"), "connector.yaml: resources.contacts.path: 'Contacts' does not match"),
    (_delete("resources/contacts/primary_key"),
     "connector.yaml: resources.contacts: 'primary_key' is a required property"),
    (_set("resources/contacts/write", ["create", "patch"]), "connector.yaml: resources.contacts.write"),
    (_set("defaults/write/create/method", "PATCH"),
     "connector.yaml: defaults.write.create.method: 'PATCH' is not one of"),
    (_set("resources/contacts/read", {"pagination": {"type": "cursor"}}),
     "connector.yaml: resources.contacts.read.pagination.type: 'cursor' is not one of"),
    (_set("http/errors/4x4", {"category": "odd", "meaning": "x", "read": "fail", "write": "reject"}),
     "connector.yaml: http.errors: '4x4' does not match"),
    (_set("http/errors/429", {"category": "rate_limited", "meaning": "x", "retry": True, "read": "fail"}),
     "connector.yaml: http.errors.429.read: is not allowed here"),
    (_delete("http/errors/400/write"), "connector.yaml: http.errors.400: 'write' is a required property"),
    (_set("connector/connection_type", "soap"), "connector.yaml: connector.connection_type: 'soap' is not one of"),
    (_set("Resources", {}), "connector.yaml: Additional properties are not allowed ('Resources' was unexpected)"),
    (_set("resources/Contacts", {"display_name": "C", "path": "/C", "primary_key": "C"}),
     "connector.yaml: resources: 'Contacts' does not match"),
    (_set("resources/contacts/description", "About ${nope}"),
     "connector.yaml: resources.contacts.description: Missing config nope"),
    (_set("resources/teams/write", {"create": {"path": "/Projects/{parent.id}/Teams"}}),
     "connector.yaml: resources.teams.write.create: uses {parent.*} but no parent is declared"),
    (_set("resources/teams/write", ["create", "upsert"]),
     "connector.yaml: resources.teams.write: upsert needs both create and update"),
    (_set("resources/contacts/upsert_key", "NOPE"),
     "connector.yaml: resources.contacts.upsert_key: 'NOPE' is not a field of contacts.json"),
    (_set("resources/contacts/incremental", {"cursor_field": "UPDATED"}),
     "connector.yaml: resources.contacts.incremental.cursor_field: 'UPDATED' is not a field of contacts.json"),
    (_set("resources/milestones/parent", {"id_field": "PROJECTID"}),
     "connector.yaml: resources.milestones.write.create.parent: 'PROJECTID' is not a field of milestones.json"),
    (_set("resources/users/upsert_key", "EMAIL_ADDRESS"),
     "connector.yaml: resources.users: 'write' is a dependency of 'upsert_key'"),
    (_set("resources/contacts/schema", "schemas/records/nope.json"),
     "connector.yaml: resources.contacts.schema: schemas/records/nope.json: nope.json cannot be read"),
    (_set("resources/contacts/schema", "../secrets.json"), "connector.yaml: resources.contacts.schema:"),
    (_set("resources/instance/read", {"pagination": {"type": "offset", "offset_param": "skip", "limit_param": "top",
                                                     "page_size": 1, "max_page_size": 1, "order": "none"}}),
     "connector.yaml: resources.instance.read.pagination.type: a single_object resource cannot be paged"),
    (_set("resources/custom_object_records/dynamic/name", "records"),
     "connector.yaml: resources.custom_object_records.dynamic.name: 'records' does not match"),
    (_set("resources/custom_object_records/path", "/${object_nam}"),
     "connector.yaml: resources.custom_object_records.path: Missing config object_nam"),
]


@pytest.mark.parametrize(("change", "expected"), BROKEN, ids=[expected.split(": ")[1] + f"#{index}"
                                                             for index, (_, expected) in enumerate(BROKEN)])
def test_broken_yaml_is_refused_with_the_yaml_path(load_modified, change, expected):
    with pytest.raises(ConfigError) as caught:
        load_modified(change)
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message and "Traceback" not in message
    assert caught.value.exit_code == 2


def test_the_unmodified_copy_loads(load_modified):
    assert "contacts" in load_modified(lambda document: None).resources


@pytest.mark.parametrize(("text", "expected"), [
    ("connector: {code: [unclosed\n", "connector.yaml: line 2, column 1: invalid YAML"),
    ("- just\n- a list\n", "connector.yaml: must be a mapping"),
    ("connector: {}\nconnector: {}\n", "connector.yaml: line 2, column 1: invalid YAML (duplicate key 'connector')"),
])
def test_unparsable_yaml_is_refused_with_its_position(spec_dir, text, expected):
    path = spec_dir / "connector.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(expected), str(caught.value)


def test_a_duplicate_resource_is_refused_while_merge_keys_still_work(spec_dir):
    text = (Path(load_spec().path).read_text(encoding="utf-8")
            .replace("  users:\n", "  contacts: {display_name: X, path: /X, primary_key: X}\n  users:\n", 1))
    path = spec_dir / "connector.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+, column 3: invalid YAML \(duplicate key 'contacts'\)"):
        load_spec(path)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"connector\.yaml: cannot be read"):
        load_spec(tmp_path / "connector.yaml")
