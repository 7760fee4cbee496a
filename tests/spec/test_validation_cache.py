"""connector.yaml is judged once per content: a later run with the same bytes skips PyYAML and jsonschema
(most of start-up), and any edit is judged again."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from insightly_connector.errors import ConfigError
from insightly_connector.spec.loader import DEFAULT_SPEC_PATH, REPO_ROOT, load_spec

_PROBE = ("import sys; from insightly_connector.spec.loader import load_spec; spec = load_spec(sys.argv[1]); "
          "print(len(spec.resources), 'yaml' in sys.modules, 'jsonschema' in sys.modules)")


@pytest.fixture
def spec_copy(tmp_path, monkeypatch):
    """A copy of connector.yaml next to the repository's schemas, and a cache of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "spec").mkdir()
    os.symlink(REPO_ROOT / "schemas", tmp_path / "spec" / "schemas")
    path = tmp_path / "spec" / "connector.yaml"
    shutil.copyfile(DEFAULT_SPEC_PATH, path)
    return path


def _load_in_a_new_process(path) -> list[str]:
    run = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, timeout=60,
                         check=True, env=os.environ)
    return run.stdout.split()


def test_a_second_run_skips_parsing_and_validation(spec_copy):
    first = _load_in_a_new_process(spec_copy)
    second = _load_in_a_new_process(spec_copy)
    assert first[1:] == ["True", "True"]
    assert second == [first[0], "False", "False"]
    assert load_spec(spec_copy).resources.keys() == load_spec(DEFAULT_SPEC_PATH).resources.keys()


def test_an_edited_declaration_is_judged_again(spec_copy):
    load_spec(spec_copy)
    text = spec_copy.read_text(encoding="utf-8")
    spec_copy.write_text(text.replace("  rate_limit:", "  rate_limit_typo: 1\n  rate_limit:", 1), encoding="utf-8")
    with pytest.raises(ConfigError, match="rate_limit_typo"):
        load_spec(spec_copy)


def test_a_damaged_cache_entry_is_ignored(spec_copy, tmp_path):
    expected = load_spec(spec_copy).resources.keys()
    entries = list((tmp_path / "cache").rglob("*"))
    for entry in entries:
        if entry.is_file():
            entry.write_bytes(b"\x00not json")
    assert load_spec(spec_copy).resources.keys() == expected
