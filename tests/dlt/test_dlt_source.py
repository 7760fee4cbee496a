"""The dlt source (`insightly_connector.dlt.insightly_source`) loading into duckdb twice against a harness,
offline: the second run reads incrementally through the runner and merges only the changed rows; dates
land as timestamps, and a custom object whose custom fields mix types loads with a column per field."""

from __future__ import annotations

from pathlib import Path

import pytest

dlt = pytest.importorskip("dlt")

from insightly_connector.dlt import insightly_source  # noqa: E402
from insightly_connector.harness import Harness  # noqa: E402

RESOURCES = ["contacts", "fruit__c", "pipelines"]
CHANGED_CONTACT = 353320001


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt-data"))


def column_types(pipeline, table: str) -> dict[str, str]:
    with pipeline.sql_client() as client:
        rows = client.execute_sql(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
            pipeline.dataset_name, table)
    return dict(rows)


def scalar(pipeline, sql: str):
    with pipeline.sql_client() as client:
        return client.execute_sql(sql)[0][0]


def test_two_runs_merge_only_what_changed(offline: None, tmp_path: Path) -> None:
    with Harness(rate_limit_per_second=None, contacts=60) as harness:
        credential = {"name": "dlt", "api_key": harness.api_key, "password": "", "base_url": harness.base_url}
        warehouse = dlt.destinations.duckdb(str(tmp_path / "warehouse.duckdb"))
        pipeline = dlt.pipeline(pipeline_name="crm", destination=warehouse, dataset_name="crm",
                                pipelines_dir=str(tmp_path / "pipelines"))
        pipeline.run(insightly_source(credential, resources=RESOURCES))
        first = pipeline.last_trace.last_normalize_info.row_counts
        fruits = scalar(pipeline, "select count(*) from fruit__c")
        assert first["contacts"] == 60 and first["fruit__c"] == fruits > 0 and first["pipelines"] > 0

        harness.advance_clock(5)
        harness.update("Contacts", CHANGED_CONTACT, {"FIRST_NAME": "Changed"})
        created = harness.create("Fruit__c", {"RECORD_NAME": "Tamarillo", "CUSTOMFIELDS": [
            {"FIELD_NAME": "Harvested__c", "FIELD_VALUE": "2026-03-01 00:00:00"},
            {"FIELD_NAME": "Weight__c", "FIELD_VALUE": 0.25}, {"FIELD_NAME": "Organic__c", "FIELD_VALUE": True}]})
        harness.clear_requests()
        pipeline.run(insightly_source(credential, resources=RESOURCES))
        second = pipeline.last_trace.last_normalize_info.row_counts
        searched = [entry.path for entry in harness.requests() if entry.path.endswith("/Search")]

    assert second["contacts"] == 1 and second["fruit__c"] == 1  # only what changed (pipelines has no cursor)
    assert {"/Contacts/Search", "/Fruit__c/Search"} <= set(searched)  # the runner's incremental window
    assert scalar(pipeline, "select count(*) from contacts") == 60  # merged on the primary key, not appended
    assert scalar(pipeline, f"select first_name from contacts where contact_id = {CHANGED_CONTACT}") == "Changed"
    assert scalar(pipeline, "select count(*) from fruit__c") == fruits + 1
    new = created["RECORD_ID"]
    assert scalar(pipeline, f"select customfields__weight__c from fruit__c where record_id = {new}") == 0.25
    assert str(scalar(pipeline, f"select customfields__harvested__c from fruit__c where record_id = {new}"))[:10] \
        == "2026-03-01"

    contacts = column_types(pipeline, "contacts")
    assert contacts["date_updated_utc"] == contacts["date_created_utc"] == "TIMESTAMP WITH TIME ZONE"
    fruit = column_types(pipeline, "fruit__c")
    assert fruit["customfields__harvested__c"] == "TIMESTAMP WITH TIME ZONE"
    assert fruit["customfields__weight__c"] == "DOUBLE" and fruit["customfields__organic__c"] == "BOOLEAN"
    assert fruit["customfields__color__c"] == "VARCHAR" and fruit["customfields"] == "JSON"
