"""Lists: bare arrays in ascending id order; skip/top (default 100, cap 500); count_total; brief."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from insightly_connector.harness import Harness


@pytest.fixture(scope="module")
def big_harness() -> Iterator[Harness]:
    with Harness(contacts=1200, rate_limit_per_second=None) as harness:
        yield harness


@pytest.fixture
def big(big_harness, client_for):
    return client_for(big_harness)


def test_default_page_is_100_and_top_is_capped_at_500_silently(big):
    assert len(big.get("/Contacts").json()) == 100
    assert len(big.get("/Contacts", top=250).json()) == 250
    assert len(big.get("/Contacts", top=501).json()) == 500
    assert len(big.get("/Contacts", top=100000).json()) == 500


def test_pages_are_ascending_by_primary_key_and_skip_continues_exactly(big):
    first, second = big.get("/Contacts", top=500).json(), big.get("/Contacts", skip=500, top=500).json()
    ids = [r["CONTACT_ID"] for r in first + second]
    assert ids == sorted(ids) and len(set(ids)) == 1000
    assert ids[500:502] == [r["CONTACT_ID"] for r in big.get("/Contacts", skip=500, top=2).json()]
    assert big.get("/Contacts", skip=1200).json() == []
    assert len(big.get("/Contacts", skip=1100, top=500).json()) == 100


def test_count_total_adds_x_total_count_and_the_body_stays_a_bare_array(big):
    response = big.get("/Contacts", top=3, count_total="true")
    assert response.headers["X-Total-Count"] == "1200"
    assert response.text.startswith("[") and len(response.json()) == 3
    assert "X-Total-Count" not in big.get("/Contacts", top=3).headers
    assert big.get("/Contacts/Search", field_name="FIRST_NAME", field_value="Emma",
                   count_total="true").headers["X-Total-Count"].isdigit()


def test_brief_drops_the_nested_collections_only(api):
    full, brief = api.get("/Contacts", top=5).json(), api.get("/Contacts", top=5, brief="true").json()
    for whole, short in zip(full, brief, strict=True):
        assert set(whole) - set(short) == {"CUSTOMFIELDS", "TAGS", "DATES", "LINKS"}
        assert {k: v for k, v in whole.items() if k in short} == short
    organisations = api.get("/Organisations", top=1, brief="True").json()[0]
    assert "EMAILDOMAINS" not in organisations and "ORGANISATION_NAME" in organisations


@pytest.mark.parametrize("params", [{"skip": "-1"}, {"top": "-5"}, {"top": "ten"}, {"skip": "1.5"},
                                    {"brief": "yes"}, {"count_total": "1"}])
def test_invalid_paging_parameters_answer_400(api, params):
    response = api.get("/Contacts", **params)
    assert response.status_code == 400
    assert response.json()["Message"].startswith("Often missing or invalid parameter.")


def test_top_zero_answers_an_empty_page(api):
    response = api.get("/Contacts", top=0, count_total="true")
    assert response.json() == [] and int(response.headers["X-Total-Count"]) > 0


def test_lists_without_paging_parameters_answer_everything(api):
    assert len(api.get("/Countries", top=2).json()) > 2  # /Countries takes no skip/top in the Swagger file


def test_record_dates_use_the_body_format_in_utc(api):
    for record in api.get("/Contacts", top=50).json():
        for field in ("DATE_CREATED_UTC", "DATE_UPDATED_UTC"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", record[field])
        assert record["DATE_UPDATED_UTC"] >= record["DATE_CREATED_UTC"]


def test_every_list_collection_is_in_ascending_key_order(api):
    for name in ("Organisations", "Opportunities", "Leads", "Notes", "Tasks", "Events", "Emails", "Ticket",
                 "Product", "Fruit__c", "Users", "PipelineStages"):
        records = api.all(f"/{name}")
        key = next(iter(records[0]))
        keys = [r[key] for r in records]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), name


def test_concurrent_clients_page_consistently(big_harness, client_for):
    clients = [client_for(big_harness) for _ in range(4)]
    expected = [r["CONTACT_ID"] for r in clients[0].all("/Contacts")]

    def read(client):
        return [r["CONTACT_ID"] for r in client.all("/Contacts", page=100)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(read, clients))
    assert all(result == expected for result in results)
