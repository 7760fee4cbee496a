"""A read killed mid-way (SIGKILL, no chance to clean up) resumes from its state file with nothing lost,
and, with --output files, nothing repeated either."""

import subprocess
import sys
import time

import orjson

WAIT_SECONDS = 30


def wait_for_pages(state_path, pages_position: int, process: subprocess.Popen) -> dict:
    """Poll the state file until it checkpoints at or past `pages_position` (bounded in time)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            progress = orjson.loads(state_path.read_bytes())["resources"]["contacts"].get("in_progress", {})
        except (FileNotFoundError, orjson.JSONDecodeError, KeyError):
            progress = {}
        if progress.get("position", 0) >= pages_position:
            return progress
        time.sleep(0.02)
    raise AssertionError("the read did not checkpoint in time (or finished before it could be killed)")


def test_killed_read_resumes_with_every_record_exactly_once(harness_factory, credential_file, run_cli, tmp_path):
    state, out = tmp_path / "state.json", tmp_path / "out"
    with harness_factory(contacts=6000, latency_ms=300) as harness:
        args = ["--credential", str(credential_file(harness)), "--resources", "contacts", "--state", str(state),
                "--output", str(out), "--quiet"]
        process = subprocess.Popen([sys.executable, "-m", "insightly_connector", "read", *args],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            killed_at = wait_for_pages(state, 2 * 499, process)
        finally:
            process.kill()
            process.wait(timeout=WAIT_SECONDS)
        assert process.returncode != 0
        harness.clear_faults()
        harness.clear_requests()
        resumed = run_cli(*args[:-1])
        first_offset = int(next(e for e in harness.requests() if e.path == "/Contacts").query["skip"])
        expected = sorted(harness.ids("Contacts"))
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert "(resumed)" in resumed.stderr.decode()
    saved = orjson.loads(state.read_bytes())["resources"]["contacts"]
    assert "in_progress" not in saved and "cursor" in saved
    assert first_offset >= killed_at["position"] > 0  # it continued, it did not start over
    emitted = [orjson.loads(line)["CONTACT_ID"] for line in (out / "contacts.jsonl").read_bytes().splitlines()]
    assert sorted(emitted) == expected
