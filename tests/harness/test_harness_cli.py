"""The `harness` CLI verb: options, foreground run printing the base URL and demo key, clean stop."""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import requests

from insightly_connector.commands import harness as harness_command


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    harness_command.register(parser.add_subparsers(dest="verb"))
    return parser


def test_register_adds_the_verb_with_its_options():
    args = _parser().parse_args(["harness", "--port", "0", "--pod", "eu1", "--seed", "3", "--contacts", "50",
                                 "--plan", "professional", "--rate-limit", "0", "--latency-ms", "5",
                                 "--jitter-ms", "2", "--error-rate", "0.1", "--size", "Notes=7",
                                 "--churn", "Contacts", "--search-inclusive", "--daily-quota", "9"])
    assert args.func is harness_command.run
    assert (args.port, args.pod, args.seed, args.contacts, args.plan, args.rate_limit) == (0, "eu1", 3, 50,
                                                                                         "professional", 0)
    assert args.size == ["Notes=7"] and args.churn == ["Contacts"] and args.search_inclusive
    assert _parser().parse_args(["harness"]).rate_limit == 10


def _read_lines(process: subprocess.Popen, until: str, seconds: float) -> list[str]:
    """Lines of the child's stdout up to one starting with `until` (a reader thread; bounded wait)."""
    found: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [found.put(line.strip()) for line in process.stdout], daemon=True).start()
    lines, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline and not any(line.startswith(until) for line in lines):
        try:
            lines.append(found.get(timeout=0.5))
        except queue.Empty:
            if process.poll() is not None:
                break
    return lines


def test_the_cli_serves_until_sigterm_and_prints_url_and_key():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "insightly_connector", "harness", "--contacts", "5",
                                "--pod", "au1", "--rate-limit", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = _read_lines(process, "Ctrl-C", seconds=30)
        values = dict(line.split(": ", 1) for line in lines if ": " in line)
        base_url, key = values["base_url"].strip(), values["api_key"].strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v3.1")
        me = requests.get(base_url + "/Users/Me", auth=(key, ""), timeout=10)
        assert me.status_code == 200
        assert requests.get(values["admin"].strip(), timeout=10).json()["pod"] == "au1"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_bad_options_exit_with_the_usage_code():
    result = subprocess.run([sys.executable, "-m", "insightly_connector", "harness", "--size", "Planets=5"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--size" in result.stderr
    result = subprocess.run([sys.executable, "-m", "insightly_connector", "harness", "--plan", "gold"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
