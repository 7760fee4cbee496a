"""Usage errors from the command line: one line on stderr (with a `--help` hint for argument errors),
exit 2, no traceback; and `check` saying that a redirect was refused rather than "could not reach"."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from insightly_connector.harness import Harness

from .conftest import credential_dict, run_cli, write_credential


def assert_one_line_usage_error(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr and "usage:" not in done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(("args", "needles"), [
    (["read", "--limit", "x"], ["--limit", "read --help"]),
    (["read", "--resources", "contacts"], ["--credential", "INSIGHTLY_API_KEY", "read --help"]),
    (["read"], ["--output DIR", "--resources", "read --help"]),
    (["write", "--credential", "c.json", "--mode", "create"], ["--resource", "write --help"]),
    (["no-such-verb"], ["no-such-verb", "--help"]),
    ([], ["VERB", "--help"]),
    (["check", "--credential", "c.json", "--bogus"], ["--bogus", "--help"]),
])
def test_argument_errors_are_one_line_with_a_help_hint(args, needles):
    assert_one_line_usage_error(run_cli(*args), *needles)


@pytest.mark.parametrize(("args", "needle"), [
    (["--error-rate", "2"], "--error-rate"),
    (["--reset-rate", "-0.5"], "--reset-rate"),
    (["--truncate-rate", "nan"], "--truncate-rate"),
    (["--port", "70000"], "--port"),
    (["--port", "-1"], "--port"),
    (["--latency-ms", "-5"], "--latency-ms"),
])
def test_bad_harness_options_are_usage_errors(args, needle):
    assert_one_line_usage_error(run_cli("harness", *args), needle)


def test_a_busy_port_is_a_usage_error_naming_the_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "insightly_connector", "harness", "--port", str(port),
                               "--contacts", "1"], capture_output=True, text=True, timeout=60, check=False)
    assert_one_line_usage_error(done, "--port", str(port))


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_config_that_is_not_utf8_is_a_usage_error_naming_the_file(tmp_path, encoding):
    from insightly_connector.spec.loader import load_spec

    config = tmp_path / "connector.yaml"
    text = load_spec().path.read_text(encoding="utf-8").replace("display_name: Insightly",
                                                               "display_name: Insightly café", 1)
    config.write_bytes(text.encode(encoding))
    credential = write_credential(tmp_path, {"name": "t", "api_key": "abcdefgh-1234", "pod": "na1"})
    done = run_cli("check", "--credential", credential, "--config", str(config))
    assert_one_line_usage_error(done, str(config), "UTF-8")


def test_check_says_a_redirect_was_refused(tmp_path, spec):
    with Harness(contacts=1, rate_limit_per_second=None) as harness:
        harness.inject(status=302, count=20)
        credential = write_credential(tmp_path, credential_dict(harness))
        done = run_cli("check", "--credential", credential, "--no-probe")
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "redirect_refused", result
    assert "redirect" in result["message"] and "could not reach" not in result["message"]
    assert "redirect" in done.stderr.strip().splitlines()[-1]
