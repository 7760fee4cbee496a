"""The typed outputs (Airbyte, Singer) write each record as the API sent it, with only its top-level
declared dates made RFC 3339. Checked against a straightforward reference: the record parsed and
converted (`to_rfc3339`), and the API's bytes with each top-level date value rewritten where a plain
JSON scan (the standard library's decoder, member by member) finds it."""

from __future__ import annotations

import io
import json

import pytest

from insightly_connector.protocols.emitters import StreamInfo, make_emitter
from insightly_connector.protocols.typed_dates import DateConverter, date_fields, rfc3339_from
from insightly_connector.redaction import Redactor
from insightly_connector.source.pages import record_list

SPACE = "%Y-%m-%d %H:%M:%S"
SCHEMA = {"type": "object", "properties": {
    "ID": {"type": "integer"},
    "CREATED": {"type": "string", "x-format": SPACE},
    "UPDATED": {"type": "string", "x-format": SPACE},
    "SEEN": {"type": "string", "x-format": "%d/%m/%Y %H:%M"},
}}
# Records a fast path could get wrong; the comment says what each exercises.
RECORDS = [
    rb'{"ID":1,"CREATED":"2024-03-02 10:11:12","UPDATED":"2024-03-02 10:11:13","NAME":"Caf\u00e9 \"q\" '
    + "— ü".encode() + rb'","RATE":1.50}',  # escapes, raw UTF-8, a float's trailing zero
    rb'{"ID":2,"KIDS":[{"UPDATED":"2024-03-02 10:11:13"}],"UPDATED":"2024-03-02 10:11:13","CREATED":null}',  # nested
    # first, with the top-level value
    rb'{"ID":3,"NOTE":"a {brace}, \",\"UPDATED\":\"2024-01-01 00:00:00\"","UPDATED":"2024-01-01 00:00:00"}',
    rb'{"UPDATED":"2024-03-02 10:11:14","ID":4,"CREATED":"2020-02-02 02:02:02"}',  # a date as the first member
    rb'{"ID":5,"a\\":1,"x\",\"UPDATED":"2024-03-02 10:11:15","UPDATED":"2024-03-02 10:11:15"}',  # look-alike keys
    rb'{"ID":6,"UPDATED":"2024-03-02\u002010:11:16"}',  # a date spelt with an escape
    rb'{"ID":7,"UPDATED":"abcdefghij klmnopqr"}',  # converted by slicing, as `rfc3339_from` does
    rb'{"ID":14,"UPDATED":"2024-03-0\n 10:11:1","CREATED":"2024-03-02 10:11:\"9"}',  # and with escapes
    rb'{"ID":8,"UPDATED":"2024-3-2 1:2:3","BIG":123456789012345678901234567890}',  # converted by strptime
    rb'{"ID":9,"UPDATED":"not a date","CREATED":17,"SEEN":null}',  # left as they are
    rb'{"ID":10,"BIG":123456789012345678901234567890}',  # no dates at all
    rb'{"ID":11,"UPDATED":"2024-03-02 10:11:18","CUSTOMFIELDS":[{"FIELD_NAME":"UPDATED",'
    rb'"FIELD_VALUE":"2021-01-01 00:00:00","UPDATED":"2021-01-01 00:00:00"}]}',  # same name nested after
    rb'{"ID":12,"SEEN":"02/03/2024 10:11","CREATED":"2024-03-02 10:11:19"}',  # a format other than the common one
    rb'{}',
]
# Spaced out: its bytes cannot be kept, so it is compared as parsed only.
NOT_COMPACT = rb'{"ID": 13, "BIG": 123456789012345678901234567890, "UPDATED": "2024-03-02 10:11:20"}'
HEADS = {"airbyte": b'"data":', "singer": b'"record":'}
TAILS = {"airbyte": b"}}", "singer": b"}"}


def expected_bytes(raw: bytes, converter: DateConverter) -> bytes:
    """The reference: each top-level member located with the standard library's decoder (so nested and
    quoted look-alikes are skipped as a parser skips them), and each declared date that `rfc3339_from`
    changes written as JSON in its place; every other byte as sent."""
    text, decoder = raw.decode(), json.JSONDecoder()
    out, at = ["{"], 1
    while text[at] != "}":
        name, value_at = decoder.raw_decode(text, at)
        value, end = decoder.raw_decode(text, value_at + 1)
        api_format = converter.fields.get(name)
        if isinstance(value, str) and api_format and rfc3339_from(value, api_format) != value:
            out.append(text[at:value_at + 1] + json.dumps(rfc3339_from(value, api_format)))
        else:
            out.append(text[at:end])
        out.append(text[end])  # ',' or the closing '}'
        if text[end] == "}":
            return "".join(out).encode()
        at = end + 1
    return b"{}"  # an empty object


def typed_lines(format_name: str, page: bytes, schema: dict = SCHEMA, indexes: list[int] | None = None) -> list[bytes]:
    out = io.BytesIO()
    emitter = make_emitter(format_name, Redactor(), stdout=out)
    emitter.begin_stream(StreamInfo("things", schema, "ID", "UPDATED"), fresh=True)
    records = record_list(page, "$", "/things")
    emitter.write_records("things", records.take(indexes) if indexes is not None else records)
    emitter.flush()
    return [line for line in out.getvalue().splitlines() if b'"RECORD"' in line]


def data_of(format_name: str, line: bytes) -> bytes:
    """The record's bytes inside its envelope (the envelope's own keys come before it)."""
    head, tail = HEADS[format_name], TAILS[format_name]
    assert line.endswith(tail)
    return line[line.index(head) + len(head):-len(tail)]


@pytest.mark.parametrize("format_name", ["airbyte", "singer"])
def test_each_record_is_the_reference_byte_for_byte(format_name):
    converter = DateConverter.for_schema(SCHEMA)
    page = b"[" + b",".join([*RECORDS, NOT_COMPACT]) + b"]"
    lines = typed_lines(format_name, page)
    assert len(lines) == len(RECORDS) + 1
    for raw, line in zip(RECORDS, lines, strict=False):
        assert data_of(format_name, line) == expected_bytes(raw, converter), raw
    assert json.loads(data_of(format_name, lines[-1])) == converter.to_rfc3339(json.loads(NOT_COMPACT))
    for raw, line in zip([*RECORDS, NOT_COMPACT], lines, strict=True):  # and as parsed, for good measure
        assert json.loads(data_of(format_name, line)) == converter.to_rfc3339(json.loads(raw))


def test_a_selection_of_a_page_keeps_each_records_own_bytes():
    converter = DateConverter.for_schema(SCHEMA)
    page = b"[" + b",".join(RECORDS) + b"]"
    chosen = [10, 1, 4, 0]
    lines = typed_lines("airbyte", page, indexes=chosen)
    assert [data_of("airbyte", line) for line in lines] == [expected_bytes(RECORDS[i], converter) for i in chosen]


def test_a_page_of_ordinary_records_is_rewritten_in_place():
    converter = DateConverter.for_schema(SCHEMA)
    records = [b'{"ID":%d,"CREATED":"2024-03-02 10:11:%02d","UPDATED":null,"NAME":"n\\"%d"}' % (i, i % 60, i)
               for i in range(300)]
    lines = typed_lines("singer", b"[" + b",".join(records) + b"]")
    assert [data_of("singer", line) for line in lines] == [expected_bytes(raw, converter) for raw in records]
    assert b'"CREATED":"2024-03-02T10:11:07Z","UPDATED":null' in lines[7]


@pytest.mark.parametrize("format_name", ["airbyte", "singer"])
def test_harness_pages_read_typed_match_the_reference(harness_factory, read_in_process, spec, format_name):
    """Real pages over HTTP (dates, custom fields holding dates, nested lists, non-ASCII text), read in
    jsonl and typed: each typed record is its jsonl record with the reference's rewrite."""
    resources = ["contacts", "organisations", "opportunities"]
    with harness_factory(contacts=650, sizes={"Organisations": 60, "Opportunities": 60}) as harness:
        plain = read_in_process(harness, resources).output.splitlines()
        typed = [line for line in read_in_process(harness, resources, output_format=format_name).output.splitlines()
                 if b'"RECORD"' in line]
    assert len(typed) == len(plain) > 700
    streams = {name: DateConverter(date_fields(spec.resources[name].schema)) for name in resources}
    assert all(converter.fields for converter in streams.values())
    converted = 0
    for raw, line in zip(plain, typed, strict=True):
        stream = json.loads(line)["record" if format_name == "airbyte" else "stream"]
        name = stream["stream"] if format_name == "airbyte" else stream
        expected = expected_bytes(raw, streams[name])
        assert data_of(format_name, line) == expected
        converted += expected != raw
    assert converted == len(plain)  # every record has a date to convert


@pytest.mark.parametrize("odd", [
    [rb'"2024-03-02 10:11:1"', rb'"2024-03-02 10:11:123"'],  # 18 and 20 characters: 38 in all, as two dates
    [rb'"2024-03-02 10:11:1"', rb'"\"abcdefghij klmnopqr"'],  # and a quote where a separator would be
    [rb'"2024-03-02 10:11:\"9"'],  # 19 characters, one a quote (spelt with an escape)
    [rb'"2024-03-02 10:11:1\\\\"', rb'"2024-03-02\t10:11:12"'],  # a backslash; a tab, not printable
    [rb'null', rb'17', rb'"x"'],  # not every record holds a text
])
def test_a_column_judged_at_once_still_sees_one_odd_value(odd):
    """A page's column is judged in one go when every value has the common shape: values that differ
    from it only in ways that keep the column's total length must still be found and handled alone."""
    converter = DateConverter.for_schema(SCHEMA)
    values = [b'"2024-03-02 10:11:%02d"' % (i % 60) for i in range(40)]
    values[7:7 + len(odd)] = odd
    records = [b'{"ID":%d,"UPDATED":%s,"CREATED":"2024-03-02 10:11:12"}' % (i, value) for i, value in enumerate(values)]
    lines = typed_lines("airbyte", b"[" + b",".join(records) + b"]")
    assert [data_of("airbyte", line) for line in lines] == [expected_bytes(raw, converter) for raw in records]
