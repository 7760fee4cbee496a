"""connector.yaml against the emulator, over real HTTP on 127.0.0.1: every request the spec can make
is answered, and what comes back fits the record schemas. The harness is built from the Swagger and
the notes, never from connector.yaml, so a disagreement between the two shows up here."""

from __future__ import annotations

import contextlib
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft7Validator

from insightly_connector.http.client import Client
from insightly_connector.http.limiter import RateLimiter
from insightly_connector.source.children import ChildWalk, lineage
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.templating import render_runtime

Harness = getattr(pytest.importorskip("insightly_connector.harness"), "Harness", None)
pytestmark = pytest.mark.skipif(Harness is None, reason="the harness package has no Harness yet")
SAMPLE = 5


@pytest.fixture(scope="module")
def client(spec):
    with Harness(pod="na1", seed=11, plan="enterprise", contacts=30,
                                rate_limit_per_second=None) as harness:
        credential = load_credential({"name": "spec tests", "api_key": harness.api_key, "pod": "na1",
                                      "base_url": harness.base_url}, spec)
        with Client(spec, credential, limiter=RateLimiter(200, max_in_flight=1)) as api:
            yield api


def _first_page(client, resource, path: str, extra: dict | None = None) -> list[dict]:
    params = dict(resource.read["params"])
    pagination = resource.read["pagination"]
    if pagination["type"] == "offset":
        params.update({pagination["offset_param"]: 0, pagination["limit_param"]: SAMPLE,
                       **pagination["total_params"]})
    response = client.request("GET", path, params={**params, **(extra or {})})
    if pagination["type"] == "offset":
        assert pagination["total_header"] in response.headers, path
    body = response.json()
    if resource.single_object:
        assert isinstance(body, dict), path
        return [body]
    assert isinstance(body, list), path
    return body


def _assert_fits(resource, records: list[dict]) -> None:
    validator = Draft7Validator(resource.schema)
    for record in records[:SAMPLE]:
        problems = [f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
                    for error in validator.iter_errors(record)]
        assert problems == [], f"{resource.name}: {problems[:3]}"
        assert resource.primary_key in record, resource.name


def test_check_request_answers_with_the_identity_fields(spec, client):
    check = spec.credential["check"]
    me = client.request(check["method"], check["path"]).json()
    assert set(check["identity"]) <= set(me)


def test_every_static_resource_reads_and_fits_its_schema(spec, client):
    for resource in spec.resources.values():
        if resource.dynamic or resource.child or resource.flatten:
            continue  # streams read under a parent: the next test
        _assert_fits(resource, _first_page(client, resource, resource.path))


def test_every_child_route_answers_and_flattened_items_fit(spec, client):
    """A child stream's route answers under each of its parent's first records, and what it answers (with
    the parent's key added) fits the child's schema; a flattened stream's items fit theirs. Across all of
    them the harness serves records, so the checks are not run on nothing."""
    served = 0
    for resource in spec.resources.values():
        declared = resource.child or resource.flatten
        if declared is None or resource.dynamic:
            continue  # one per custom object: tests/conformance expands and reads them
        if resource.child and resource.child.ancestor_key_fields:  # under a child stream: through the walk
            records = _under_child_stream(spec, client, resource)
            _assert_fits(resource, records)
            served += len(records)
            continue
        parent = spec.parent_of(resource)
        parents = _first_page(client, parent, parent.path)
        assert parents, f"{resource.name}: its parent {parent.name} has no record in the harness"
        if resource.flatten:
            records = resource.flatten.items(parents, parent.primary_key)
        else:
            records = []
            for record in parents:
                key = record[parent.primary_key]
                path = render_runtime(resource.path, {"parent": {**record, "id": key}})
                records += [{declared.parent_key_field: key, **child} for child in _first_page(client, resource, path)]
        _assert_fits(resource, records)
        served += len(records)
    assert served > 0


def _under_child_stream(spec, client, resource, parents_walked: int = 40) -> list[dict]:
    """The records of a stream whose parent is a child stream, read by its walk under the first parents
    (each carrying every ancestor's key)."""
    walk = ChildWalk(client, resource, lineage(spec, resource), window=None, resume={}, prefetch=1,
                     skip_action=lambda error: None)
    with contextlib.closing(walk.parents()) as parents:
        return [record for done in itertools.islice(parents, parents_walked) for record in done.records]


def test_every_incremental_search_answers_and_fits(spec, client):
    since = (datetime.now(timezone.utc) - timedelta(days=3650))
    for resource in spec.resources.values():
        if resource.dynamic or not resource.incremental:
            continue
        incremental = resource.incremental
        bound = {incremental["param"]: since.strftime(incremental["param_format"])}
        records = _first_page(client, resource, incremental["path"], bound)
        _assert_fits(resource, records)
        for record in records:
            datetime.strptime(record[incremental["cursor_field"]], incremental["cursor_format"])


def test_custom_field_metadata_and_custom_objects_are_found_and_read(spec, client):
    for resource in spec.resources.values():
        if resource.custom_fields_path and not resource.dynamic:
            assert isinstance(client.request("GET", resource.custom_fields_path).json(), list)
    template = spec.resource("custom_object_records")
    objects = client.request("GET", template.dynamic["list_path"]).json()
    expanded = spec.expand_dynamic(template.name, objects)
    assert expanded, "the harness seeds at least one custom object"
    for resource in expanded + spec.expand_dynamic("custom_object_fields", objects):
        _assert_fits(resource, _first_page(client, resource, resource.path))
