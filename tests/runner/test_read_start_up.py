"""A read loads only what reading needs: the write side's modules (templates, writer, validation) stay out of
its process, since every module imported before the first request delays it. Over real HTTP to a harness on
loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from insightly_connector.harness import Harness
from insightly_connector.spec.loader import load_spec

from .conftest import CLI_TIMEOUT_SECONDS, credential_dict, write_credential

# Runs the command line in this process, then lists the connector's write-side modules it imported.
PROBE = ("import sys, json\nfrom insightly_connector.cli import main\ncode = main(sys.argv[1:])\n"
         "print(json.dumps(sorted(m for m in sys.modules if m.startswith('insightly_connector.destination'))), "
         "file=sys.stderr)\nsys.exit(code)")


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(rate_limit_per_second=None, contacts=3) as running:
        yield running


def _imported_write_modules(*args: str) -> tuple[list[str], subprocess.CompletedProcess]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_SECONDS, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stderr.splitlines()[-1]), done


def test_a_read_imports_no_write_side_module(harness, tmp_path):
    credential = write_credential(tmp_path, credential_dict(harness))
    modules, done = _imported_write_modules("read", "--credential", credential, "--resources", "contacts",
                                            "--limit", "2", "--quiet")
    assert len(done.stdout.splitlines()) == 2  # the records were read
    assert modules == ["insightly_connector.destination", "insightly_connector.destination.modes"]


def test_a_resources_write_templates_are_compiled_when_first_asked_for_and_kept():
    contacts = load_spec().resources["contacts"]
    assert "writes" not in vars(contacts)
    templates = contacts.writes
    assert contacts.writes is templates  # compiled once, kept
    assert templates.request("delete", {contacts.primary_key: 7}).path.endswith("/7")
