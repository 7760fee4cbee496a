"""`spec` prints a remembered output only while every file it was built from, and the package's code, are
unchanged: a second run builds nothing, and any edit (the YAML, a record schema, a module) builds it again."""

from __future__ import annotations

import builtins
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from insightly_connector.commands.spec import render
from insightly_connector.spec import printed_spec as printed
from insightly_connector.spec.documents import files_read
from insightly_connector.spec.loader import DEFAULT_SPEC_PATH, META_SCHEMA_PATH, REPO_ROOT, load_spec

_PROBE = ("import sys; from insightly_connector.cli import main; code = main(['spec'] + sys.argv[1:]); "
          "print('insightly_connector.spec.loader' in sys.modules, file=sys.stderr); sys.exit(code)")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def spec_copy(tmp_path) -> pathlib.Path:
    """connector.yaml with a copy of schemas/ beside it, both free to edit."""
    shutil.copytree(REPO_ROOT / "schemas", tmp_path / "spec" / "schemas")
    shutil.copyfile(DEFAULT_SPEC_PATH, tmp_path / "spec" / "connector.yaml")
    return tmp_path / "spec" / "connector.yaml"


def _spec_verb(*args: str) -> tuple[bytes, bool]:
    """`spec` in a fresh process: its output, and whether it loaded the spec loader."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, timeout=60, check=True,
                          env=os.environ)
    return done.stdout, done.stderr.split()[-1] == b"True"


@pytest.mark.parametrize("output_format", ["json", "airbyte"])
def test_a_second_run_prints_the_same_bytes_without_building_the_spec(cache, output_format):
    first, built_first = _spec_verb("--format", output_format)
    second, built_second = _spec_verb("--format", output_format)
    assert (built_first, built_second) == (True, False)
    assert first == second == render(load_spec(), output_format)


def test_any_edit_of_a_file_it_was_built_from_builds_it_again(cache, spec_copy):
    builds = []

    def counted(spec):
        builds.append(spec)
        return render(spec, "json")

    def description() -> dict:
        return json.loads(printed.printed_spec(str(spec_copy), "json", counted))

    original = description()
    assert description() == original and len(builds) == 1
    schema_path = spec_copy.parent / "schemas" / "records" / "contacts.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["properties"]["FIRST_NAME"]["description"] = "edited"
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    assert description()["schemas"]["contacts"]["properties"]["FIRST_NAME"]["description"] == "edited"
    assert len(builds) == 2
    text = spec_copy.read_text(encoding="utf-8")
    assert "\n  display_name: Insightly\n" in text
    spec_copy.write_text(text.replace("\n  display_name: Insightly\n", "\n  display_name: Edited\n", 1),
                         encoding="utf-8")
    assert description()["connector"]["display_name"] == "Edited" and len(builds) == 3
    assert description()["connector"]["display_name"] == "Edited" and len(builds) == 3


def test_a_change_of_the_packages_code_builds_it_again(cache, tmp_path, monkeypatch):
    code = tmp_path / "package"
    (code / "spec").mkdir(parents=True)
    module = code / "spec" / "module.py"
    module.write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.setattr(printed, "_PACKAGE_DIR", code)
    builds = []

    def counted(spec):
        builds.append(spec)
        return b"{}"

    printed.printed_spec(None, "json", counted)
    printed.printed_spec(None, "json", counted)
    module.write_text("VALUE = 22\n", encoding="utf-8")
    printed.printed_spec(None, "json", counted)
    assert len(builds) == 2


def test_a_damaged_entry_is_built_again(cache):
    expected = render(load_spec(), "airbyte")
    printed.printed_spec(None, "airbyte", lambda spec: render(spec, "airbyte"))
    for entry in cache.rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:-40] + b"0" * 40)
    assert printed.printed_spec(None, "airbyte", lambda spec: render(spec, "airbyte")) == expected


def test_every_file_the_loader_opens_is_among_the_files_read(monkeypatch):
    """The output is remembered with `files_read`: a file the loader opened some other way would go unwatched."""
    opened = []
    real_open, real_path_open = builtins.open, pathlib.Path.open

    def recording_open(file, *args, **kwargs):
        opened.append(os.path.abspath(file))
        return real_open(file, *args, **kwargs)

    def recording_path_open(self, *args, **kwargs):
        opened.append(os.path.abspath(self))
        return real_path_open(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(pathlib.Path, "open", recording_path_open)
    with files_read() as files:
        spec = load_spec()
    monkeypatch.undo()
    read = {os.path.abspath(file) for file in files}
    assert {os.path.abspath(path) for path in [DEFAULT_SPEC_PATH, META_SCHEMA_PATH]} <= read
    assert {os.path.abspath(resource.schema_path) for resource in spec.resources.values()} <= read
    assert {path for path in opened if "validated" not in path} <= read
