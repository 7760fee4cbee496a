"""Input detection: plain records, Airbyte and Singer RECORD messages, skipped and unreadable lines."""

from insightly_connector.destination.input_records import INVALID_INPUT, read_records


def test_plain_airbyte_and_singer_records_are_detected_per_line():
    lines = [
        '{"FIRST_NAME": "Ada"}',
        '{"type": "RECORD", "record": {"stream": "contacts", "data": {"FIRST_NAME": "Bo"}, "emitted_at": 1}}',
        '{"type": "RECORD", "stream": "contacts", "record": {"FIRST_NAME": "Cy"}}',
    ]
    records = list(read_records(lines))
    assert [r.record for r in records] == [{"FIRST_NAME": "Ada"}, {"FIRST_NAME": "Bo"}, {"FIRST_NAME": "Cy"}]
    assert [r.line for r in records] == [1, 2, 3]
    assert all(r.ok for r in records)


def test_other_messages_and_blank_lines_are_passed_over_but_keep_line_numbers():
    lines = [
        '{"type": "SCHEMA", "stream": "contacts", "schema": {}, "key_properties": []}',
        "",
        '{"type": "STATE", "value": {}}',
        '{"type": "LOG", "log": {"level": "INFO", "message": "x"}}',
        b'{"FIRST_NAME": "Dee"}\n',
    ]
    records = list(read_records(lines))
    assert len(records) == 1
    assert records[0].line == 5 and records[0].record == {"FIRST_NAME": "Dee"}


def test_unreadable_lines_become_invalid_input_items_with_the_original_text():
    records = list(read_records(['{"FIRST_NAME": ', "[1, 2]", '{"type": "RECORD", "record": 5}']))
    assert [r.ok for r in records] == [False, False, False]
    assert records[0].raw == '{"FIRST_NAME": '
    assert "line 1 is not valid JSON" in records[0].error
    assert records[1].raw == [1, 2]
    assert "line 3" in records[2].error
    assert INVALID_INPUT == "invalid_input"
