"""What a newcomer sees from `read` and `discover`: a plain read refused with a hint, progress with
"resource i of N", totals and plurals, a compact discover listing, a catalog to a file, and a
`--start-date` for the first incremental sync. Over real HTTP to a harness on loopback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from insightly_connector.commands import read as read_verb
from insightly_connector.harness import Harness
from insightly_connector.protocols import emitters
from insightly_connector.protocols.progress import Progress

from .conftest import credential_dict, run_cli, write_credential


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(rate_limit_per_second=None, contacts=1200) as running:
        yield running


@pytest.fixture()
def credential(harness, tmp_path) -> str:
    return write_credential(tmp_path, credential_dict(harness))


def test_a_plain_read_to_stdout_is_refused_with_a_hint_before_any_request(harness, credential):
    before = len(harness.requests())
    done = run_cli("read", "--credential", credential)
    assert done.returncode == 2 and done.stdout == ""
    assert "--output DIR" in done.stderr and "--resources" in done.stderr and "--format" in done.stderr
    assert len(harness.requests()) == before


def test_progress_says_which_resource_of_how_many_and_counts_in_words(credential, tmp_path):
    done = run_cli("read", "--credential", credential, "--resources", "contacts,pipelines",
                   "--output", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "resource 1 of 2: contacts: full read" in lines and "resource 2 of 2: pipelines: full read" in lines
    assert any(line.startswith("contacts: 500 of 1,200 records (42%)") for line in lines)
    assert any(line.startswith("pipelines: complete: ") and ", 1 page, 1 request," in line for line in lines)
    assert not any(" 1 pages" in line or " 1 requests" in line for line in lines)


def test_sample_mode_progress_counts_towards_the_limit_not_the_lists_total(credential):
    done = run_cli("read", "--credential", credential, "--resources", "contacts", "--limit", "5")
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("contacts: 5 of 5 records (100%), 1 page,") for line in done.stderr.splitlines())
    assert "of 1,200 records" not in done.stderr


def test_a_base_url_without_the_version_path_is_named_when_every_resource_answers_404(harness, tmp_path):
    root = harness.base_url.rsplit("/v3.1", 1)[0]
    credential = write_credential(tmp_path, credential_dict(harness, base_url=root))
    done = run_cli("read", "--credential", credential, "--resources", "contacts,pipelines", "--limit", "1")
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("error: every requested resource was skipped (contacts, pipelines); each answered 404")
    assert f"check the base URL {root}: it must be the API's root, with its version path, like https://" in last


def test_a_reader_that_closes_the_pipe_leaves_the_resource_interrupted_not_unstarted(credential):
    done = subprocess.Popen([sys.executable, "-m", "insightly_connector", "read", "--credential", credential,
                             "--resources", "contacts"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert json.loads(done.stdout.readline())["CONTACT_ID"]
        done.stdout.close()  # as `| head -1` does; 1,200 contacts are far more than a pipe holds
        stderr = done.communicate(timeout=60)[1].decode()
    finally:
        done.kill()
    assert done.returncode == 1
    assert "contacts: interrupted: " in stderr and "not_started" not in stderr
    assert stderr.splitlines()[-1] == "stopped: the output was closed (broken pipe) before the run finished"
    assert "Exception ignored" not in stderr and "Traceback" not in stderr


def test_progress_with_a_total_shows_share_and_time_left():
    out = io.StringIO()
    progress = Progress(out, tty=False, log_interval=0)
    progress.run_started(3)
    progress.resource_started("contacts")
    progress.page("contacts", 1, 1, 1, total=4)
    progress.resource_finished("contacts", "complete", 1, 1, 1, 1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "resource 1 of 3: contacts: full read"
    assert lines[1].startswith("contacts: 1 of 4 records (25%), about ") and " s left, 1 page, " in lines[1]
    assert lines[1].endswith(", 1 request left today")
    assert lines[2] == "contacts: complete: 1 record, 1 page, 1 request, 1 request left today"


def test_discover_lists_one_line_per_resource_or_writes_the_catalog_to_a_file(credential, tmp_path):
    listed = run_cli("discover", "--credential", credential, "--resources", "contacts,pipelines", "--format", "table")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["resource", "key", "cursor", "capabilities", "custom", "fields"]
    contacts = next(row.split() for row in rows if row.startswith("contacts "))
    assert contacts[1:3] == ["CONTACT_ID", "DATE_UPDATED_UTC"] and "incremental" in contacts[3]
    assert int(contacts[4]) > 0  # the harness's live custom fields
    catalog = tmp_path / "catalog.json"
    saved = run_cli("discover", "--credential", credential, "--resources", "contacts", "--output", str(catalog))
    assert saved.returncode == 0 and saved.stdout == ""
    assert saved.stderr.strip().splitlines()[-1] == f"discover: 1 resource, written to {catalog}"
    assert [entry["name"] for entry in json.loads(catalog.read_text())["resources"]] == ["contacts"]


def test_start_date_makes_the_first_incremental_sync_read_only_later_records(credential, tmp_path):
    full = run_cli("read", "--credential", credential, "--resources", "contacts", "--quiet")
    assert full.returncode == 0, full.stderr
    updated = sorted(json.loads(line)["DATE_UPDATED_UTC"] for line in full.stdout.splitlines())
    start = updated[len(updated) // 2]  # "YYYY-MM-DD HH:MM:SS", the cursor's format
    state = tmp_path / "state.json"
    since = run_cli("read", "--credential", credential, "--resources", "contacts", "--state", str(state),
                    "--start-date", start.replace(" ", "T") + "Z", "--quiet")
    assert since.returncode == 0, since.stderr
    read = [json.loads(line)["DATE_UPDATED_UTC"] for line in since.stdout.splitlines()]
    assert 0 < len(read) < len(updated)
    assert min(read) >= start and len(read) == sum(1 for value in updated if value >= start)
    assert json.loads(Path(state).read_text())["resources"]["contacts"]["cursor"]


def test_a_start_date_that_is_not_a_date_is_a_usage_error(credential):
    done = run_cli("read", "--credential", credential, "--resources", "contacts", "--start-date", "yesterday")
    assert done.returncode == 2 and "--start-date: 'yesterday' is not a date" in done.stderr


def test_a_start_date_days_ahead_is_a_usage_error_before_any_request(harness, credential, tmp_path):
    ahead = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%d")
    before = len(harness.requests())
    done = run_cli("read", "--credential", credential, "--resources", "contacts", "--start-date", ahead,
                   "--state", str(tmp_path / "state.json"))
    assert done.returncode == 2 and f"--start-date: {ahead} 00:00:00 is in the future" in done.stderr
    assert len(harness.requests()) == before and not (tmp_path / "state.json").exists()
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    assert run_cli("read", "--credential", credential, "--resources", "contacts", "--start-date", today).returncode == 0


def test_the_parser_offers_the_emitters_formats():
    assert read_verb.FORMATS == emitters.FORMATS
