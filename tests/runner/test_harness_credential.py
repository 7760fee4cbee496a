"""The harness verb hands a newcomer a ready credential: printed, and written 0600 with
`--credential-out FILE`, so `check --credential FILE` works against it at once."""

from __future__ import annotations

import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time

from .conftest import assert_no_secret, run_cli

START_SECONDS = 30


def test_the_written_credential_checks_out_against_the_running_harness(tmp_path):
    path = tmp_path / "harness-credential.json"
    process = subprocess.Popen([sys.executable, "-m", "insightly_connector", "harness", "--contacts", "5",
                                "--rate-limit", "0", "--credential-out", str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        lines = _lines_until(process, "Ctrl-C")
        printed = json.loads(next(line for line in lines if line.startswith("credential: ")).split(": ", 1)[1])
        written = json.loads(path.read_text())
        assert printed == written and written["base_url"].startswith("http://127.0.0.1:")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert any(f"check --credential {path}" in line for line in lines)
        checked = run_cli("check", "--credential", str(path), "--no-probe")
        assert checked.returncode == 0, checked.stderr
        assert json.loads(checked.stdout)["status"] == "verified"
        assert_no_secret(written["api_key"], checked.stdout, checked.stderr)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_an_unwritable_credential_out_is_refused_before_serving(tmp_path):
    done = run_cli("harness", "--credential-out", str(tmp_path / "missing" / "c.json"))
    assert done.returncode == 2 and "--credential-out" in done.stderr


def _lines_until(process: subprocess.Popen, prefix: str) -> list[str]:
    """The child's stdout lines up to one starting with `prefix` (a reader thread; bounded wait)."""
    found: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [found.put(line.strip()) for line in process.stdout], daemon=True).start()
    lines: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and not any(line.startswith(prefix) for line in lines):
        try:
            lines.append(found.get(timeout=0.5))
        except queue.Empty:
            if process.poll() is not None:
                break
    return lines
