"""Read -> write round trips: for every updatable resource, records a read returns, written back as update
and as upsert, give 0 rejects and 0 API 4xx, on the harness's custom fields of every type (the records carry
the live-only fields, non-editable AUTONUMBER custom fields, and milestones addressed under their project)."""

import orjson
import pytest

from insightly_connector.api import Connector
from insightly_connector.source.catalog import select
from insightly_connector.source.discover import capabilities
from insightly_connector.spec.loader import load_spec

from .conftest import credential_for

SPEC = load_spec()
UPDATABLE = [resource.name for resource in SPEC.resources.values()
             if not resource.dynamic and "update" in resource.write_modes]


def read_back(connector: Connector, resource: str, folder) -> list[dict]:
    report = connector.read([resource], output_dir=folder, limit=3)
    assert report.exit_code == 0, report.to_dict()
    path = folder / f"{resource}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


@pytest.mark.parametrize("resource", [*UPDATABLE, "fruit__c", "shipment__c"])
def test_read_records_written_back_as_update_and_upsert_are_all_confirmed(resource, harness, tmp_path):
    with Connector({**credential_for(harness), "requests_per_second": 100}) as connector:
        records = read_back(connector, resource, tmp_path)
        assert records, f"the harness returned no {resource}"
        (target,) = select(connector.client, connector.spec, [resource]).resources  # custom objects found live
        modes = [mode for mode in ("update", "upsert") if capabilities(target)[mode]]
        for mode in modes:
            harness.clear_requests()
            report = connector.write(resource, mode, records, rejects_path=str(tmp_path / f"{mode}.rejects.jsonl"))
            failed = [(entry.method, entry.path, entry.status) for entry in harness.requests() if entry.status >= 400]
            assert report.counts["rejected"] == 0, (mode, (tmp_path / f"{mode}.rejects.jsonl").read_text())
            assert failed == [], mode
            assert report.confirmed == len(records), report.summary_table()


def test_an_upsert_key_shared_by_several_records_is_settled_by_the_record_s_own_id(harness, run_write):
    """Custom-object names repeat; a read written back names its own record by its primary key, even when
    it is the last of three records with the same RECORD_NAME. A record with no id of its own stays
    ambiguous: nothing picks among strangers."""
    made = [harness.create("Fruit__c", {"RECORD_NAME": "Tamarillo"}) for _ in range(3)]
    own = run_write("fruit__c", "upsert", [{"RECORD_ID": made[-1]["RECORD_ID"], "RECORD_NAME": "Tamarillo"}])
    assert own.counts["unchanged"] == 1, own.summary_table()
    stranger = run_write("fruit__c", "upsert", [{"RECORD_NAME": "Tamarillo"}])
    assert stranger.counts["rejected"] == 1, stranger.summary_table()
