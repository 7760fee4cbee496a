"""Child streams (read under each parent record) and flattened streams (a parent's nested array), through
the real runner over HTTP to the harness: what a full and an incremental read cost and return, that they
are opt-in, that a spent quota stops at a parent and the next run resumes with nothing lost or repeated,
and that a flattened stream read with its parent costs no request."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
import requests
import yaml

from insightly_connector.errors import ExitCode, QuotaExhausted
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import UnlimitedLimiter
from insightly_connector.platforms.singer.catalog import singer_catalog
from insightly_connector.protocols.progress import Progress
from insightly_connector.source.catalog import resolve_resources
from insightly_connector.source.discover import discover
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.loader import load_spec

CHILD = "contacts_file_attachments"
HTTP_TIMEOUT = 10


def children_served(harness, path_template: str, parent_collection: str, key_field: str) -> list[dict]:
    """Every child the harness serves under every parent, fetched directly (not by the runner)."""
    records = []
    for key in harness.ids(parent_collection):
        answer = requests.get(harness.base_url + path_template.format(key), auth=(harness.api_key, ""),
                              params={"top": 500}, timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text
        records += [{key_field: key, **child} for child in answer.json()]
    return records


def child_requests(harness, suffix: str = "/FileAttachments") -> list:
    return [e for e in harness.requests() if e.path.endswith(suffix)]


def add_attachment(harness, contact: int, name: str) -> dict:
    with harness.api.lock:
        return harness.api.children.add("FileAttachments", "Contacts", contact,
                                        {"FILE_NAME": name, "CONTENT_TYPE": "text/plain", "FILE_SIZE": 3})


def config_with(tmp_path: Path, resource: str | None = None, **child) -> Path:
    """connector.yaml unpaced (nothing here is about pacing), with one child stream's `child` block
    changed (schemas/ linked in beside it)."""
    source = load_spec().path
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    if resource is not None:
        document["resources"][resource]["child"].update(child)
    rate = document["http"]["rate_limit"]
    rate["requests_per_second"] = 1000
    rate["plans"] = {plan: 1000 for plan in rate.get("plans", {})}
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "schemas").symlink_to(source.resolve().parent / "schemas", target_is_directory=True)
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def spec_with(tmp_path: Path, resource: str, **child) -> object:
    return load_spec(config_with(tmp_path, resource, **child))


def test_child_streams_are_opt_in_and_discover_gives_their_cost(harness_factory, spec):
    with harness_factory(contacts=12) as harness:
        credential = load_credential({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}, spec)
        with Client(spec, credential, limiter=UnlimitedLimiter()) as client:
            chosen = resolve_resources(client, spec, None)
            default = {r.name for r in chosen}
            expanded = [r.name for r in resolve_resources(client, spec, ["custom_object_file_attachments"])]
            named = [r.name for r in resolve_resources(client, spec, [CHILD])]
            catalog = discover(client, spec, [CHILD, "contacts", "contacts_tags"])
    children = {r.name for r in spec.resources.values() if r.child}
    flattened = {r.name for r in spec.resources.values() if r.flatten}
    assert children and not children & default, "a child stream is in the default selection"
    assert not any(r.child for r in chosen) and expanded == ["fruit__c_file_attachments",
                                                             "shipment__c_file_attachments"]
    assert flattened <= default and named == [CHILD]
    entry = {e.name: e for e in catalog.entries}
    assert entry[CHILD].cost["parents"] == 12 and entry[CHILD].cost["requests"] == 13  # 12 parents + 1 page
    assert entry["contacts"].cost is None and entry["contacts_tags"].cost is None
    assert entry[CHILD].key_fields == ["CONTACT_ID", "FILE_ID"]
    singer = {s["tap_stream_id"]: s["metadata"][0]["metadata"] for s in singer_catalog(catalog.entries)["streams"]}
    assert singer[CHILD]["selected-by-default"] is False and singer["contacts"]["selected-by-default"] is True
    assert singer[CHILD]["table-key-properties"] == ["CONTACT_ID", "FILE_ID"]


def test_a_full_read_walks_every_parent_and_adds_its_key(harness_factory, read_in_process, tmp_path):
    with harness_factory(contacts=12) as harness:
        expected = children_served(harness, "/Contacts/{}/FileAttachments", "Contacts", "CONTACT_ID")
        harness.clear_requests()
        result = read_in_process(harness, [CHILD], state_path=tmp_path / "state.json")
        asked = child_requests(harness)
    assert result.report.error is None and result.report.resources[0].status == "complete"
    assert expected, "the harness serves no attachment: the test would prove nothing"
    assert result.lines() == expected  # parent order, each child once, the parent's key first
    assert len(asked) == 12 and result.report.resources[0].requests == 13
    assert all(e.query.get("updated_after_utc") is None for e in asked)


def test_the_start_of_a_read_says_what_it_will_cost(harness_factory, spec, tmp_path):
    from insightly_connector.protocols.emitters import make_emitter
    from insightly_connector.redaction import process_redactor
    from insightly_connector.source.read import read

    with harness_factory(contacts=12, daily_quota=5) as harness:
        credential = load_credential({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}, spec)
        said = io.StringIO()
        with Client(spec, credential, limiter=UnlimitedLimiter()) as client:
            read(client, spec, [CHILD], emitter=make_emitter("jsonl", process_redactor, stdout=io.BytesIO()),
                 progress=Progress(said, tty=False))
    text = said.getvalue()
    assert f"{CHILD}: about 13 requests (12 parents, one request each, plus 1 page of parents" in text
    assert "only 4 requests are left today" in text  # the quota, after the first page


def test_an_incremental_read_asks_only_for_the_changed_parents(harness_factory, read_in_process, tmp_path):
    state = tmp_path / "state.json"
    with harness_factory(contacts=40) as harness:
        read_in_process(harness, [CHILD], state_path=state)
        harness.advance_clock(5)
        changed = harness.ids("Contacts")[3:6]
        for key in changed:
            harness.update("Contacts", key, {"BACKGROUND": "changed"})
        new = add_attachment(harness, changed[0], "fresh.txt")
        harness.advance_clock(5)
        harness.clear_requests()
        result = read_in_process(harness, [CHILD], state_path=state)
        asked = child_requests(harness)
        searches = [e for e in harness.requests() if e.path == "/Contacts/Search"]
    assert result.report.resources[0].mode == "incremental"
    assert sorted(int(e.path.split("/")[2]) for e in asked) == sorted(changed), "walked more than the changed parents"
    assert len(searches) == 1 and result.report.resources[0].requests == 1 + len(changed)
    assert all(e.query.get("updated_after_utc") for e in asked), "the child route's own filter was not sent"
    assert result.lines() == [{"CONTACT_ID": changed[0], **new}]


def test_a_child_change_that_leaves_its_parent_alone(harness_factory, read_in_process, tmp_path):
    """`parents: changed` reads a new attachment only when it moves its parent's updated date (the harness
    option says whether it does); `parents: all` reads it either way, at one request per parent."""
    every_parent = spec_with(tmp_path / "all", CHILD, parents="all")
    found = {}
    for touches in (False, True):
        for spec_name, chosen in (("changed", None), ("all", every_parent)):
            state = tmp_path / f"state-{touches}-{spec_name}.json"
            with harness_factory(contacts=10) as harness:
                harness.set_option("child_changes_touch_parent", touches)
                extra = {"with_spec": chosen} if chosen is not None else {}
                read_in_process(harness, [CHILD], state_path=state, **extra)
                harness.advance_clock(5)
                contact = harness.ids("Contacts")[2]
                new = add_attachment(harness, contact, "quiet.txt")
                harness.advance_clock(5)
                harness.clear_requests()
                result = read_in_process(harness, [CHILD], state_path=state, **extra)
                read_new = result.lines() == [{"CONTACT_ID": contact, **new}]
                found[touches, spec_name] = (read_new, len(result.lines()), len(child_requests(harness)))
    assert found[False, "changed"] == (False, 0, 0), "missed, as the docs say: the parent did not change"
    assert found[True, "changed"] == (True, 1, 1)
    assert found[False, "all"] == (True, 1, 10) and found[True, "all"] == (True, 1, 10)


def test_a_spent_quota_stops_at_a_parent_and_the_next_run_resumes_there(harness_factory, read_in_process, tmp_path):
    state = tmp_path / "state.json"
    with harness_factory(contacts=30) as harness:
        expected = children_served(harness, "/Contacts/{}/FileAttachments", "Contacts", "CONTACT_ID")
        harness.clear_requests()
        harness.set_quota_remaining(9)  # the parents' page and 8 parents' children
        stopped = read_in_process(harness, [CHILD], state_path=state)
        saved = orjson.loads(state.read_bytes())["resources"][CHILD]["in_progress"]
        harness.reset_quota()
        harness.clear_requests()
        resumed = read_in_process(harness, [CHILD], state_path=state)
        final = orjson.loads(state.read_bytes())["resources"][CHILD]
        asked_again = [int(e.path.split("/")[2]) for e in child_requests(harness)]
        contacts = harness.ids("Contacts")
    assert isinstance(stopped.report.error, QuotaExhausted) and stopped.report.exit_code == ExitCode.QUOTA
    assert stopped.report.resources[0].status == "stopped"
    assert saved["position"] == contacts.index(saved["last_pk"]), "state is not positioned at a parent"
    assert resumed.report.exit_code == 0 and resumed.report.resources[0].resumed
    assert stopped.lines() + resumed.lines() == expected, "lost or repeated children across the stop"
    assert sorted(asked_again) == [c for c in contacts if c > saved["last_pk"]], "the resume asked a parent again"
    assert "in_progress" not in final and final["cursor"]


def test_a_flattened_stream_read_with_its_parent_costs_no_request(harness_factory, read_in_process, tmp_path):
    with harness_factory(contacts=30) as harness:
        alone = read_in_process(harness, ["contacts"], state_path=tmp_path / "alone.json")
        together = read_in_process(harness, ["contacts", "contacts_tags"], state_path=tmp_path / "both.json")
        apart = read_in_process(harness, ["contacts_tags"], state_path=tmp_path / "apart.json")
    contacts = alone.lines()
    tags = [{"CONTACT_ID": c["CONTACT_ID"], **tag} for c in contacts for tag in c["TAGS"]]
    assert tags, "no contact has a tag: the test would prove nothing"
    assert together.client_stats["requests"] == alone.client_stats["requests"]
    assert together.lines() == contacts + tags  # one page of contacts, then its tags
    assert [r.requests for r in together.report.resources] == [alone.report.resources[0].requests, 0]
    assert apart.lines() == tags and apart.client_stats["requests"] == alone.client_stats["requests"]
    both = orjson.loads((tmp_path / "both.json").read_bytes())["resources"]
    assert both["contacts_tags"] == both["contacts"] and both["contacts"]["cursor"]


@pytest.mark.parametrize("stream, suffix", [("opportunities_state_history", "/StateHistory"),
                                            ("contacts_follow_state", "/Follow"),
                                            ("prospects_static_list_memberships", "/StaticListMembership"),
                                            ("notes_comment", "/Comment")])
def test_unpaged_and_single_object_children(harness_factory, read_in_process, stream, suffix, spec):
    resource = spec.resources[stream]
    parent = spec.resources[resource.child.parent]
    with harness_factory(contacts=12) as harness:
        result = read_in_process(harness, [stream])
        parents = harness.ids(parent.path.strip("/"))
        asked = child_requests(harness, suffix)
    rows = result.lines()
    assert result.report.error is None and rows
    assert len(asked) == len(parents) and all(not e.query for e in asked), "an unpaged route was sent paging"
    assert {row[resource.child.parent_key_field] for row in rows} <= set(parents)
    keys = [tuple(row[f] for f in resource.key_fields) for row in rows]
    assert len(keys) == len(set(keys))


class Killed(BaseException):
    """Stands for a kill: not an Exception, so nothing in the runner handles it."""


def test_a_killed_child_read_resumes_with_each_child_once_in_the_file(harness_factory, monkeypatch, tmp_path):
    """Killed part way (after a state was saved, with children written past it), the next run cuts the
    output file back to the saved point and goes on from the saved parent: each child once in the file."""
    from insightly_connector.api import Connector
    from insightly_connector.source import read as read_module

    monkeypatch.setattr(read_module, "CHILD_CHECKPOINT_SECONDS", 0.0)  # save after every parent
    state, out = tmp_path / "state.json", tmp_path / "out"
    with harness_factory(contacts=30) as harness:
        expected = children_served(harness, "/Contacts/{}/FileAttachments", "Contacts", "CONTACT_ID")
        credential = {"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}
        with Connector(credential, config=config_with(tmp_path / "config")) as connector:
            real, asked = connector.client.request, []

            def request(method, path, *args, **kwargs):
                if path.endswith("/FileAttachments"):
                    asked.append(path)
                    if len(asked) > 12:
                        raise Killed()
                return real(method, path, *args, **kwargs)

            connector.client.request = request
            with pytest.raises(Killed):
                connector.read([CHILD], output_dir=out, state_path=state)
            del connector.client.request
            written = (out / f"{CHILD}.jsonl").read_bytes().count(b"\n")
            saved = orjson.loads(state.read_bytes())["resources"][CHILD]["in_progress"]
            connector.read([CHILD], output_dir=out, state_path=state)
    rows = [orjson.loads(line) for line in (out / f"{CHILD}.jsonl").read_bytes().splitlines()]
    assert 0 < written < len(expected) and saved["last_pk"] in harness.ids("Contacts")
    assert rows == expected, "a child lost or repeated across the kill"


def test_a_flattened_stream_read_apart_rides_again_after_a_full_refresh_of_both(harness_factory, read_in_process,
                                                                             tmp_path):
    """Read apart once, a flattened stream keeps a state of its own and walks its parent's list itself;
    a full refresh of both together brings their states (and the walk) together again."""
    state = tmp_path / "state.json"
    with harness_factory(contacts=12) as harness:
        read_in_process(harness, ["contacts"], state_path=state)
        harness.advance_clock(5)
        apart = read_in_process(harness, ["contacts", "contacts_tags"], state_path=state)
        together = read_in_process(harness, ["contacts", "contacts_tags"], state_path=state, full_refresh=True)
        resources = orjson.loads(state.read_bytes())["resources"]
    assert [r.requests > 0 for r in apart.report.resources] == [True, True], "read apart: a walk each"
    assert [r.requests > 0 for r in together.report.resources] == [True, False], "a full refresh of both: one walk"
    assert resources["contacts_tags"] == resources["contacts"]


def test_the_new_collections_are_skipped_where_the_plan_lacks_them(harness_factory, read_in_process):
    """The community collections are plan-dependent (api-notes §2.1): a reported skip, as for tickets; the
    other new collections and a child of a parent the plan lacks follow the same rule."""
    names = ["community_forums", "community_posts", "community_comments", "forum_categories",
             "document_templates", "follows", "marketing_visits", "permissions", "tickets_comments"]
    with harness_factory(contacts=12, plan="professional") as harness:
        result = read_in_process(harness, names)
    status = {r.name: r.status for r in result.report.resources}
    assert status == {**{name: "skipped" for name in names[:4]}, **{name: "complete" for name in names[4:8]},
                      "tickets_comments": "skipped"}
    assert result.report.error is None


def test_a_resumed_read_counts_only_the_parents_left(harness_factory, read_in_process, spec, tmp_path):
    from insightly_connector.protocols.emitters import make_emitter
    from insightly_connector.redaction import process_redactor
    from insightly_connector.source.read import read

    state = tmp_path / "state.json"
    with harness_factory(contacts=12) as harness:
        harness.set_quota_remaining(6)
        read_in_process(harness, [CHILD], state_path=state)
        done = orjson.loads(state.read_bytes())["resources"][CHILD]["in_progress"]["position"] + 1
        harness.reset_quota()
        credential = load_credential({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}, spec)
        said = io.StringIO()
        with Client(spec, credential, limiter=UnlimitedLimiter()) as client:
            read(client, spec, [CHILD], emitter=make_emitter("jsonl", process_redactor, stdout=io.BytesIO()),
                 state_path=str(state), progress=Progress(said, tty=False))
    assert f"about {12 - done + 1} requests ({12 - done} parents" in said.getvalue()
    assert f"resuming after {done} of 12 parents" in said.getvalue()


def test_platform_catalogs_offer_incremental_where_the_parent_has_a_cursor(harness_factory, spec, tmp_path):
    """A stream read under a parent carries no cursor of its own: Airbyte gets a source-defined cursor
    without a field, Singer a forced INCREMENTAL without a replication key (the bookmark is the parent's, in
    STATE), and a Singer catalog selecting it reads it incrementally; under a parent without a cursor
    (e-mails) it is full refresh only."""
    import json

    from insightly_connector.platforms.singer.catalog import load_selection
    from insightly_connector.protocols.emitters import airbyte_stream

    names = [CHILD, "contacts_tags", "emails_comments"]
    with harness_factory(contacts=12) as harness:
        credential = load_credential({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}, spec)
        with Client(spec, credential, limiter=UnlimitedLimiter()) as client:
            entries = discover(client, spec, names).entries
    airbyte = {entry.name: airbyte_stream(entry) for entry in entries}
    singer = singer_catalog(entries)
    for name in (CHILD, "contacts_tags"):
        assert airbyte[name]["supported_sync_modes"] == ["full_refresh", "incremental"]
        assert airbyte[name]["source_defined_cursor"] is True and "default_cursor_field" not in airbyte[name]
    assert airbyte["emails_comments"]["supported_sync_modes"] == ["full_refresh"]
    methods = {s["tap_stream_id"]: s["replication_method"] for s in singer["streams"]}
    assert methods == {CHILD: "INCREMENTAL", "contacts_tags": "INCREMENTAL", "emails_comments": "FULL_TABLE"}
    for stream in singer["streams"]:
        stream["metadata"][0]["metadata"]["selected"] = True
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(singer), encoding="utf-8")
    selection = load_selection(path)
    assert selection.names == names and selection.full_refresh == {"emails_comments"}


def test_an_incremental_state_history_read_gives_only_the_new_state_changes(harness_factory, read_in_process,
                                                                            tmp_path):
    """A state change (PUT /StateChange) moves the opportunity, so its history is walked again; the
    history's own DATE_CHANGED_UTC keeps only the changes since the cursor."""
    state, stream = tmp_path / "state.json", "opportunities_state_history"
    with harness_factory(contacts=20) as harness:
        first = read_in_process(harness, [stream], state_path=state)
        harness.advance_clock(5)
        opportunity = harness.ids("Opportunities")[1]
        answer = requests.put(f"{harness.base_url}/Opportunities/{opportunity}/StateChange",
                              json={"FOR_OPPORTUNITY_STATE": "WON"}, auth=(harness.api_key, ""),
                              timeout=HTTP_TIMEOUT)
        harness.advance_clock(5)
        second = read_in_process(harness, [stream], state_path=state)
    assert answer.status_code < 300, answer.text
    assert len(first.lines()) > len(harness.ids("Opportunities"))  # one to three changes each
    rows = second.lines()
    assert [(row["OPPORTUNITY_ID"], row["FOR_OPPORTUNITY_STATE"]) for row in rows] == [(opportunity, "WON")]
    assert second.report.resources[0].requests == 2  # the search page and the one opportunity's history


def test_children_at_the_boundary_are_remembered_by_their_whole_key(harness_factory, read_in_process, tmp_path):
    """Two opportunities change state in the same second, at or after a read's start: the next read
    walks both again (their updated date is that late too) and must emit neither a second time, although
    the two entries share their own key (DATE_CHANGED_UTC)."""
    state, stream = tmp_path / "state.json", "opportunities_state_history"
    with harness_factory(contacts=20) as harness:
        read_in_process(harness, [stream], state_path=state)
        late = (harness.now() + timedelta(seconds=120)).strftime("%Y-%m-%d %H:%M:%S")
        both = harness.ids("Opportunities")[:2]
        with harness.api.lock:
            for opportunity in both:
                harness.api.children.add("StateHistory", "Opportunities", opportunity, {
                    "OPPORTUNITY_ID": opportunity, "DATE_CHANGED_UTC": late, "FOR_OPPORTUNITY_STATE": "LOST",
                    "STATE_REASON_ID": None, "STATE_REASON": None})
        for opportunity in both:
            harness.update("Opportunities", opportunity, {"DATE_UPDATED_UTC": late})
        harness.advance_clock(5)
        second = read_in_process(harness, [stream], state_path=state)
        harness.advance_clock(5)
        third = read_in_process(harness, [stream], state_path=state)
    assert sorted(row["OPPORTUNITY_ID"] for row in second.lines()) == sorted(both)
    assert third.report.resources[0].requests == 3, "both opportunities were not walked again"
    assert third.lines() == [], "a state change at the boundary came twice"
