"""destination-insightly as Airbyte runs it: spec, check, write with messages on stdin. The source -> destination
pipe runs between two harnesses, and each STATE is checked against the target's own store the moment it is
echoed. Every stdout line must parse as an Airbyte message with the models PyAirbyte uses."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from airbyte_protocol.models import AirbyteMessage

from insightly_connector.harness import Harness

from .conftest import BIN, config, jsonl, reject_lines, script, values

KEYS = {"contacts": ("Contacts", "EMAIL_ADDRESS"), "organisations": ("Organisations", "ORGANISATION_NAME")}


def messages(stdout: bytes) -> list[dict]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    for line in lines:
        AirbyteMessage.model_validate_json(line)
    return [json.loads(line) for line in lines]


def catalog(folder: Path, sync_mode: str = "append", streams=tuple(KEYS), primary_key=None) -> Path:
    entries = [{"stream": {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]},
                "sync_mode": "full_refresh", "destination_sync_mode": sync_mode,
                **({"primary_key": primary_key} if primary_key else {})} for name in streams]
    path = folder / "catalog.json"
    path.write_text(json.dumps({"streams": entries}))
    return path


@pytest.fixture(scope="module")
def source() -> Harness:
    with Harness(seed=3, contacts=12, rate_limit_per_second=None) as running:
        yield running


def test_spec_declares_the_sync_modes_it_honours():
    done = script("destination-insightly", "spec")
    assert done.returncode == 0, done.stderr
    (message,) = messages(done.stdout)
    spec = message["spec"]
    assert spec["supported_destination_sync_modes"] == ["append", "append_dedup"]
    properties = spec["connectionSpecification"]["properties"]
    assert {"journal_dir", "rejects_dir", "upsert_key", "streams"} <= set(properties)
    assert "mode" not in properties and properties["api_key"]["airbyte_secret"] is True


def test_check_succeeds_and_a_bad_config_fails_with_exit_zero(target, tmp_path):
    done = script("destination-insightly", "check", "--config", config(target, tmp_path))
    assert done.returncode == 0 and messages(done.stdout)[0]["connectionStatus"]["status"] == "SUCCEEDED"
    for bad in ({"api_key": "wrong-key"}, {"journal_dir": str(tmp_path / "missing")}, {"mode": "create"}):
        done = script("destination-insightly", "check", "--config", config(target, tmp_path, **bad))
        (status,) = messages(done.stdout)
        assert done.returncode == 0 and status["connectionStatus"]["status"] == "FAILED", bad
        assert target.api_key not in done.stdout.decode()


def test_modes_that_cannot_be_honoured_are_refused_before_anything_is_written(target, tmp_path):
    before = target.count("Contacts")
    record = {"type": "RECORD", "record": {"stream": "contacts", "emitted_at": 1, "data": {"FIRST_NAME": "No"}}}
    done = script("destination-insightly", "write", "--config", config(target, tmp_path), "--catalog",
                  catalog(tmp_path, "overwrite"), stdin=jsonl(record))
    assert done.returncode == 1
    (trace,) = messages(done.stdout)
    assert trace["trace"]["error"]["failure_type"] == "config_error"
    assert "overwrite" in trace["trace"]["error"]["message"] and "append_dedup" in trace["trace"]["error"]["message"]
    assert target.count("Contacts") == before


def test_source_to_destination_between_two_harnesses(source, target, tmp_path):
    """`source-insightly read` from one harness piped into `destination-insightly write` aimed at another: every
    record arrives, and each STATE comes back only once the records before it are in the target's store."""
    source_config = tmp_path / "source.json"
    source_config.write_text(json.dumps({"api_key": source.api_key, "base_url": source.base_url,
                                         "requests_per_second": 100}))
    reader = subprocess.Popen([str(BIN / "source-insightly"), "read", "--config", str(source_config),
                               "--catalog", str(catalog(tmp_path))], stdout=subprocess.PIPE)
    writer = subprocess.Popen([str(BIN / "destination-insightly"), "write", "--config", str(config(target, tmp_path)),
                               "--catalog", str(catalog(tmp_path))], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sent: list[dict] = []

    def forward():
        for line in reader.stdout:
            sent.append(json.loads(line))
            writer.stdin.write(line)
            writer.stdin.flush()
        writer.stdin.close()

    pump = threading.Thread(target=forward)
    pump.start()
    echoed, seen = [], 0
    for line in writer.stdout:
        AirbyteMessage.model_validate_json(line)
        message = json.loads(line)
        if message["type"] != "STATE":
            continue
        index = next(i for i in range(seen, len(sent)) if sent[i] == message)   # the STATE as the source sent it
        before = [m["record"] for m in sent[seen:index] if m["type"] == "RECORD"]
        for record in before:
            collection, field = KEYS[record["stream"]]
            assert record["data"][field] in values(target, collection, field), (record["stream"], message)
        echoed.append(message)
        seen = index + 1
    pump.join(timeout=60)
    assert reader.wait(timeout=60) == 0 and writer.wait(timeout=60) == 0
    assert echoed == [m for m in sent if m["type"] == "STATE"] and len(echoed) >= len(KEYS)
    for stream, (collection, field) in KEYS.items():
        expected = [m["record"]["data"][field] for m in sent
                    if m["type"] == "RECORD" and m["record"]["stream"] == stream]
        assert expected and set(expected) <= set(values(target, collection, field)), stream
    assert not list((tmp_path / "rejects").iterdir())


def test_append_dedup_upserts_on_the_configured_key_and_rejects_unknown_streams(target, tmp_path):
    def record(n: int, title: str, stream: str = "contacts") -> dict:
        data = {"FIRST_NAME": f"Dedup{n}", "EMAIL_ADDRESS": f"dedup{n}@airbyte.test", "TITLE": title,
                "_airbyte_raw_id": f"r{n}", "_airbyte_extracted_at": 1}
        return {"type": "RECORD", "record": {"stream": stream, "emitted_at": 1, "data": data}}

    state = {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "contacts"},
                                                                       "stream_state": {"n": 1}}}}
    settings = config(target, tmp_path, streams={"contacts": {"upsert_key": "EMAIL_ADDRESS"}})
    dedup = catalog(tmp_path, "append_dedup", streams=["contacts"], primary_key=[["CONTACT_ID"]])
    first = script("destination-insightly", "write", "--config", settings, "--catalog", dedup,
                   stdin=jsonl(record(1, "one"), record(2, "one"), record(9, "x", "nowhere"), state))
    assert first.returncode == 0, first.stderr
    assert [m for m in messages(first.stdout) if m["type"] == "STATE"] == [state]
    count = target.count("Contacts")
    second = script("destination-insightly", "write", "--config", settings, "--catalog", dedup,
                    stdin=jsonl(record(1, "two"), record(2, "two"), state))
    assert second.returncode == 0 and [m for m in messages(second.stdout) if m["type"] == "STATE"] == [state]
    assert target.count("Contacts") == count                                   # updated, not created again
    titles = {r["EMAIL_ADDRESS"]: r["TITLE"] for r in (target.get("Contacts", k) for k in target.ids("Contacts"))}
    assert titles["dedup1@airbyte.test"] == titles["dedup2@airbyte.test"] == "two"
    (reject,) = reject_lines(tmp_path / "rejects" / "unroutable.rejects.jsonl")
    assert reject["error"]["category"] == "unknown_stream" and "nowhere" in reject["error"]["message"]
