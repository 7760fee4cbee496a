"""The conformance suite: tests generated from connector.yaml, as the Singer SDK's `testing/` templates
generate them from a tap's streams. A test that takes a `resource` argument runs once per resource of the
spec (dynamic templates included: those tests expand them from the live harness, as the runner does); one
that takes `writable` runs once per resource with any write mode. A resource added to the YAML is tested
with no new test code.

Everything runs through the real runner (`insightly_connector.api.Connector`) over HTTP to a harness on
127.0.0.1. The spec is connector.yaml with two test-only changes: a small page size, so that a handful of
records takes several pages (and a read can be stopped between them), and a high rate limit (nothing here
is about pacing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
import yaml

from insightly_connector.api import Connector
from insightly_connector.harness import Harness
from insightly_connector.source.catalog import resolve_resources
from insightly_connector.source.children import lineage
from insightly_connector.spec.loader import Spec, load_spec
from insightly_connector.spec.model import Resource
from insightly_connector.spec.templating import TemplateValueError, render_runtime

SPEC = load_spec()
PAGE_SIZE = 2  # with the one-record overlap, one new record a page: most resources take several
FAST = 1000  # requests a second: the limiter never waits
HTTP_TIMEOUT = 10


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise from the spec, never from a hand list."""
    resources = list(SPEC.resources.values())
    if "resource" in metafunc.fixturenames:
        metafunc.parametrize("resource", [pytest.param(r, id=r.name) for r in resources])
    if "writable" in metafunc.fixturenames:
        metafunc.parametrize("writable", [pytest.param(r, id=r.name) for r in resources if r.write])


@pytest.fixture(scope="session")
def conformance_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """connector.yaml with a small page size and a high rate limit (schemas/ linked in beside it)."""
    document = yaml.safe_load(SPEC.path.read_text(encoding="utf-8"))
    document["defaults"]["read"]["pagination"]["page_size"] = PAGE_SIZE
    rate = document["http"]["rate_limit"]
    rate["requests_per_second"] = FAST
    rate["plans"] = {plan: FAST for plan in rate.get("plans", {})}
    directory = tmp_path_factory.mktemp("conformance-config")
    (directory / "schemas").symlink_to(SPEC.path.resolve().parent / "schemas", target_is_directory=True)
    path = directory / "connector.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    """One small emulator per test module, its per-second limit off."""
    with Harness(pod="na1", seed=23, plan="enterprise", contacts=9, rate_limit_per_second=None) as running:
        _fill_nested_arrays(running)
        yield running


def _fill_nested_arrays(harness: Harness) -> None:
    """The generator leaves organisations' and leads' LINKS (and, at this size, organisations' DATES)
    empty; one filled record each keeps the flattened streams from being tested on nothing."""
    contact = harness.dataset.collection("Contacts").ids()[0]
    link = {"LINK_OBJECT_NAME": "Contact", "LINK_OBJECT_ID": contact, "ROLE": "Buyer", "DETAILS": None,
            "RELATIONSHIP_ID": None, "IS_FORWARD": True}
    date = {"DATE_ID": 7001, "OCCASION_NAME": "Founded", "OCCASION_DATE": "2001-02-03 00:00:00",
            "REPEAT_YEARLY": True, "CREATE_TASK_YEARLY": False}
    organisation = harness.dataset.collection("Organisations").ids()[0]
    harness.update("Organisations", organisation, {"LINKS": [link], "DATES": [date]})
    harness.update("Leads", harness.dataset.collection("Leads").ids()[0], {"LINKS": [link]})


@pytest.fixture(scope="module")
def connector(harness: Harness, conformance_config: Path) -> Iterator[Connector]:
    credential = {"name": "conformance", "api_key": harness.api_key, "password": "", "pod": "na1",
                  "base_url": harness.base_url}
    with Connector(credential, config=conformance_config) as running:
        yield running


@pytest.fixture
def clean(harness: Harness) -> Harness:
    """The module's harness with no faults, a full quota and an empty request log."""
    harness.clear_faults()
    harness.reset_quota()
    harness.clear_requests()
    return harness


def expand(connector: Connector, resource: Resource) -> list[Resource]:
    """The resource as the connector's spec has it, or for a dynamic template the resources the runner's
    own selection expands it into from the live API (one per custom object). An empty expansion fails:
    the harness has custom objects."""
    if not resource.dynamic:
        return [connector.spec.resources[resource.name]]
    expanded = resolve_resources(connector.client, connector.spec, [resource.name])
    assert expanded, f"{resource.name}: the runner found no object to expand the template into"
    return expanded


def collection(resource: Resource) -> str:
    """The harness collection a resource reads (its path without the slash)."""
    return resource.path.strip("/")


def ground_truth(harness: Harness, resource: Resource, spec: Spec = SPEC) -> list[dict]:
    """Every record the harness serves for the resource, fetched directly over HTTP (not by the runner),
    in pages of 500 with the resource's own list parameters. A child stream's: each parent's children
    (its route under every parent record), with the parent's key; a flattened stream's: the items of
    each parent record's array, with the parent's key."""
    declared = resource.child or resource.flatten
    if declared is not None:
        parent = spec.parent_of(resource)
        parents = ground_truth(harness, parent, spec)
        if resource.flatten:
            return resource.flatten.items(parents, parent.primary_key)
        records = []
        for record in parents:
            key = record[parent.primary_key]
            try:
                path = render_runtime(resource.path, {"parent": {**record, "id": key}})
            except TemplateValueError:
                continue  # e.g. an article without a language has no translation to ask for
            leading = {field: record.get(field) for field in declared.ancestor_key_fields}  # under a child stream
            leading[declared.parent_key_field] = key
            records += [{**{f: v for f, v in leading.items() if f not in child}, **child}
                        for child in _served(harness, resource, path)]
        return records
    return _served(harness, resource, resource.path)


def reads_incrementally(resource: Resource, spec: Spec = SPEC) -> bool:
    """Whether a read keeps a cursor: its own, or (read under a parent) its parent's."""
    top = lineage(spec, resource)[0] if resource.child else spec.parent_of(resource) if resource.flatten else None
    return bool(resource.incremental) or (top is not None and top.incremental is not None)


def key_of(record: dict, resource: Resource):
    """A record's whole key (the parent's key first, for records read under a parent)."""
    return tuple(record.get(field) for field in resource.key_fields)


def _served(harness: Harness, resource: Resource, path: str) -> list[dict]:
    params = {k: v for k, v in resource.read.get("params", {}).items()}
    url = harness.base_url + path
    auth = (harness.api_key, "")
    if resource.single_object:
        return [requests.get(url, params=params, auth=auth, timeout=HTTP_TIMEOUT).json()]
    records: list[dict] = []
    while True:
        page = requests.get(url, params={**params, "skip": len(records), "top": 500}, auth=auth,
                            timeout=HTTP_TIMEOUT)
        assert page.status_code == 200, f"{resource.path}: {page.status_code} {page.text[:200]}"
        records += page.json()
        if len(page.json()) < 500:
            return records


def read_lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()] if path.exists() else []


def keys(records: list[dict], resource: Resource) -> list[Any]:
    return [key_of(record, resource) for record in records]

