"""Custom-field metadata is read once per resource per run, and once per `Connector` session: the harness's
request log counts the `GET /CustomFields/...` a write sends (a user saw 27 for 2 contacts, and a 429)."""

from insightly_connector.api import Connector

from .conftest import credential_for


def metadata_gets(harness, collection: str = "Contacts") -> int:
    return sum(1 for entry in harness.requests()
               if entry.method == "GET" and entry.path == f"/CustomFields/{collection}")


def contacts_with_custom_fields(harness, count: int) -> list[dict]:
    """Records as a read returns them (every custom field type, flat and in CUSTOMFIELDS)."""
    records = []
    for key in harness.ids("Contacts")[:count]:
        record = harness.get("Contacts", key)
        records.append({**record, "Hobby__c": "chess", "VIP__c": True, "Lifetime_Orders__c": 3})
    return records


def test_one_metadata_get_per_run_whatever_the_records_and_fields(harness, run_write):
    records = contacts_with_custom_fields(harness, 5)
    report = run_write("contacts", "update", records)
    assert report.counts["updated"] == 5 and report.counts["rejected"] == 0, report.summary_table()
    assert metadata_gets(harness) == 1


def test_a_dry_run_and_a_custom_upsert_key_read_it_once_too(harness, run_write):
    report = run_write("contacts", "update", contacts_with_custom_fields(harness, 5), dry_run=True)
    assert metadata_gets(harness) == 1 and report.metadata_reads == ["/CustomFields/Contacts"]
    assert not [entry for entry in harness.requests() if entry.method != "GET"]
    harness.clear_requests()
    report = run_write("contacts", "upsert", [{"Hobby__c": "go", "FIRST_NAME": "Go"}], upsert_key="Hobby__c",
                       dry_run=True)
    assert metadata_gets(harness) == 1, "the upsert-key check and the validation share one read"


def test_a_connector_session_reads_each_resource_metadata_once(harness):
    with Connector({**credential_for(harness), "requests_per_second": 100}) as connector:
        for _ in range(3):
            report = connector.write("contacts", "update", contacts_with_custom_fields(harness, 2),
                                     rejects_path="/dev/null")
            assert report.counts["updated"] == 2, report.summary_table()
        connector.write("organisations", "upsert", [{"ORGANISATION_NAME": "Metadata Ltd", "Region__c": "EU"}],
                        rejects_path="/dev/null")
    assert metadata_gets(harness, "Contacts") == 1
    assert metadata_gets(harness, "Organisations") == 1


def test_a_streaming_write_reads_it_once_for_every_chunk(harness, client, spec, tmp_path):
    """A platform's sync writes a chunk at a time; the upsert-key check and every chunk share one read."""
    from insightly_connector.destination.stream_write import StreamingWrite, StreamOptions

    run = StreamingWrite(client, spec, streams={"contacts": StreamOptions("upsert", "Hobby__c")}, default=None,
                         rejects_dir=str(tmp_path), chunk_size=2)
    for position, hobby in enumerate(("kite", "sail", "row", "swim", "dive"), start=1):
        run.record("contacts", {"FIRST_NAME": hobby.title(), "Hobby__c": hobby, "VIP__c": False}, position)
    (report,) = run.finish()
    assert report.counts["created"] == 5, report.summary_table()
    assert metadata_gets(harness) == 1
