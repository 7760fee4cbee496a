"""A child stream whose parent is itself a child stream (a comment's file attachments: each note, its
comments, each comment's files), through the real runner over HTTP to the harness: every record carries
the note's, the comment's and its own key; the cost is said as a floor with what multiplies it; a spent
quota stops cleanly (exit 4) anywhere, even part way through a note's comments, and the next run resumes
there with nothing lost or repeated; an incremental read walks only what changed, level by level."""

from __future__ import annotations

import orjson
import pytest
import requests

from insightly_connector.errors import ConfigError, ExitCode, QuotaExhausted
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import UnlimitedLimiter
from insightly_connector.platforms.singer.catalog import singer_catalog
from insightly_connector.source.discover import discover
from insightly_connector.spec.credential import load_credential

from .test_child_streams import spec_with

STREAM = "notes_comments_file_attachments"
HTTP_TIMEOUT = 10


def served(harness) -> tuple[list[dict], list[tuple[int, int]]]:
    """Every attachment of every comment of every note, fetched directly (not by the runner), with the
    note's and the comment's keys; and the (note, comment) pairs walked."""
    auth = (harness.api_key, "")
    records, comments = [], []
    for note in harness.ids("Notes"):
        answer = requests.get(f"{harness.base_url}/Notes/{note}/Comments", auth=auth, params={"top": 500},
                              timeout=HTTP_TIMEOUT)
        assert answer.status_code == 200, answer.text
        for comment in answer.json():
            comments.append((note, comment["COMMENT_ID"]))
            files = requests.get(f"{harness.base_url}/Comments/{comment['COMMENT_ID']}/FileAttachments", auth=auth,
                                 params={"top": 500}, timeout=HTTP_TIMEOUT)
            assert files.status_code == 200, files.text
            records += [{"NOTE_ID": note, "COMMENT_ID": comment["COMMENT_ID"], **item} for item in files.json()]
    return records, comments


def comment_requests(harness) -> list[int]:
    return [int(e.path.split("/")[2]) for e in harness.requests() if e.path.startswith("/Comments/")]


def add_comment_file(harness, note: int, comment: int, name: str) -> dict:
    with harness.api.lock:
        return harness.api.children.add("FileAttachments", "Comments", comment,
                                        {"FILE_NAME": name, "CONTENT_TYPE": "text/plain", "FILE_SIZE": 3})


def test_discover_gives_three_keys_and_a_cost_floor(harness_factory, spec):
    with harness_factory(contacts=5) as harness:
        credential = load_credential({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}, spec)
        with Client(spec, credential, limiter=UnlimitedLimiter()) as client:
            catalog = discover(client, spec, [STREAM, "notes_comments"])
        notes = len(harness.ids("Notes"))
    entry = {e.name: e for e in catalog.entries}
    assert entry[STREAM].key_fields == ["NOTE_ID", "COMMENT_ID", "FILE_ID"]
    cost = entry[STREAM].cost
    assert cost["parent"] == "notes" and cost["parents"] == notes and cost["requests"] == notes + 1
    assert cost["requests_are_a_floor"] and cost["levels"] == 2
    assert cost["text"].startswith(f"at least {notes + 1} requests") and f"at 2 each, {3 * notes + 1} requests" \
        in cost["text"]
    assert "requests_are_a_floor" not in entry["notes_comments"].cost
    assert entry[STREAM].capabilities["incremental"], "the notes' cursor bounds an incremental read"
    singer = {s["tap_stream_id"]: s["metadata"][0]["metadata"] for s in singer_catalog(catalog.entries)["streams"]}
    assert singer[STREAM]["selected-by-default"] is False
    assert singer[STREAM]["table-key-properties"] == ["NOTE_ID", "COMMENT_ID", "FILE_ID"]


def test_a_full_read_walks_notes_then_comments_then_files(harness_factory, read_in_process, tmp_path):
    with harness_factory(contacts=5) as harness:
        expected, comments = served(harness)
        harness.clear_requests()
        result = read_in_process(harness, [STREAM], state_path=tmp_path / "state.json")
        asked = comment_requests(harness)
        notes = len(harness.ids("Notes"))
    assert expected and len(comments) > notes // 2, "too few comments or files: the test would prove little"
    assert result.report.error is None and result.report.resources[0].status == "complete"
    assert result.lines() == expected  # note order, then comment order; the note's and comment's keys first
    assert sorted(asked) == sorted(c for _, c in comments), "each comment's files asked once"
    assert result.report.resources[0].requests == 1 + notes + len(comments)


def test_a_spent_quota_stops_anywhere_and_the_next_run_resumes_there(harness_factory, read_in_process, tmp_path):
    """Every stopping point of a small read: before the notes, between notes, and part way through one
    note's comments (the state's `within`). Each time the two runs together give every file once."""
    part_way = 0
    with harness_factory(contacts=5) as harness:
        expected, comments = served(harness)
        total = 1 + len(harness.ids("Notes")) + len(comments)
        for quota in range(1, total):
            state = tmp_path / f"state-{quota}.json"
            harness.reset_quota()
            harness.set_quota_remaining(quota)
            harness.clear_requests()
            stopped = read_in_process(harness, [STREAM], state_path=state)
            saved = orjson.loads(state.read_bytes())["resources"].get(STREAM, {}).get("in_progress", {}) \
                if state.exists() else {}  # stopped before any note was done: nothing to save
            harness.reset_quota()
            harness.clear_requests()
            resumed = read_in_process(harness, [STREAM], state_path=state)
            asked_again = set(comment_requests(harness))
            final = orjson.loads(state.read_bytes())["resources"][STREAM]
            assert isinstance(stopped.report.error, QuotaExhausted) and stopped.report.exit_code == ExitCode.QUOTA
            assert resumed.report.exit_code == 0, resumed.report.error
            assert stopped.lines() + resumed.lines() == expected, f"quota {quota}: lost or repeated files"
            done_before = {line["COMMENT_ID"] for line in stopped.lines()}
            assert not done_before & asked_again, f"quota {quota}: a comment written before was asked again"
            assert "in_progress" not in final and final["cursor"]
            if saved.get("within"):
                part_way += 1
                [[note, comment, count]] = saved["within"]
                assert (note, comment) in comments and count >= 1
    assert part_way, "no stop fell part way through a note's comments: the within path was not exercised"


def test_an_incremental_read_walks_only_what_changed_level_by_level(harness_factory, read_in_process, tmp_path):
    """A file added to a comment moves the comment and its note when the harness says child changes touch
    their parent: the next read asks the notes' search, the one note's changed comments, and that
    comment's new files: three requests, not one per note and comment."""
    state = tmp_path / "state.json"
    with harness_factory(contacts=5) as harness:
        harness.set_option("child_changes_touch_parent", True)
        read_in_process(harness, [STREAM], state_path=state)
        _, comments = served(harness)
        note, comment = comments[len(comments) // 2]
        harness.advance_clock(5)
        new = add_comment_file(harness, note, comment, "fresh.txt")
        harness.advance_clock(5)
        harness.clear_requests()
        result = read_in_process(harness, [STREAM], state_path=state)
        asked = [(e.path, e.query) for e in harness.requests()]
    assert result.report.resources[0].mode == "incremental"
    assert result.lines() == [{"NOTE_ID": note, "COMMENT_ID": comment, **new}]
    assert [path for path, _ in asked] == ["/Notes/Search", f"/Notes/{note}/Comments",
                                           f"/Comments/{comment}/FileAttachments"]
    assert all(query.get("updated_after_utc") for _, query in asked), "a level's own filter was not sent"


def test_a_change_that_moves_no_parent_is_read_by_parents_all(harness_factory, read_in_process, tmp_path):
    """Where a file added to a comment moves neither the comment nor its note, `parents: changed` misses it
    (as the docs say) and `parents: all` reads it, at one request per note and per comment."""
    every = spec_with(tmp_path / "all", STREAM, parents="all")
    found = {}
    for name, extra in (("changed", {}), ("all", {"with_spec": every})):
        state = tmp_path / f"state-{name}.json"
        with harness_factory(contacts=5) as harness:
            read_in_process(harness, [STREAM], state_path=state, **extra)
            _, comments = served(harness)
            note, comment = comments[0]
            harness.advance_clock(5)
            new = add_comment_file(harness, note, comment, "quiet.txt")
            harness.advance_clock(5)
            harness.clear_requests()
            result = read_in_process(harness, [STREAM], state_path=state, **extra)
            found[name] = (result.lines() == [{"NOTE_ID": note, "COMMENT_ID": comment, **new}],
                           len(result.lines()), len(comment_requests(harness)), len(comments))
    assert found["changed"][:3] == (False, 0, 0), "missed, as the docs say: no parent changed"
    read_new, count, asked, comment_count = found["all"]
    assert read_new and count == 1 and asked == comment_count


def test_a_malformed_place_within_a_parent_is_refused_before_any_request(harness_factory, read_in_process, tmp_path):
    state = tmp_path / "state.json"
    state.write_bytes(orjson.dumps({"version": 1, "resources": {STREAM: {"in_progress": {
        "mode": "full", "position": 0, "last_pk": None, "within": [[1, 2]]}}}}))
    with harness_factory(contacts=2) as harness:
        harness.clear_requests()
        with pytest.raises(ConfigError, match=r"in_progress\.within must be a list of \["):
            read_in_process(harness, [STREAM], state_path=state)
        assert harness.requests() == []


def test_a_resume_after_the_last_comment_done_was_deleted_loses_nothing(harness_factory, read_in_process, tmp_path):
    """Stopped part way through a note's comments, then the last comment done is deleted: the next run
    skips the comments done before it (by their count) and reads every file of the rest."""
    checked = 0
    with harness_factory(contacts=5) as harness:
        expected, comments = served(harness)
        total = 1 + len(harness.ids("Notes")) + len(comments)
        for quota in range(2, total):
            state = tmp_path / f"state-{quota}.json"
            harness.reset_quota()
            harness.set_quota_remaining(quota)
            stopped = read_in_process(harness, [STREAM], state_path=state)
            within = orjson.loads(state.read_bytes())["resources"][STREAM]["in_progress"].get("within") \
                if state.exists() else None
            if not within:
                continue
            [[note, gone, count]] = within
            with harness.api.lock:
                removed = harness.api.children.remove("Comments", "Notes", note, gone)
            harness.reset_quota()
            resumed = read_in_process(harness, [STREAM], state_path=state)
            left = [r for r in expected if r["COMMENT_ID"] != gone]
            got = [r for r in stopped.lines() + resumed.lines() if r["COMMENT_ID"] != gone]
            assert removed and count >= 1 and got == left, f"quota {quota}: a file lost or repeated"
            checked += 1
            break
    assert checked, "no stop fell part way through a note's comments"


def test_the_floor_said_at_the_start_is_measured_once_the_first_parents_are_read(harness_factory, spec, monkeypatch):
    """The start can only give a floor (no list counts the comments in advance); after the first notes the
    read says the estimate again with their comments counted: notes x comments per note, plus the floor."""
    import io

    from insightly_connector.protocols.emitters import make_emitter
    from insightly_connector.protocols.progress import Progress
    from insightly_connector.redaction import process_redactor
    from insightly_connector.source import children
    from insightly_connector.source.read import read

    monkeypatch.setattr(children, "SAMPLED_PARENTS", 4)
    with harness_factory(contacts=5) as harness:
        _, comments = served(harness)
        notes = harness.ids("Notes")
        under_first = sum(1 for note, _ in comments if note in notes[:4])
        credential = load_credential({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}, spec)
        said = io.StringIO()
        with Client(spec, credential, limiter=UnlimitedLimiter()) as client:
            report = read(client, spec, [STREAM], emitter=make_emitter("jsonl", process_redactor, stdout=io.BytesIO()),
                          progress=Progress(said, tty=False))
    assert report.error is None
    floor = f"{STREAM}: at least {len(notes) + 1} requests"
    measured = (f"{STREAM}: {under_first / 4:.2f} records under each of the first 4 top-level parents: about "
                f"{len(notes) + 1 + round(len(notes) * under_first / 4)} requests in all")
    text = said.getvalue()
    assert floor in text and measured in text and text.index(floor) < text.index(measured), text


def test_parents_that_lead_back_to_the_stream_are_a_config_error(tmp_path):
    import yaml

    from insightly_connector.spec.loader import load_spec

    from .test_child_streams import config_with

    path = config_with(tmp_path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["resources"]["notes_comments"]["child"]["parent"] = STREAM
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"resources\.\w+\.child\.parent: \w+: its parents lead back to"):
        load_spec(path)
