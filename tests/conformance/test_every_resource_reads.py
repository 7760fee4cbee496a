"""Every resource of the spec, read by the runner from the harness: the records are exactly the harness's,
each fits the resource's record schema, the primary key is unique, and a read stopped part way resumes
from its state file with every record exactly once."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from jsonschema import Draft7Validator

from insightly_connector.harness import custom_fields

from .conftest import PAGE_SIZE, collection, expand, ground_truth, key_of, keys, read_lines, reads_incrementally


class Stopped(BaseException):
    """Stands for a kill: not an Exception, so nothing in the runner handles it."""


def run_read(connector, resource, out: Path, state: Path | None = None):
    report = connector.read([resource.name], output_dir=out, state_path=state)
    assert report.error is None, f"{resource.name}: {report.error}"
    return report


def test_read_matches_the_harness_and_fits_the_schema(resource, connector, clean, tmp_path):
    for each in expand(connector, resource):
        out = tmp_path / each.name
        run_read(connector, each, out)
        records = read_lines(out / f"{each.name}.jsonl")
        expected = ground_truth(clean, each)
        assert sorted(map(repr, keys(records, each))) == sorted(map(repr, keys(expected, each))), each.name
        assert {key_of(r, each): r for r in records} == {key_of(r, each): r for r in expected}, each.name
        validator = Draft7Validator(each.schema)
        for record in records:
            problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(record)]
            assert problems == [], f"{each.name} {record.get(each.primary_key)!r}: {problems[:3]}"


def test_primary_key_is_present_and_unique(resource, connector, clean, tmp_path):
    for each in expand(connector, resource):
        run_read(connector, each, tmp_path / each.name)
        found = keys(read_lines(tmp_path / each.name / f"{each.name}.jsonl"), each)
        assert all(None not in key for key in found), f"{each.name}: a record without {each.key_fields}"
        duplicates = sorted({repr(k) for k in found if found.count(k) > 1})
        assert duplicates == [], f"{each.name}: {each.primary_key} repeated: {duplicates[:5]}"


def stop_after_pages(connector, resource, pages: int):
    """Make the client stop the read (as a kill would) when it asks for page number `pages + 1`."""
    real = connector.client.request
    seen = []

    def request(method, path, *args, **kwargs):
        if method == "GET" and path.rstrip("/") == resource.path.rstrip("/"):
            seen.append(path)
            if len(seen) > pages:
                raise Stopped(f"stopped before page {len(seen)}")
        return real(method, path, *args, **kwargs)

    connector.client.request = request
    return lambda: vars(connector.client).pop("request", None)


def saved_state(path: Path) -> dict:
    """The state file's resources (none written yet: no file)."""
    return orjson.loads(path.read_bytes())["resources"] if path.exists() else {}


def test_a_stopped_read_resumes_with_every_record_exactly_once(resource, connector, clean, tmp_path):
    """A resource whose records take several pages is stopped after its first page and resumed: one paged in
    primary-key order continues where it stopped, an unordered one starts over. One read in a single
    request is read once with state instead. Either way, a further run from the final
    state emits nothing for an incremental resource and the same records for any other (a full re-read)."""
    for each in expand(connector, resource):
        out, state = tmp_path / each.name, tmp_path / f"{each.name}.state.json"
        expected = sorted(map(repr, keys(ground_truth(clean, each), each)))
        paged = each.read["pagination"]["type"] != "none" and not each.single_object \
            and not (each.child or each.flatten)  # stopped under a parent: tests/source/test_child_streams.py
        if paged and len(expected) > PAGE_SIZE:
            restore = stop_after_pages(connector, each, 1)
            try:
                with pytest.raises(Stopped):
                    connector.read([each.name], output_dir=out, state_path=state)
            finally:
                restore()
            saved = saved_state(state).get(each.name, {})
            assert "in_progress" in saved, f"{each.name}: no checkpoint after the first page: {saved}"
            assert 0 < len(read_lines(out / f"{each.name}.jsonl")) < len(expected), each.name
            clean.clear_requests()
            run_read(connector, each, out, state)
            first = next(e for e in clean.requests() if e.path.rstrip("/") == each.path.rstrip("/"))
            if each.read["pagination"].get("order") == "primary_key_ascending":
                assert int(first.query.get("skip", 0)) > 0, f"{each.name}: the resumed read started over"
            else:  # unordered paging cannot re-anchor: the runner starts over, with a fresh file
                assert int(first.query.get("skip", 0)) == 0, f"{each.name}: resumed without an anchor"
        else:
            run_read(connector, each, out, state)
        emitted = sorted(map(repr, keys(read_lines(out / f"{each.name}.jsonl"), each)))
        assert emitted == expected, f"{each.name}: {len(emitted)} emitted, {len(expected)} served"
        saved = saved_state(state).get(each.name, {})
        assert "in_progress" not in saved, each.name
        assert ("cursor" in saved) == reads_incrementally(each), f"{each.name}: {saved}"

        again = tmp_path / f"{each.name}-again"
        run_read(connector, each, again, state)
        rerun = sorted(map(repr, keys(read_lines(again / f"{each.name}.jsonl"), each)))
        assert rerun == ([] if reads_incrementally(each) else expected), f"{each.name}: re-run from the final state"


def test_the_harness_serves_what_the_spec_reads(resource, connector, clean):
    """The ground truth is real: a resource on a harness collection is served in full (the harness's own
    count), and no resource is empty except the custom fields of an object the harness gives none.
    Otherwise the tests above could pass on nothing."""
    for each in expand(connector, resource):
        served = ground_truth(clean, each)
        name = collection(each)
        if name in clean.dataset.collections and not each.read.get("params") and not each.flatten:
            assert len(served) == clean.count(name), each.name
        if name.lower().startswith("customfields/"):
            assert len(served) == len(custom_fields.metadata(name.split("/", 1)[1])), each.name
        else:
            assert served, f"{each.name}: the harness serves no record, so its conformance tests prove nothing"
