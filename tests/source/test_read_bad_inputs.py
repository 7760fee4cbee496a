"""Bad state files and output paths given to `read`: exit 2 with one line naming the field, before any
request is sent and before any output folder is created; output paths are never deleted or replaced
by something else; a killed run's stale temp files are cleaned up; records come out unaltered."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import orjson
import pytest

CONTACTS_IN_PROGRESS = {"mode": "full", "position": 3, "last_pk": 4, "boundary": {}, "output": None}


def contacts_state(**entry) -> dict:
    return {"version": 1, "resources": {"contacts": entry}}


BAD_STATES = {
    "boundary_value_a_number": (contacts_state(cursor="2025-01-01 00:00:00", boundary={"1": 5}),
                                "resources.contacts.boundary.1"),
    "boundary_value_an_empty_list": (contacts_state(cursor="2025-01-01 00:00:00", boundary={"1": []}),
                                     "resources.contacts.boundary.1"),
    "last_pk_a_string": (contacts_state(in_progress={**CONTACTS_IN_PROGRESS, "last_pk": "abc"}),
                         "resources.contacts.in_progress.last_pk"),
    "last_pk_a_numeric_string": (contacts_state(in_progress={**CONTACTS_IN_PROGRESS, "last_pk": "4"}),
                                 "resources.contacts.in_progress.last_pk"),
    "last_pk_a_list": (contacts_state(in_progress={**CONTACTS_IN_PROGRESS, "last_pk": [4]}),
                       "resources.contacts.in_progress.last_pk"),
    "output_not_an_object": (contacts_state(in_progress={**CONTACTS_IN_PROGRESS, "output": "out/contacts.jsonl"}),
                             "resources.contacts.in_progress.output"),
    "version_true": ({"version": True, "resources": {}}, "'version'"),
    "cursor_in_2999": (contacts_state(cursor="2999-01-01 00:00:00", boundary={}), "resources.contacts.cursor"),
    "cursor_not_a_date": (contacts_state(cursor="yesterday", boundary={}), "resources.contacts.cursor"),
    "boundary_date_not_a_date": (contacts_state(cursor="2025-01-01 00:00:00", boundary={"1": ["soon", "ab"]}),
                                 "resources.contacts.boundary.1"),
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_a_bad_state_file_is_a_usage_error_before_any_request_or_output(
        harness_factory, credential_file, run_cli_here, tmp_path, case):
    document, field = BAD_STATES[case]
    state = tmp_path / "state.json"
    state.write_bytes(orjson.dumps(document))
    before = state.read_bytes()
    out = tmp_path / "out"
    with harness_factory(contacts=12) as harness:
        harness.clear_requests()
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--state", str(state), "--output", str(out))
        sent = harness.requests()
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1 and str(state) in stderr and field in stderr, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert sent == [], "a request was sent before the state file was validated"
    assert not out.exists(), "the output folder was created before the state file was validated"
    assert state.read_bytes() == before


def test_a_future_cursor_is_ignored_with_full_refresh(harness_factory, credential_file, run_cli_here, tmp_path):
    state = tmp_path / "state.json"
    state.write_bytes(orjson.dumps(contacts_state(cursor="2999-01-01 00:00:00", boundary={})))
    with harness_factory(contacts=12) as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--state", str(state), "--full-refresh", "--quiet")
        expected = harness.count("Contacts")
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout.splitlines()) == expected
    assert orjson.loads(state.read_bytes())["resources"]["contacts"]["cursor"] < "2999"


def test_an_empty_output_path_is_a_usage_error(harness_factory, credential_file, run_cli_here, tmp_path):
    with harness_factory(contacts=3) as harness:
        harness.clear_requests()
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--output", "")
        sent = harness.requests()
    stderr = done.stderr.decode()
    assert done.returncode == 2 and len(stderr.strip().splitlines()) == 1 and "--output" in stderr, stderr
    assert sent == []


def test_a_device_as_state_file_is_refused_and_left_alone(harness_factory, credential_file, run_cli_here, tmp_path):
    device = tmp_path / "null"  # a private device node: never the machine's own /dev/null
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror})")
    with harness_factory(contacts=3) as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--state", str(device))
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "not a regular file" in stderr and len(stderr.strip().splitlines()) == 1
    assert stat.S_ISCHR(os.stat(device).st_mode), "the device node was replaced"


def test_a_state_file_behind_a_symlink_keeps_the_link(harness_factory, credential_file, run_cli_here, tmp_path):
    real = tmp_path / "real-state.json"
    link = tmp_path / "state.json"
    link.symlink_to(real)
    with harness_factory(contacts=3) as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--state", str(link), "--quiet")
    assert done.returncode == 0, done.stderr.decode()
    assert link.is_symlink() and orjson.loads(real.read_bytes())["resources"]["contacts"]["cursor"]


def test_stale_temp_files_of_a_killed_run_are_removed_and_nothing_else(
        harness_factory, credential_file, run_cli_here, tmp_path):
    state = tmp_path / "state.json"
    stale = tmp_path / ".state.json.k1ll3d_x.tmp"  # the pattern write_atomically uses (mkstemp: 8 characters)
    fresh = tmp_path / ".state.json.n0wbusy1.tmp"  # just written: may belong to a live writer
    other = [tmp_path / ".state.json.not-ours.tmp", tmp_path / ".other.json.abcdefgh.tmp", tmp_path / "keep.tmp"]
    for path in (stale, fresh, *other):
        path.write_text("{}")
    an_hour_ago = time.time() - 3600
    for path in (stale, *other):
        os.utime(path, (an_hour_ago, an_hour_ago))
    with harness_factory(contacts=3) as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--state", str(state), "--quiet")
    assert done.returncode == 0, done.stderr.decode()
    assert not stale.exists()
    assert fresh.exists() and all(path.exists() for path in other)


def test_record_data_is_emitted_unaltered_while_nothing_else_holds_the_key(
        harness_factory, credential_file, run_cli_here, tmp_path):
    state = tmp_path / "state.json"
    with harness_factory(contacts=3) as harness:
        key = harness.api_key
        first = harness.ids("Contacts")[0]
        harness.update("Contacts", first, {"LAST_NAME": key, "BACKGROUND": f"pasted {key}"})
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                            "--state", str(state))
    assert done.returncode == 0, done.stderr.decode()
    (record,) = [r for r in map(orjson.loads, done.stdout.splitlines()) if r["CONTACT_ID"] == first]
    assert record["LAST_NAME"] == key and record["BACKGROUND"] == f"pasted {key}"
    assert key.encode() not in done.stderr and key.encode() not in state.read_bytes()


def test_a_killed_writers_temp_file_is_removed_at_once_and_a_live_writers_kept(
        harness_factory, credential_file, run_cli_here, tmp_path):
    """A temp file names the process that wrote it: a resume right after a kill -9 removes the dead
    writer's file without waiting for it to grow old, and leaves a live writer's alone."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        state = tmp_path / "state.json"
        killed = tmp_path / f".state.json.{dead.pid}.k1ll3d_x.tmp"
        busy = tmp_path / f".state.json.{live.pid}.n0wbusy1.tmp"
        for path in (killed, busy):
            path.write_text("{}")
        with harness_factory(contacts=3) as harness:
            done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts",
                                "--state", str(state), "--quiet")
        assert done.returncode == 0, done.stderr.decode()
        assert not killed.exists() and busy.exists()
    finally:
        live.kill()
        live.wait(timeout=30)
