"""`source-insightly`, the Airbyte source: every stdout line of every command parses as an AirbyteMessage of
`airbyte-protocol-models-pdv2` (the models PyAirbyte parses with); the configured catalog, sync modes, state
`[]` and its round trip; a failed check; a TRACE ERROR on a fatal error; typed dates."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime

import jsonschema
import pytest
from airbyte_protocol.models import AirbyteMessage, ConfiguredAirbyteCatalog, Type

from insightly_connector.harness import Harness
from insightly_connector.platforms.airbyte.source import main

from .conftest import CONTACTS, Run

RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def messages(run) -> list[AirbyteMessage]:
    """Every stdout line is an Airbyte message (PyAirbyte only logs and drops a line that is not)."""
    return [AirbyteMessage.model_validate_json(line) for line in run.lines()]


def of_type(parsed: list[AirbyteMessage], kind: Type) -> list[AirbyteMessage]:
    return [m for m in parsed if m.type == kind]


def configured_catalog(tmp_path, catalog, streams: dict[str, str]):
    """A configured catalog as PyAirbyte writes it, for `streams` (name -> sync_mode)."""
    by_name = {s.name: s for s in catalog.streams}
    configured = ConfiguredAirbyteCatalog.model_validate({"streams": [
        {"stream": by_name[name].model_dump(exclude_none=True), "sync_mode": mode, "destination_sync_mode": "overwrite",
         "primary_key": by_name[name].source_defined_primary_key, "cursor_field": by_name[name].default_cursor_field}
        for name, mode in streams.items()]})
    path = tmp_path / "catalog.json"
    path.write_text(configured.model_dump_json(exclude_none=True))
    return path


def last_states(parsed: list[AirbyteMessage]) -> list[dict]:
    """The state list PyAirbyte keeps and passes back: the last STATE of each stream."""
    last = {}
    for message in of_type(parsed, Type.STATE):
        last[message.state.stream.stream_descriptor.name] = message.state.model_dump(mode="json", exclude_none=True)
    return list(last.values())


@pytest.fixture(scope="module")
def discovered(tmp_path_factory):
    """The catalog, discovered once per module (every harness serves the same collections)."""
    config = tmp_path_factory.mktemp("discover") / "config.json"
    with Harness(contacts=CONTACTS, rate_limit_per_second=None) as harness:
        config.write_text(json.dumps({"api_key": harness.api_key, "base_url": harness.base_url}))
        out = io.TextIOWrapper(io.BytesIO())
        with contextlib.redirect_stdout(out):
            code = main(["discover", "--config", str(config)])
        out.flush()
    assert code == 0
    [catalog] = of_type(messages(Run(code, out.buffer.getvalue(), b"")), Type.CATALOG)
    return catalog.catalog


def test_spec_declares_the_config_pyairbyte_validates(run_main, harness):
    done = run_main(main, "spec")
    assert done.returncode == 0
    [message] = messages(done)
    schema = message.spec.connectionSpecification
    assert schema["properties"]["api_key"]["airbyte_secret"] is True
    assert "start_date" in schema["properties"] and "name" not in schema["required"]
    config = {"api_key": harness.api_key, "base_url": harness.base_url, "start_date": "2024-01-01T00:00:00Z"}
    jsonschema.validate(config, schema)  # what PyAirbyte's set_config does before anything runs
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**config, "start_date": "yesterday"}, schema)


def test_check_succeeds_and_fails_with_exit_0(run_main, config_file, harness):
    ok = run_main(main, "check", "--config", config_file())
    wrong = run_main(main, "check", "--config", config_file(api_key="not-the-key"))
    broken = run_main(main, "check", "--config", config_file(api_key="has a space"))
    statuses = []
    for done in (ok, wrong, broken):
        assert done.returncode == 0, done.stderr
        [status] = of_type(messages(done), Type.CONNECTION_STATUS)
        statuses.append(status.connectionStatus.status.value)
    assert statuses == ["SUCCEEDED", "FAILED", "FAILED"]
    assert b"not-the-key" not in wrong.stdout + wrong.stderr
    assert harness.api_key.encode() not in ok.stdout + ok.stderr


def test_discover_types_dates_and_declares_cursors(discovered, harness):
    streams = {s.name: s for s in discovered.streams}
    contacts = streams["contacts"]
    updated = contacts.json_schema["properties"]["DATE_UPDATED_UTC"]
    assert updated["format"] == "date-time" and updated["airbyte_type"] == "timestamp_with_timezone"
    assert "pattern" not in updated
    assert contacts.source_defined_cursor and contacts.default_cursor_field == ["DATE_UPDATED_UTC"]
    assert contacts.source_defined_primary_key == [["CONTACT_ID"]]
    assert [m.value for m in streams["countries"].supported_sync_modes] == ["full_refresh"]
    for name in harness.custom_objects:  # custom objects are streams, their values in the schema's CUSTOMFIELDS
        assert "CUSTOMFIELDS" in streams[name.lower()].json_schema["properties"]


def test_read_honours_the_catalog_and_state_round_trips(run_main, config_file, discovered, harness, tmp_path):
    catalog = configured_catalog(tmp_path, discovered, {
        "contacts": "incremental", "countries": "incremental", "organisations": "full_refresh"})
    empty = tmp_path / "state.json"
    empty.write_text("[]")  # what PyAirbyte passes when it has no state
    first = run_main(main, "read", "--config", config_file(), "--catalog", catalog, "--state", empty)
    assert first.returncode == 0, first.stderr
    parsed = messages(first)
    records = [m.record for m in of_type(parsed, Type.RECORD)]
    assert {r.stream for r in records} == {"contacts", "countries", "organisations"}
    assert sum(r.stream == "contacts" for r in records) == harness.count("Contacts")
    assert {s["stream"]["stream_descriptor"]["name"] for s in last_states(parsed)} == {
        "contacts", "countries", "organisations"}  # every stream, the one-request one too
    dates = [r.data["DATE_UPDATED_UTC"] for r in records if r.stream == "contacts"]
    assert all(d.endswith("Z") and "T" in d for d in dates)
    assert not of_type(parsed, Type.TRACE) or all(m.trace.type.value == "STREAM_STATUS"
                                                  for m in of_type(parsed, Type.TRACE))

    harness.advance_clock(5)
    changed = harness.ids("Contacts")[3]
    harness.update("Contacts", changed, {"FIRST_NAME": "Changed"})
    saved = tmp_path / "state2.json"
    saved.write_text(json.dumps(last_states(parsed)))
    second = run_main(main, "read", "--config", config_file(), "--catalog", catalog, "--state", saved)
    assert second.returncode == 0, second.stderr
    again = [m.record for m in of_type(messages(second), Type.RECORD)]
    assert [r.data["CONTACT_ID"] for r in again if r.stream == "contacts"] == [changed]
    assert sum(r.stream == "organisations" for r in again) == harness.count("Organisations")  # full_refresh
    assert {s["stream"]["stream_descriptor"]["name"] for s in last_states(messages(second))} == {
        "contacts", "countries", "organisations"}


def test_start_date_bounds_the_first_sync(run_main, config_file, discovered, harness, tmp_path):
    updated = sorted(harness.get("Contacts", i)["DATE_UPDATED_UTC"] for i in harness.ids("Contacts"))
    start = datetime.strptime(updated[len(updated) // 2], "%Y-%m-%d %H:%M:%S")  # half the contacts are older
    catalog = configured_catalog(tmp_path, discovered, {"contacts": "incremental"})
    done = run_main(main, "read", "--config", config_file(start_date=start.strftime(RFC3339)), "--catalog", catalog)
    assert done.returncode == 0, done.stderr
    dates = [m.record.data["DATE_UPDATED_UTC"] for m in of_type(messages(done), Type.RECORD)]
    assert len(dates) == sum(u >= updated[len(updated) // 2] for u in updated) < len(updated)
    assert min(dates) == start.strftime(RFC3339)


def test_a_refused_key_is_a_trace_error_and_exit_1(run_main, config_file, discovered, tmp_path):
    catalog = configured_catalog(tmp_path, discovered, {"contacts": "incremental"})
    done = run_main(main, "read", "--config", config_file(api_key="not-the-key"), "--catalog", catalog)
    assert done.returncode == 1
    errors = [m.trace.error for m in of_type(messages(done), Type.TRACE) if m.trace.type.value == "ERROR"]
    assert errors and errors[0].failure_type.value == "config_error"
    assert b"not-the-key" not in done.stdout + done.stderr


@pytest.mark.parametrize("problem", ["unknown stream", "bad state", "bad config"])
def test_bad_inputs_are_config_errors(run_main, config_file, discovered, tmp_path, problem):
    catalog = configured_catalog(tmp_path, discovered, {"contacts": "incremental"})
    state = tmp_path / "state.json"
    state.write_text("[]")
    config = config_file()
    if problem == "unknown stream":
        catalog.write_text(catalog.read_text().replace('"contacts"', '"contactz"'))
    elif problem == "bad state":
        state.write_text('{"version": 1, "resources": {}}')  # our own file, not Airbyte's list
    else:
        config = config_file(pod=7)
    done = run_main(main, "read", "--config", config, "--catalog", catalog, "--state", state)
    assert done.returncode == 1
    [error] = [m.trace.error for m in of_type(messages(done), Type.TRACE)]
    assert error.failure_type.value == "config_error", error.message
