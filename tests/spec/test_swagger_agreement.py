"""connector.yaml against the vendored Swagger: every path, method and parameter the runner will send
exists there, and the capabilities (incremental, write modes) are exactly those the Swagger allows."""

from __future__ import annotations

import re

import pytest

from insightly_connector.spec.templating import runtime_macros

# api-notes §2.1: these collections are singular in the live API (the plural answers 405).
SINGULAR_PATHS = {
    "tickets": "/Ticket", "products": "/Product", "quotations": "/Quotation", "pricebooks": "/Pricebook",
    "pricebook_entries": "/PricebookEntry", "opportunity_line_items": "/OpportunityLineItem",
    "quotation_line_items": "/QuotationLineItem", "prospects": "/Prospect", "knowledge_articles": "/KnowledgeArticle",
    "knowledge_article_categories": "/KnowledgeArticleCategory",
    "knowledge_article_folders": "/KnowledgeArticleFolder", "instance": "/Instance",
}
PLURAL_PATHS = {
    "contacts": "/Contacts", "organisations": "/Organisations", "opportunities": "/Opportunities",
    "leads": "/Leads", "projects": "/Projects", "tasks": "/Tasks", "events": "/Events", "notes": "/Notes",
    "emails": "/Emails", "users": "/Users", "milestones": "/Milestones", "pipelines": "/Pipelines",
    "pipeline_stages": "/PipelineStages", "activity_sets": "/ActivitySets", "countries": "/Countries",
    "currencies": "/Currencies", "relationships": "/Relationships",
    "opportunity_state_reasons": "/OpportunityStateReasons", "lead_sources": "/LeadSources",
    "lead_statuses": "/LeadStatuses", "teams": "/Teams", "team_members": "/TeamMembers",
    "custom_objects": "/CustomObjects",
}


@pytest.fixture(scope="module")
def locate(swagger, derive_tool):
    """Concrete (or macro-holding) path -> the Swagger path serving it, literal paths first."""

    def find(path: str) -> str | None:
        for placeholder, swagger_name in derive_tool.DYNAMIC_PLACEHOLDERS.items():
            path = path.replace(placeholder, swagger_name)
        if path in swagger["paths"]:
            return path
        concrete = re.sub(r"(?<!\$)\{[A-Za-z_.]+\}", "1", path)
        return derive_tool.match_swagger_path(concrete, swagger["paths"],
                                              custom_object=path.startswith("/{objectName}"))

    return find


def _operation(swagger, locate, method: str, path: str) -> dict | None:
    found = locate(path)
    return swagger["paths"][found].get(method.lower()) if found else None


def _query_params(operation: dict) -> set[str]:
    return {param["name"] for param in operation.get("parameters", []) if param["in"] == "query"}


def _concrete_paths(template: dict) -> list[str]:
    """A write template's path, expanded once per parent collection when the path names one."""
    path = template["path"]
    if "parent.collection" not in runtime_macros(path):
        return [path]
    return [path.replace("{parent.collection}", collection)
            for collection in template["parent"]["collections"].values()]


def test_collection_names_are_singular_or_plural_as_live(spec, swagger):
    for name, path in {**SINGULAR_PATHS, **PLURAL_PATHS}.items():
        assert spec.resource(name).path == path
        assert path in swagger["paths"]
    for path in SINGULAR_PATHS.values():
        wrong = path + ("es" if path.endswith("s") else "s")
        assert wrong not in swagger["paths"], f"{wrong} would be the wrong (405) form"


def test_a_misspelt_collection_is_not_taken_for_a_custom_object(swagger, derive_tool):
    assert derive_tool.match_swagger_path("/Tickets", swagger["paths"]) is None
    assert derive_tool.match_swagger_path("/Tickets/1", swagger["paths"]) is None
    assert derive_tool.match_swagger_path("/Fruit__c/1", swagger["paths"], custom_object=True) == "/{objectName}/{id}"
    assert derive_tool.match_swagger_path("/CustomFields/Ticket", swagger["paths"]) == "/CustomFields/{objectName}"


def test_every_read_path_is_a_get_of_the_swagger(spec, swagger, locate):
    for resource in spec.resources.values():
        found = locate(resource.path)
        assert found and "get" in swagger["paths"][found], resource.name
        if resource.dynamic and resource.child:  # /${object_name}/{parent.id}/FileAttachments
            assert found.startswith("/{objectName}/{id}/"), resource.name
            assert _parameters_blank(found) == _parameters_blank(resource.path.replace("${object_name}", "{}"))
        elif resource.dynamic:
            assert found in ("/{objectName}", "/CustomFields/{objectName}"), resource.name
        elif resource.child:  # /Contacts/{parent.id}/FileAttachments is /Contacts/{id}/FileAttachments
            assert _parameters_blank(found) == _parameters_blank(resource.path), resource.name
        elif resource.path.startswith("/CustomFields/"):
            assert found == "/CustomFields/{objectName}"
        else:
            assert found == resource.path, f"{resource.name}: {resource.path} is not literally in the Swagger"


def _parameters_blank(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_custom_field_metadata_resources_mirror_the_objects_with_custom_fields(spec):
    metadata_paths = {r.path for r in spec.resources.values() if r.path.startswith("/CustomFields/")}
    for resource in spec.resources.values():
        if resource.child or resource.flatten:
            continue  # read under a parent: its custom fields are the parent's resource's business
        has_custom_fields = "CUSTOMFIELDS" in resource.schema["properties"]
        assert (resource.custom_fields_path is not None) == has_custom_fields, resource.name
        if resource.custom_fields_path:
            assert resource.custom_fields_path == "/CustomFields" + resource.path
            assert resource.custom_fields_path in metadata_paths, resource.name


def test_read_parameters_and_paging_are_those_the_operation_declares(spec, swagger, locate):
    for resource in spec.resources.values():
        operation = _operation(swagger, locate, "GET", resource.path)
        declared = _query_params(operation)
        pagination = resource.read["pagination"]
        assert set(resource.read["params"]) <= declared, resource.name
        if pagination["type"] == "offset":
            sent = {pagination["offset_param"], pagination["limit_param"], *pagination["total_params"]}
            assert sent <= declared, resource.name
        else:
            assert "top" not in declared, f"{resource.name} could be paged"


def test_tags_cover_every_documented_record_type(spec, swagger):
    description = swagger["paths"]["/Tags"]["get"]["description"]
    documented = set(re.search(r"record_type=([a-z|]+)", description).group(1).split("|"))
    declared = {r.read["params"]["record_type"] for r in spec.resources.values() if r.path == "/Tags"}
    assert declared == documented


def test_incremental_exactly_where_search_takes_updated_after_and_records_carry_the_cursor(spec, swagger, locate):
    for resource in spec.resources.values():
        search = _operation(swagger, locate, "GET", resource.path + "/Search")
        searchable = search is not None and "updated_after_utc" in _query_params(search)
        has_cursor = spec.defaults["incremental"]["cursor_field"] in resource.schema["properties"]
        assert (resource.incremental is not None) == (searchable and has_cursor), resource.name
        if resource.incremental:
            operation = _operation(swagger, locate, "GET", resource.incremental["path"])
            assert resource.incremental["param"] in _query_params(operation)
    emails = spec.resource("emails")
    assert emails.incremental is None and "DATE_UPDATED_UTC" not in emails.schema["properties"]


def test_every_write_template_is_an_operation_of_the_swagger(spec, swagger, locate):
    for resource in spec.resources.values():
        for mode, template in resource.write.items():
            requests = [template["lookup"]] if mode == "upsert" else [template]
            for request in requests:
                for path in _concrete_paths(request):
                    operation = _operation(swagger, locate, request["method"], path)
                    assert operation is not None, f"{resource.name}.{mode}: {request['method']} {path}"
                    assert set(request.get("params", {})) <= _query_params(operation), f"{resource.name}.{mode}"


def _swagger_allows(swagger, locate, resource, mode: str) -> bool:
    """Whether the Swagger has the operation a mode needs: at the declared template's path(s), or,
    for an undeclared mode, where the defaults would put it."""
    method = {"create": "POST", "update": "PUT", "delete": "DELETE"}.get(mode)
    if mode in resource.write and method:
        template = resource.write[mode]
        return all(_operation(swagger, locate, method, path) is not None for path in _concrete_paths(template))
    if mode == "create" or mode == "update":
        return _operation(swagger, locate, method, resource.path) is not None
    if mode == "delete":
        by_query = _operation(swagger, locate, "DELETE", resource.path)
        return _operation(swagger, locate, "DELETE", resource.path + "/{id}") is not None or (
            by_query is not None and "id" in _query_params(by_query))
    search = _operation(swagger, locate, "GET", resource.path + "/Search")
    return all(_swagger_allows(swagger, locate, resource, needed) for needed in ("create", "update")) and \
        search is not None and {"field_name", "field_value"} <= _query_params(search)


def test_write_modes_are_exactly_those_the_swagger_allows(spec, swagger, locate):
    for resource in spec.resources.values():
        if resource.child or resource.flatten:
            assert resource.write_modes == (), f"{resource.name}: a stream read under a parent is read-only"
            continue
        allowed = tuple(mode for mode in ("create", "update", "upsert", "delete")  # upsert: with a key to match on
                        if _swagger_allows(swagger, locate, resource, mode)
                        and (mode != "upsert" or resource.upsert_key))
        assert resource.write_modes == allowed, resource.name
    assert spec.resource("users").write_modes == ()
    assert spec.resource("pipelines").write_modes == ()
    assert spec.resource("emails").write_modes == ("delete",)
    assert spec.resource("team_members").write_modes == ("create", "delete")
    assert spec.resource("lead_sources").write["delete"]["params"] == {"id": "{record.LEAD_SOURCE_ID}"}


def test_upsert_keys_are_writable_fields(spec):
    for resource in spec.resources.values():
        if resource.upsert_key is not None:
            field = resource.schema["properties"][resource.upsert_key]
            assert not field.get("readOnly"), resource.name
    assert spec.resource("contacts").upsert_key == "EMAIL_ADDRESS"
    assert spec.resource("leads").upsert_key == "EMAIL"
    assert spec.resource("organisations").upsert_key == "ORGANISATION_NAME"


def test_check_request_and_dynamic_listing_exist(spec, swagger):
    check = spec.credential["check"]
    me = swagger["paths"][check["path"]][check["method"].lower()]
    user = swagger["definitions"][me["responses"]["200"]["schema"]["$ref"].rsplit("/", 1)[-1]]
    assert set(check["identity"]) <= set(user["properties"])
    for resource in spec.resources.values():
        if resource.dynamic and resource.dynamic_source is None:
            listing = swagger["paths"][resource.dynamic["list_path"]]["get"]["responses"]["200"]["schema"]
            item = swagger["definitions"][listing["items"]["$ref"].rsplit("/", 1)[-1]]
            assert {resource.dynamic["name_field"], resource.dynamic["label_field"]} <= set(item["properties"])


def test_every_documented_error_status_has_a_meaning(spec, swagger):
    documented = {code for operations in swagger["paths"].values() for operation in operations.values()
                  if isinstance(operation, dict) for code in operation.get("responses", {})
                  if code[0] in "45"}
    errors = spec.http.errors.rules
    unmapped = [code for code in sorted(documented) if code not in errors and f"{code[0]}xx" not in errors]
    assert unmapped == []
    assert {"401", "402", "403", "404", "429", "5xx"} <= set(errors)
