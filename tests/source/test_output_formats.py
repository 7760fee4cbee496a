"""Emitters: the exact message shapes of jsonl, Airbyte and Singer, and scrubbing of page buffers."""

import io

import orjson

from insightly_connector.errors import AccessDenied, QuotaExhausted
from insightly_connector.protocols.emitters import (
    StreamInfo,
    airbyte_catalog,
    airbyte_connection_status,
    make_emitter,
)
from insightly_connector.redaction import Redactor

KEY = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc"
STREAM = StreamInfo("contacts", {"type": "object"}, "CONTACT_ID", "DATE_UPDATED_UTC")


def lines(buffer: io.BytesIO) -> list[dict]:
    return [orjson.loads(line) for line in buffer.getvalue().splitlines()]


def run_one_page(format_name: str, records: list[dict], redactor: Redactor | None = None) -> list[dict]:
    out = io.BytesIO()
    emitter = make_emitter(format_name, redactor or Redactor(), stdout=out)
    emitter.begin_stream(STREAM, fresh=True)
    emitter.write_records("contacts", records)
    emitter.flush()
    emitter.state("contacts", {"cursor": "c"}, {"version": 1, "resources": {"contacts": {"cursor": "c"}}})
    emitter.end_stream("contacts", "COMPLETE")
    emitter.close()
    return lines(out)


def test_jsonl_is_one_record_per_line_and_nothing_else():
    assert run_one_page("jsonl", [{"CONTACT_ID": 1}, {"CONTACT_ID": 2}]) == [{"CONTACT_ID": 1}, {"CONTACT_ID": 2}]


def test_airbyte_messages_follow_the_protocol():
    messages = run_one_page("airbyte", [{"CONTACT_ID": 1}, {"CONTACT_ID": 2}])
    assert [m["type"] for m in messages] == ["TRACE", "TRACE", "RECORD", "RECORD", "STATE", "TRACE"]
    assert [m["trace"]["stream_status"]["status"] for m in messages if m["type"] == "TRACE"] == \
        ["STARTED", "RUNNING", "COMPLETE"]
    record = messages[2]["record"]
    assert record["stream"] == "contacts" and record["data"] == {"CONTACT_ID": 1}
    assert isinstance(record["emitted_at"], int)
    state = messages[4]["state"]
    assert state["type"] == "STREAM"
    assert state["stream"] == {"stream_descriptor": {"name": "contacts"}, "stream_state": {"cursor": "c"}}
    assert state["sourceStats"]["recordCount"] == 2


def test_singer_messages_follow_the_spec():
    messages = run_one_page("singer", [{"CONTACT_ID": 1}])
    assert messages[0] == {"type": "SCHEMA", "stream": "contacts", "schema": {"type": "object"},
                           "key_properties": ["CONTACT_ID"], "bookmark_properties": ["DATE_UPDATED_UTC"]}
    assert messages[1]["type"] == "RECORD" and messages[1]["record"] == {"CONTACT_ID": 1}
    assert messages[1]["stream"] == "contacts" and messages[1]["time_extracted"].endswith("Z")
    assert messages[2] == {"type": "STATE", "value": {"version": 1, "resources": {"contacts": {"cursor": "c"}}}}


def test_airbyte_errors_and_skips_are_traces_and_logs():
    out = io.BytesIO()
    emitter = make_emitter("airbyte", Redactor(), stdout=out)
    emitter.log("WARN", "tickets: skipped")
    emitter.end_stream("tickets", "INCOMPLETE")  # failed before it began: still STARTED then INCOMPLETE
    emitter.error(QuotaExhausted("quota spent"), "contacts")
    emitter.end_stream("contacts", "INCOMPLETE", rate_limited=True)
    messages = lines(out)
    assert messages[0] == {"type": "LOG", "log": {"level": "WARN", "message": "tickets: skipped"}}
    assert [m["trace"]["stream_status"]["status"] for m in messages[1:3]] == ["STARTED", "INCOMPLETE"]
    error = messages[3]["trace"]["error"]
    assert error["failure_type"] == "transient_error" and error["stream_descriptor"] == {"name": "contacts"}
    assert messages[5]["trace"]["stream_status"]["reasons"][0]["type"] == "RATE_LIMITED"


def test_what_the_connector_says_is_scrubbed_and_records_are_emitted_unaltered():
    redactor = Redactor([KEY])
    for format_name in ("jsonl", "airbyte", "singer"):
        out = io.BytesIO()
        emitter = make_emitter(format_name, redactor, stdout=out)
        emitter.begin_stream(STREAM, fresh=True)
        emitter.write_records("contacts", [{"CONTACT_ID": 1, "BACKGROUND": f"key is {KEY}"}])
        emitter.error(AccessDenied(f"denied for {KEY}", status=403), "contacts")
        emitter.log("WARN", KEY)
        emitter.close()
        written = out.getvalue().splitlines()
        records = [line for line in written if b'"BACKGROUND"' in line]
        assert len(records) == 1 and f"key is {KEY}".encode() in records[0]  # the user's data, as it is
        said = b"\n".join(line for line in written if b'"BACKGROUND"' not in line)
        assert KEY.encode() not in said
        assert format_name != "airbyte" or b"***" in said  # only airbyte has LOG and TRACE messages


def test_output_dir_gets_one_file_per_resource_and_protocol_messages_stay_on_stdout(tmp_path):
    out = io.BytesIO()
    emitter = make_emitter("airbyte", Redactor(), stdout=out, output_dir=tmp_path / "out")
    emitter.begin_stream(STREAM, fresh=True)
    emitter.write_records("contacts", [{"CONTACT_ID": 1}])
    emitter.state("contacts", {}, {})
    emitter.end_stream("contacts", "COMPLETE")
    file_messages = lines(io.BytesIO((tmp_path / "out" / "contacts.jsonl").read_bytes()))
    assert [m["type"] for m in file_messages] == ["RECORD"]
    assert "RECORD" not in {m["type"] for m in lines(out)}


def test_a_fresh_stream_truncates_its_file_and_a_continued_one_appends(tmp_path):
    def write(fresh: bool, key: int) -> None:
        emitter = make_emitter("jsonl", Redactor(), stdout=io.BytesIO(), output_dir=tmp_path)
        emitter.begin_stream(STREAM, fresh=fresh)
        emitter.write_records("contacts", [{"CONTACT_ID": key}])
        emitter.close()

    write(True, 1)
    write(False, 2)
    assert lines(io.BytesIO((tmp_path / "contacts.jsonl").read_bytes())) == [{"CONTACT_ID": 1}, {"CONTACT_ID": 2}]
    write(True, 3)
    assert lines(io.BytesIO((tmp_path / "contacts.jsonl").read_bytes())) == [{"CONTACT_ID": 3}]


def test_helpers_for_check_and_discover():
    assert orjson.loads(airbyte_connection_status(False, "wrong key")) == {
        "type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": "wrong key"}}
    catalog = orjson.loads(airbyte_catalog([STREAM, StreamInfo("countries", {}, None, None)]))
    first, second = catalog["catalog"]["streams"]
    assert first["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert first["source_defined_primary_key"] == [["CONTACT_ID"]]
    assert first["default_cursor_field"] == ["DATE_UPDATED_UTC"] and first["source_defined_cursor"] is True
    assert second["supported_sync_modes"] == ["full_refresh"] and "source_defined_primary_key" not in second


def test_a_resumed_stream_cuts_off_what_was_written_after_the_last_checkpoint(tmp_path):
    emitter = make_emitter("jsonl", Redactor(), stdout=io.BytesIO(), output_dir=tmp_path)
    emitter.begin_stream(STREAM, fresh=True)
    emitter.write_records("contacts", [{"CONTACT_ID": 1}])
    emitter.flush()
    checkpoint = emitter.output_checkpoint("contacts")
    emitter.write_records("contacts", [{"CONTACT_ID": 2}])  # written, but the run died before its checkpoint
    emitter.close()
    resumed = make_emitter("jsonl", Redactor(), stdout=io.BytesIO(), output_dir=tmp_path)
    resumed.begin_stream(STREAM, fresh=False, resume_output=checkpoint)
    resumed.write_records("contacts", [{"CONTACT_ID": 2}])
    resumed.close()
    assert lines(io.BytesIO((tmp_path / "contacts.jsonl").read_bytes())) == [{"CONTACT_ID": 1}, {"CONTACT_ID": 2}]
    assert make_emitter("jsonl", Redactor(), output_dir=tmp_path).output_checkpoint("contacts") is None
