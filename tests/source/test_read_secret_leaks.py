"""The API key never leaves the process, raw or base64-encoded, on any read path, above all the failing
ones: a wrong key, 500s until retries run out, a 400, a network failure, and a record holding the key
(which comes out unaltered, since records are the user's data, while nothing else holds the key)."""

import base64
import socket

import pytest


def leaked_forms(key: str) -> list[bytes]:
    forms = [key.encode()]
    for raw in (key, key + ":"):
        encoded = base64.b64encode(raw.encode())
        forms += [encoded, encoded.rstrip(b"=")]
    return forms


def everything_written(done, tmp_path) -> bytes:
    files = b"".join(path.read_bytes() for path in sorted(tmp_path.rglob("*"))
                     if path.is_file() and path.name != "credential.json")
    return done.stdout + done.stderr + files


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scenario", ["wrong_key", "server_errors", "bad_request", "network_failure",
                                      "key_inside_a_record"])
def test_no_key_in_any_output(harness_factory, credential_file, run_cli, fast_retry_config, tmp_path, scenario):
    with harness_factory(contacts=60) as harness:
        key = harness.api_key
        base_url = None
        expected_exit = 1
        if scenario == "wrong_key":
            key = "5e1f2a3b-0000-4c4c-9d9d-abcdefabcdef"
        elif scenario == "server_errors":
            harness.inject(status=500, count=20, path_prefix="/Contacts")
        elif scenario == "bad_request":
            harness.inject(status=400, count=1, path_prefix="/Contacts")
        elif scenario == "network_failure":
            base_url = f"http://127.0.0.1:{closed_loopback_port()}/v3.1"
        else:
            harness.update("Contacts", harness.ids("Contacts")[0], {"BACKGROUND": f"my key is {key}"})
            expected_exit = 0
        credential = credential_file(harness, api_key=key, base_url=base_url)
        done = run_cli("--credential", str(credential), "--config", str(fast_retry_config), "--format", "airbyte",
                       "--resources", "contacts", "--state", str(tmp_path / "state.json"),
                       "--output", str(tmp_path / "out"))
    assert done.returncode == expected_exit, done.stderr.decode()
    records = tmp_path / "out" / "contacts.jsonl"
    record_bytes = records.read_bytes() if records.exists() else b""
    if scenario == "key_inside_a_record":  # the record is the user's data: emitted as it is, not scrubbed
        records.unlink()
    written = everything_written(done, tmp_path)
    for form in leaked_forms(key):
        assert form not in written, f"{scenario}: a form of the key leaked"
    if expected_exit:
        last_line = done.stderr.decode().strip().splitlines()[-1]
        assert last_line.startswith("error: ") and "Traceback" not in done.stderr.decode()
        assert b'"failure_type"' in done.stdout  # the Airbyte TRACE ERROR was emitted, scrubbed
    else:
        assert f"my key is {key}".encode() in record_bytes and b"***" not in record_bytes
