"""The generated data: deterministic, realistic, linked, spread over years, and scalable."""

from __future__ import annotations

import gc

import orjson
import psutil

from insightly_connector.harness import Harness
from insightly_connector.harness.custom_fields import DEFINITIONS, FIELD_TYPES
from insightly_connector.harness.dataset import Dataset
from insightly_connector.harness.table import load_table


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(client_for):
    def sample(seed: int) -> list[dict]:
        with Harness(seed=seed, contacts=30, rate_limit_per_second=None) as harness:
            return client_for(harness).get("/Contacts", top=30).json()
    assert sample(11) == sample(11)
    assert sample(11) != sample(12)


def test_contacts_link_to_existing_organisations(api):
    organisations = {o["ORGANISATION_ID"] for o in api.all("/Organisations")}
    contacts = api.all("/Contacts")
    linked = [c for c in contacts if c["ORGANISATION_ID"] is not None]
    assert len(linked) > len(contacts) // 2
    for contact in linked:
        assert contact["ORGANISATION_ID"] in organisations
        assert [(link["LINK_OBJECT_NAME"], link["LINK_OBJECT_ID"]) for link in contact["LINKS"]] == [
            ("Organisation", contact["ORGANISATION_ID"])]
        link = contact["LINKS"][0]
        assert link["OBJECT_NAME"] == "Contact" and link["OBJECT_ID"] == contact["CONTACT_ID"]


def test_opportunities_sit_in_a_pipeline_stage_of_an_opportunity_pipeline(api):
    pipelines = {p["PIPELINE_ID"]: p for p in api.get("/Pipelines").json()}
    stages = {s["STAGE_ID"]: s for s in api.get("/PipelineStages").json()}
    placed = [o for o in api.all("/Opportunities") if o["PIPELINE_ID"] is not None]
    assert placed
    for opportunity in placed:
        assert stages[opportunity["STAGE_ID"]]["PIPELINE_ID"] == opportunity["PIPELINE_ID"]
        assert pipelines[opportunity["PIPELINE_ID"]]["FOR_OPPORTUNITIES"] is True


def test_notes_hang_off_their_parents_and_are_listed_under_them(api):
    titles = {"Contact": "Contacts", "Organisation": "Organisations", "Opportunity": "Opportunities",
              "Lead": "Leads", "Project": "Projects"}
    notes = api.all("/Notes")
    parents = {(n["LINKS"][0]["LINK_OBJECT_NAME"], n["LINKS"][0]["LINK_OBJECT_ID"]) for n in notes}
    assert {kind for kind, _ in parents} == set(titles)
    kind, parent_id = sorted(parents)[0]
    assert api.get(f"/{titles[kind]}/{parent_id}").status_code == 200
    listed = api.get(f"/{titles[kind]}/{parent_id}/Notes", top=500).json()
    expected = [n["NOTE_ID"] for n in notes if (n["LINKS"][0]["LINK_OBJECT_NAME"], n["LINKS"][0]["LINK_OBJECT_ID"])
                == (kind, parent_id)]
    assert [n["NOTE_ID"] for n in listed] == expected


def test_custom_fields_cover_every_field_type():
    assert {field.type for fields in DEFINITIONS.values() for field in fields} == set(FIELD_TYPES)
    assert {field.type for field in DEFINITIONS["Contacts"]} == set(FIELD_TYPES)


def test_tags_custom_objects_and_unique_emails(api):
    contacts = api.all("/Contacts")
    assert sum(1 for c in contacts if c["TAGS"]) > len(contacts) // 3
    assert len({c["EMAIL_ADDRESS"] for c in contacts}) == len(contacts)
    assert {o["OBJECT_NAME"] for o in api.get("/CustomObjects").json()} == {"Fruit__c", "Shipment__c"}
    assert api.get("/Fruit__c").json()[0]["CUSTOMFIELDS"]


def test_updates_are_spread_over_years_with_ties(api):
    with Harness(contacts=2000, rate_limit_per_second=None) as harness:
        factory = harness.dataset.collection("Contacts").factory
        years = {factory.record(i)["DATE_UPDATED_UTC"][:4] for i in range(0, 2000, 7)}
        assert len(years) >= 5
        updated = list(factory.updated)
        assert len(set(updated)) < len(updated)  # mass updates share a timestamp
        assert all(u >= c for u, c in zip(updated, factory.created, strict=True))


def test_each_field_computed_directly_matches_the_rendered_record():
    dataset = Dataset(load_table(), 5, 300)
    for name, collection in dataset.collections.items():
        factory = collection.factory
        if factory is None:
            continue
        for i in range(0, factory.size, max(1, factory.size // 10)):
            record = factory.record(i)
            assert {field: factory.value(i, field) for field in record} == record, name
            assert orjson.loads(factory.render(i, brief=True)) == {
                k: v for k, v in record.items() if k not in collection.nested}, name


def test_a_million_contacts_without_a_million_dicts(client_for):
    gc.collect()
    before = psutil.Process().memory_info().rss
    with Harness(contacts=1_000_000, rate_limit_per_second=None) as harness:
        grown = psutil.Process().memory_info().rss - before
        assert grown < 400 * 2**20, f"{grown / 2**20:.0f} MiB"  # a dict per contact alone would be ~3 GiB
        api = client_for(harness)
        response = api.get("/Contacts", skip=999_500, top=500, count_total="true")
        assert response.headers["X-Total-Count"] == "1000000"
        ids = [r["CONTACT_ID"] for r in response.json()]
        assert len(ids) == 500 and ids == sorted(ids)
        assert ids[-1] == harness.dataset.collection("Contacts").base_ids[-1]
        harness.delete("Contacts", ids[0])
        assert api.get("/Contacts", skip=999_500, top=1).json()[0]["CONTACT_ID"] == ids[1]
        found = api.get("/Contacts/Search", updated_after_utc="2024-12-31T00:00:00Z", count_total="true")
        assert 0 < int(found.headers["X-Total-Count"]) < 1_000_000
