"""The journal: durable entries, resume state, refusal of another write's or another input's journal."""

import pytest

from insightly_connector.destination.journal import Journal, load, record_digest
from insightly_connector.errors import ConfigError

WRITE = {"resource": "contacts", "mode": "create", "upsert_key": None}


def test_entries_round_trip_and_the_latest_entry_per_line_wins(tmp_path):
    path = tmp_path / "j.jsonl"
    assert load(path, **WRITE).lines == {}
    journal = Journal.start(path, run_id="r1", **WRITE)
    journal.sent([(1, "d1"), (3, "d3")], action="create", method="POST", path="/Contacts",
                 since="2024-01-01T00:00:00Z", attempt=1)
    journal.confirmed([(1, "d1"), (3, "d3")], outcome="created", record_id=42)
    journal.sent([(2, "d2")], action="create", method="POST", path="/Contacts", since=None, attempt=1)
    journal.rejected([(4, "d4")], category="validation", status=None)
    journal.close()
    state = load(path, **WRITE)
    assert {line: s.event for line, s in state.lines.items()} == {1: "confirmed", 2: "sent", 3: "confirmed",
                                                                  4: "rejected"}
    assert state.lines[3].entry["id"] == 42
    assert state.lines[2].entry["since"] is None
    assert state.run_ids == ["r1"]


def test_a_half_written_last_line_is_ignored_but_corruption_elsewhere_is_refused(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal.start(path, run_id="r1", **WRITE)
    journal.sent([(1, "d1")], action="create", method="POST", path="/Contacts", since=None, attempt=1)
    journal.close()
    with open(path, "ab") as handle:
        handle.write(b'{"event": "confirmed", "lines": [[1, "d')
    assert load(path, **WRITE).lines[1].event == "sent"
    with open(path, "ab") as handle:
        handle.write(b"\n{}\n")
    with pytest.raises(ConfigError, match="corrupt"):
        load(path, **WRITE)


def test_another_write_or_another_input_is_refused(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal.start(path, run_id="r1", **WRITE)
    journal.confirmed([(1, record_digest({"A": 1}))], outcome="created", record_id=1)
    journal.close()
    with pytest.raises(ConfigError, match="another write"):
        load(path, resource="contacts", mode="upsert", upsert_key="EMAIL_ADDRESS")
    state = load(path, **WRITE)
    state.check_digest(1, record_digest({"A": 1}))
    with pytest.raises(ConfigError, match="line 1"):
        state.check_digest(1, record_digest({"A": 2}))


def test_digest_ignores_key_order():
    assert record_digest({"A": 1, "B": 2}) == record_digest({"B": 2, "A": 1})
    assert record_digest("raw text") != record_digest("raw text!")
