"""`tap-insightly`, the Singer tap: the Singer SDK's own classes (singer_sdk.singerlib Catalog, MetadataMapping,
RecordMessage, SchemaMessage, StateMessage) parse its catalog and its messages; discovery lines stay under the
64 KiB Meltano reads them with; selection and replication methods; state `{}` and the round trip; a STATE
after the last RECORD; `--about`."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator, FormatChecker
from singer_sdk.singerlib import Catalog, RecordMessage, SchemaMessage, StateMessage

from insightly_connector.harness import Harness
from insightly_connector.platforms.singer.tap import main

from .conftest import CONTACTS

MELTANO_LINE_LIMIT = 64 * 1024
PLUGIN = Path(__file__).resolve().parents[2] / "meltano" / "extractors" / "tap-insightly" / "insightly-connector.yml"
PARSERS = {"RECORD": RecordMessage, "SCHEMA": SchemaMessage, "STATE": StateMessage}


def singer_messages(run) -> list:
    """Every stdout line as the SDK's message object (a target reads them so)."""
    parsed = []
    for line in run.lines():
        data = json.loads(line)
        parsed.append(PARSERS[data["type"]].from_dict(data))
    return parsed


@pytest.fixture(scope="module")
def discovery(tmp_path_factory) -> bytes:
    config = tmp_path_factory.mktemp("discover") / "config.json"
    with Harness(contacts=CONTACTS, rate_limit_per_second=None) as harness:
        config.write_text(json.dumps({"api_key": harness.api_key, "base_url": harness.base_url}))
        out = io.TextIOWrapper(io.BytesIO())
        with contextlib.redirect_stdout(out):
            code = main(["--config", str(config), "--discover"])
        out.flush()
    assert code == 0
    return out.buffer.getvalue()


def selecting(discovery: bytes, tmp_path, streams: dict[str, str]):
    """The discovered catalog with only `streams` selected (name -> replication method), as Meltano writes it."""
    document = json.loads(discovery)
    for stream in document["streams"]:
        top = next(m for m in stream["metadata"] if m["breadcrumb"] == [])["metadata"]
        top["selected"] = stream["tap_stream_id"] in streams
        if top["selected"]:
            top["replication-method"] = streams[stream["tap_stream_id"]]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document))
    return path


def test_discovery_is_a_singer_catalog_in_short_lines(discovery, harness):
    lines = discovery.splitlines()
    assert len(lines) > 100 and max(len(line) for line in lines) < MELTANO_LINE_LIMIT
    catalog = Catalog.from_dict(json.loads(discovery))
    contacts = catalog.get_stream("contacts")
    assert contacts.key_properties == ["CONTACT_ID"] and contacts.replication_key == "DATE_UPDATED_UTC"
    assert contacts.replication_method == "INCREMENTAL"
    top = contacts.metadata.root
    assert top.inclusion == "available" and top.selected_by_default is True
    assert top.valid_replication_keys == ["DATE_UPDATED_UTC"] and top.table_key_properties == ["CONTACT_ID"]
    assert contacts.metadata[("properties", "CONTACT_ID")].inclusion == "automatic"
    assert contacts.metadata[("properties", "FIRST_NAME")].inclusion == "available"
    mask = contacts.metadata.resolve_selection()
    assert mask[()] is True and mask[("properties", "FIRST_NAME")] is True  # selected by default
    updated = contacts.schema.to_dict()["properties"]["DATE_UPDATED_UTC"]
    assert updated["format"] == "date-time" and "airbyte_type" not in updated
    countries = catalog.get_stream("countries")
    assert countries.metadata.root.forced_replication_method == "FULL_TABLE"
    assert {name.lower() for name in harness.custom_objects} <= set(catalog)


def test_read_selected_streams_with_state_round_trip(run_main, config_file, discovery, harness, tmp_path):
    catalog = selecting(discovery, tmp_path, {"contacts": "INCREMENTAL", "countries": "FULL_TABLE",
                                              "organisations": "FULL_TABLE"})
    empty = tmp_path / "state.json"
    empty.write_text("{}")
    first = run_main(main, "--config", config_file(), "--catalog", catalog, "--state", empty)
    assert first.returncode == 0, first.stderr
    messages = singer_messages(first)
    schemas = {m.stream: m for m in messages if isinstance(m, SchemaMessage)}
    records = [m for m in messages if isinstance(m, RecordMessage)]
    assert set(schemas) == {r.stream for r in records} == {"contacts", "countries", "organisations"}
    assert sum(r.stream == "contacts" for r in records) == harness.count("Contacts")
    validators = {name: Draft7Validator(s.schema, format_checker=FormatChecker()) for name, s in schemas.items()}
    for record in records:  # typed dates: RFC 3339 values that validate as `date-time`
        assert not list(validators[record.stream].iter_errors(record.record)), record.record
        assert record.time_extracted is not None and record.time_extracted.tzinfo is not None
    assert isinstance(messages[-1], StateMessage)  # no RECORD after the last STATE
    for stream in schemas:  # a STATE after each stream's records, the one-request stream's too
        last_record = max(i for i, m in enumerate(messages) if isinstance(m, RecordMessage) and m.stream == stream)
        assert any(isinstance(m, StateMessage) for m in messages[last_record + 1:])
    state = messages[-1].value

    harness.advance_clock(5)
    changed = harness.ids("Contacts")[2]
    harness.update("Contacts", changed, {"FIRST_NAME": "Changed"})
    saved = tmp_path / "state2.json"
    saved.write_text(json.dumps(state))  # what target-jsonl echoes and Meltano passes back
    second = run_main(main, "--config", config_file(), "--properties", catalog, "--state", saved)
    assert second.returncode == 0, second.stderr
    again = [m for m in singer_messages(second) if isinstance(m, RecordMessage)]
    assert [r.record["CONTACT_ID"] for r in again if r.stream == "contacts"] == [changed]
    assert sum(r.stream == "organisations" for r in again) == harness.count("Organisations")  # FULL_TABLE


def test_no_catalog_reads_every_stream_and_ends_with_state(run_main, config_file, harness):
    later = (datetime.now(timezone.utc) + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")  # a day ahead is refused
    done = run_main(main, "--config", config_file(start_date=later))  # incremental streams: nothing new
    assert done.returncode == 0, done.stderr
    messages = singer_messages(done)
    assert isinstance(messages[-1], StateMessage)
    assert {m.stream for m in messages if isinstance(m, SchemaMessage)} >= {"contacts", "countries", "fruit__c"}
    assert not [m for m in messages if isinstance(m, RecordMessage) and m.stream == "contacts"]
    assert harness.api_key.encode() not in done.stdout + done.stderr


@pytest.mark.parametrize(("problem", "code"), [("bad state", 2), ("refused key", 1)])
def test_errors_are_one_line_on_stderr(run_main, config_file, tmp_path, problem, code):
    state = tmp_path / "state.json"
    state.write_text('{"bookmarks": {}}' if problem == "bad state" else "{}")
    config = config_file(api_key="not-the-key") if problem == "refused key" else config_file()
    done = run_main(main, "--config", config, "--state", state)
    assert done.returncode == code
    assert b"error: " in done.stderr and b"not-the-key" not in done.stdout + done.stderr
    assert all(json.loads(line)["type"] == "STATE" for line in done.lines())


def test_about_matches_the_meltano_plugin_definition(run_main):
    done = run_main(main, "--about", "--format", "json")
    assert done.returncode == 0
    about = json.loads(done.stdout)
    plugin = yaml.safe_load(PLUGIN.read_text(encoding="utf-8"))
    assert about["name"] == plugin["executable"] == "tap-insightly"
    assert sorted(about["capabilities"]) == sorted(plugin["capabilities"])
    assert {s["name"] for s in plugin["settings"]} <= set(about["settings"]["properties"])
    assert run_main(main, "--about").stdout.startswith(b"# `tap-insightly`")
