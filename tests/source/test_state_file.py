"""The state file: atomic rewrite, validation with one clear line naming the file."""

import os

import orjson
import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.source.state import StateFile


def test_missing_file_is_an_empty_state_and_save_round_trips(tmp_path):
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.resource("contacts").update({"cursor": "2025-01-01 00:00:00", "boundary": {"5": "2025-01-01 00:00:00"}})
    state.save()
    again = StateFile(path)
    assert again.resource("contacts")["boundary"] == {"5": "2025-01-01 00:00:00"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind


def test_save_replaces_the_file_instead_of_rewriting_it_in_place(tmp_path):
    path = tmp_path / "state.json"
    state = StateFile(path)
    state.save()
    before = os.stat(path).st_ino
    state.resource("x")["cursor"] = "2025-01-01 00:00:00"
    state.save()
    assert os.stat(path).st_ino != before  # a new file was renamed over the old one


def test_read_only_state_is_loaded_but_never_written(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(orjson.dumps({"version": 1, "resources": {"a": {"cursor": "2025-01-01 00:00:00"}}}))
    state = StateFile(path, writable=False)
    state.resource("a")["cursor"] = "2030-01-01 00:00:00"
    state.save()
    assert orjson.loads(path.read_bytes())["resources"]["a"]["cursor"] == "2025-01-01 00:00:00"


@pytest.mark.parametrize(("content", "problem"), [
    (b"{not json", "not valid JSON"),
    (b"[]", "expected a JSON object"),
    (b'{"version": 7, "resources": {}}', "'version' must be 1"),
    (b'{"version": 1, "resources": {"a": {"cursor": 5}}}', "resources.a.cursor must be a string"),
    (b'{"version": 1, "resources": {"a": {"in_progress": {"mode": "full", "position": -1}}}}',
     "resources.a.in_progress.position"),
])
def test_invalid_state_is_a_config_error_naming_the_file(tmp_path, content, problem):
    path = tmp_path / "bad-state.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        StateFile(path)
    assert str(path) in str(caught.value) and problem in str(caught.value)
    assert caught.value.exit_code == 2


def test_state_in_a_missing_directory_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        StateFile(tmp_path / "nope" / "state.json")
