"""`insightly-connector ui` as a person starts it: a free port on 127.0.0.1, the URL printed as the harness
prints its own, the pages served, SIGTERM a clean stop; a busy port is a usage error."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import requests

from tests.ui.conftest import run_cli

START_SECONDS = 30


def test_ui_prints_its_url_serves_the_pages_and_stops_on_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "insightly_connector", "ui", "--port", "0", "--credential",
         str(tmp_path / "credential.json"), "--runs", str(tmp_path / "runs")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        deadline = time.monotonic() + START_SECONDS
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("url:"):
                url = line.split(None, 1)[1].strip()
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert '<div id="root">' in requests.get(url, timeout=10).text
        about = requests.get(url + "api/about", timeout=10).json()
        assert about["credential_path"] == str(tmp_path / "credential.json")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=START_SECONDS)
        assert process.returncode == 0 and "ui stopped" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_a_busy_port_is_a_usage_error(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run_cli("ui", "--port", str(busy.getsockname()[1]), "--credential", str(tmp_path / "c.json"))
    assert result.returncode == 2 and "--port: cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr
