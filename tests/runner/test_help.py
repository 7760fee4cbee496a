"""Every verb's --help ends with examples and the exit codes it can end with; building the verbs'
parsers loads no heavy module (start-up is what `--help` and `spec` cost)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from insightly_connector.cli import VERBS, build_parser

from .conftest import run_cli

VERB_NAMES = list(VERBS)
#: The verbs' command modules this test holds to a light import.
LIGHT_COMMANDS = ["common", "spec", "check", "discover", "read", "write", "probe", "harness", "ui"]
HEAVY = ["requests", "jsonschema", "yaml", "insightly_connector.spec.loader", "insightly_connector.http.client",
         "insightly_connector.source.read"]


@pytest.mark.parametrize("verb", VERB_NAMES)
def test_each_verbs_help_shows_examples_and_exit_codes(verb):
    text = _help(verb)
    examples = text.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    assert f"insightly-connector {verb}" in examples
    codes = text.split("exit codes:\n", 1)[1].split()
    assert codes[0] == "0" and "2" in codes


@pytest.mark.parametrize("action", ["validate", "sample"])
def test_each_probe_actions_help_shows_examples_and_exit_codes(action):
    done = run_cli("probe", action, "--help")
    assert done.returncode == 0
    examples = done.stdout.split("examples:\n", 1)[1].split("\n\n", 1)[0]
    assert f"insightly-connector probe {action} --credential" in examples
    codes = [line.split()[0] for line in done.stdout.split("exit codes:\n", 1)[1].splitlines() if line.strip()]
    assert codes == ["0", "1", "2"]


@pytest.mark.parametrize("verb", ["read", "write"])
def test_the_long_running_verbs_list_the_interrupted_exit_code(verb):
    codes = [line.split()[0] for line in _help(verb).split("exit codes:\n", 1)[1].splitlines() if line.strip()]
    assert codes[-1] == "130"


def test_the_top_level_help_shows_how_to_start_and_every_exit_code():
    done = run_cli("--help")
    assert done.returncode == 0
    assert "insightly-connector harness --port 8765 --credential-out harness.json" in done.stdout
    codes = [line.split()[0] for line in done.stdout.split("exit codes:\n", 1)[1].splitlines() if line.strip()]
    assert codes == ["0", "1", "2", "3", "4", "130"]


def test_building_the_verbs_parsers_imports_nothing_heavy():
    probe = (f"import sys, json\nfrom insightly_connector.commands import {', '.join(LIGHT_COMMANDS)}\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == []


def _help(verb: str) -> str:
    parser = build_parser(verb)
    action = next(a for a in parser._actions if a.dest == "verb")
    return action.choices[verb].format_help()


@pytest.mark.parametrize(("argv", "modules"), [(["spec", "--format", "airbyte"], ["common", "spec"]),
                                               (["--help"], ["common"]), (["read", "--help"], ["common", "read"])])
def test_a_command_line_imports_no_other_verbs_module(argv, modules):
    """A verb's run, and the top-level --help, load no other verb's module (start-up is what they cost)."""
    probe = ("import sys, json\nfrom insightly_connector.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
             "except SystemExit as exit:\n    code = exit.code\nprint(json.dumps(sorted(m for m in sys.modules "
             "if m.startswith('insightly_connector.commands.'))), file=sys.stderr)\nsys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=60,
                          check=True)
    assert json.loads(done.stderr.splitlines()[-1]) == [f"insightly_connector.commands.{name}" for name in modules]
    assert done.stdout.strip()
