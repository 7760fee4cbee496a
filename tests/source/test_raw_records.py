"""Records pass through byte-for-byte: a page is split into each record's own bytes, and the outputs
write those bytes (the typed outputs change only the top-level dates they declare)."""

from __future__ import annotations

import io

import orjson
import pytest

from insightly_connector.errors import ApiError
from insightly_connector.protocols.emitters import StreamInfo, make_emitter
from insightly_connector.redaction import Redactor
from insightly_connector.source.incremental import CursorPolicy, Window, record_digest
from insightly_connector.source.pages import record_list
from insightly_connector.source.raw_records import column

SCHEMA = {"type": "object", "properties": {"ID": {"type": "integer"},
                                           "UPDATED": {"type": "string", "x-format": "%Y-%m-%d %H:%M:%S"}}}
# Spellings orjson would not write back as they are: escapes, a float's trailing zero, a big integer,
# and a nested object with the date field's own name (which no output may touch).
RECORDS = [
    rb'{"ID":1,"UPDATED":"2024-03-02 10:11:12","NAME":"Caf\u00e9 \/ \"quoted\"","RATE":1.50}',
    rb'{"ID":2,"UPDATED":"2024-03-02 10:11:13","BIG":123456789012345678901234567890,"NOTE":"},{\"ID\":9}"}',
    rb'{"ID":3,"UPDATED":null,"LINKS":[{"UPDATED":"2020-01-01 00:00:00"}],"EMPTY":{}}',
]
PAGE = b"[" + b",".join(RECORDS) + b"]"


def _output(format_name: str, page: bytes = PAGE) -> list[bytes]:
    out = io.BytesIO()
    emitter = make_emitter(format_name, Redactor(), stdout=out)
    emitter.begin_stream(StreamInfo("things", SCHEMA, "ID", "UPDATED"), fresh=True)
    emitter.write_records("things", record_list(page, "$", "/things"))
    emitter.flush()
    return [line for line in out.getvalue().splitlines() if b'"RECORD"' in line or format_name == "jsonl"]


def test_jsonl_writes_each_record_as_the_api_sent_it():
    assert _output("jsonl") == RECORDS


@pytest.mark.parametrize("format_name, data_key", [("airbyte", "data"), ("singer", "record")])
def test_typed_outputs_change_the_top_level_dates_and_nothing_else(format_name, data_key):
    lines = _output(format_name)
    assert len(lines) == 3
    assert b'"UPDATED":"2024-03-02T10:11:12Z","NAME":"Caf\\u00e9 \\/ \\"quoted\\"","RATE":1.50}' in lines[0]
    assert b'"BIG":123456789012345678901234567890' in lines[1]
    assert b'"UPDATED":null,"LINKS":[{"UPDATED":"2020-01-01 00:00:00"}]' in lines[2]  # nested: left as sent
    messages = [orjson.loads(line.replace(b"123456789012345678901234567890", b"0")) for line in lines]
    assert [m["record"][data_key]["ID"] if format_name == "airbyte" else m[data_key]["ID"] for m in messages] \
        == [1, 2, 3]


def test_a_date_field_also_nested_in_a_record_is_converted_by_parsing_that_page():
    nested = b'[{"ID":4,"UPDATED":"2024-01-01 00:00:00","KIDS":[{"UPDATED":"2024-01-02 00:00:00"}]}]'
    [line] = _output("airbyte", nested)
    data = orjson.loads(line)["record"]["data"]
    assert data["UPDATED"] == "2024-01-01T00:00:00Z" and data["KIDS"] == [{"UPDATED": "2024-01-02 00:00:00"}]


def test_a_pretty_printed_page_still_gives_one_record_per_line():
    pretty = b'[\n  {"ID": 1,\n   "UPDATED": "2024-03-02 10:11:12"},\n  {"ID": 2, "UPDATED": null}\n]'
    lines = _output("jsonl", pretty)
    assert [orjson.loads(line) for line in lines] == [{"ID": 1, "UPDATED": "2024-03-02 10:11:12"},
                                                      {"ID": 2, "UPDATED": None}]


def test_records_read_as_dicts_and_columns_agree():
    records = record_list(PAGE, "$", "/things")
    assert column(records, "ID") == [1, 2, 3] and column(records, "MISSING") == [None, None, None]
    assert records[0]["NAME"] == 'Café / "quoted"' and len(records) == 3
    tail = records[1:]
    assert column(tail, "ID") == [2, 3] and [bytes(raw) for raw in tail.raw] == RECORDS[1:]
    enveloped = record_list(b'{"data":' + PAGE + b',"next":null}', "$.data", "/things")
    assert [bytes(raw) for raw in enveloped.raw] == RECORDS


@pytest.mark.parametrize("body, problem", [
    (PAGE[:-1], "not valid JSON"),
    (b'{"data":[]}', "expected a list of records"),
    (b'[{"ID":1,"NAME":"\xff"}]', "not UTF-8"),
])
def test_a_malformed_page_is_an_unexpected_answer(body, problem):
    with pytest.raises(ApiError, match=problem):
        record_list(body, "$", "/things")


def test_the_window_selects_by_columns_and_digests_boundary_records_as_parsed_dicts():
    policy = CursorPolicy.from_config({"cursor_field": "UPDATED", "cursor_format": "%Y-%m-%d %H:%M:%S",
                                       "path": "/things/Search", "param": "updated_after",
                                       "param_format": "%Y-%m-%dT%H:%M:%SZ", "granularity_seconds": 1,
                                       "lookback_seconds": 0})
    records = record_list(PAGE, "$", "/things")
    first = orjson.loads(RECORDS[0].replace(b"1.50", b"1.5"))
    window = Window(policy, cursor="2024-03-02 10:11:12", boundary={"1": ["2024-03-02 10:11:12",
                                                                          record_digest(first)]},
                    sync_start="2024-03-02 10:11:13")
    kept = window.select(records, "ID")
    assert column(kept, "ID") == [2, 3]  # 1 was emitted before in this very version; 3 has no date to judge
    assert [bytes(raw) for raw in kept.raw] == RECORDS[1:]
    assert list(window.pending) == ["2"]
