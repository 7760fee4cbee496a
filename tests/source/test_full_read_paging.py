"""Full reads over real HTTP: every record exactly once, `top` never above the cap, no wasted request."""

import itertools

import pytest

PAGE_CAP = 500


def contacts_requests(harness) -> list:
    return [entry for entry in harness.requests() if entry.path == "/Contacts"]


@pytest.mark.parametrize("count", [500, 999, 1000, 1203])
def test_full_read_returns_every_record_once_and_stops_without_an_empty_page(
        harness_factory, read_in_process, spec, count):
    with harness_factory(contacts=count) as harness:
        result = read_in_process(harness, ["contacts"])
        emitted = [record["CONTACT_ID"] for record in result.lines()]
        assert sorted(emitted) == sorted(harness.ids("Contacts"))
        assert len(emitted) == len(set(emitted)) == count
        log = contacts_requests(harness)
    assert all(int(entry.query["top"]) <= spec.resources["contacts"].read["pagination"]["max_page_size"]
               for entry in log)
    assert all(entry.query["top"] == str(PAGE_CAP) for entry in log)  # at the cap, not the default 100
    assert all(entry.query.get("count_total") == "true" for entry in log)
    offsets = [int(entry.query["skip"]) for entry in log]
    # overlap of one: each page after the first starts at the previous page's last record
    assert offsets == [n * (PAGE_CAP - 1) for n in range(len(offsets))]
    # no empty page: every page after the first holds at least one record beyond the overlap
    assert all(offset + 1 < count for offset in offsets[1:])
    assert len(offsets) == 1 + -(-max(0, count - PAGE_CAP) // (PAGE_CAP - 1))
    assert result.report.resources[0].requests == len(offsets)
    assert result.report.resources[0].pages == len(offsets)


def test_pages_are_requested_ahead_while_earlier_ones_are_still_being_answered(harness_factory, read_in_process):
    latency = 0.3
    with harness_factory(contacts=2000, latency_ms=latency * 1000) as harness:
        result = read_in_process(harness, ["contacts"])
        arrivals = [entry.at for entry in contacts_requests(harness)]
    assert len({record["CONTACT_ID"] for record in result.lines()}) == 2000
    # A sequential pager cannot send page n+1 before page n is answered (>= the harness latency later).
    # The first page goes alone (its total sizes the pipeline); later ones overlap.
    overlapping = [b - a for a, b in itertools.pairwise(arrivals[1:]) if b - a < latency]
    assert overlapping, "no page was requested while another was in flight"


def test_unordered_lists_single_objects_and_custom_object_records(harness_factory, read_in_process):
    with harness_factory(contacts=50) as harness:
        result = read_in_process(harness, ["tags_contacts", "instance", "fruit__c", "countries"])
        by_resource = {r.name: r for r in result.report.resources}
        fruit = harness.ids("Fruit__c")
        tags_log = [e for e in harness.requests() if e.path == "/Tags"]
    assert all(r.status == "complete" for r in result.report.resources)
    assert by_resource["instance"].records == 1 and by_resource["instance"].mode == "single"
    assert by_resource["fruit__c"].records == len(fruit)
    assert by_resource["countries"].records > 0 and by_resource["countries"].requests == 1
    assert [e.query.get("record_type") for e in tags_log] == ["contacts"]
    assert len(result.lines()) == sum(r.records for r in result.report.resources)
