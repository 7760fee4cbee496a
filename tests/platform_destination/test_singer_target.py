"""target-insightly as Meltano runs it: `--about`, `--config` with the write options, Singer messages on stdin.
A stream shaped like a Singer SDK tap's (with `_sdc_*` columns) is created, then upserted with no duplicates,
and each STATE's value comes back as a bare JSON line only once the records before it are in the harness."""

from __future__ import annotations

import json
import subprocess

from .conftest import BIN, config, jsonl, reject_lines, script, values


def sdk_stream(tag: str, title: str, count: int = 6) -> list[dict]:
    """What an SDK tap sends: SCHEMA, RECORDs with _sdc_ columns and RFC 3339 dates, a STATE midway and at the end."""
    out: list[dict] = [{"type": "SCHEMA", "stream": "contacts", "key_properties": ["EMAIL_ADDRESS"],
                        "schema": {"type": "object", "properties": {}}}]
    for n in range(count):
        out.append({"type": "RECORD", "stream": "contacts", "time_extracted": "2026-01-01T00:00:00Z", "record": {
            "FIRST_NAME": f"Singer{n}", "EMAIL_ADDRESS": f"{tag}{n}@singer.test", "TITLE": title,
            "DATE_OF_BIRTH": "1985-01-02T03:04:05+00:00", "_sdc_extracted_at": "2026-01-01T00:00:00Z",
            "_sdc_last_modified": "2026-01-01T00:00:00Z", "_sdc_sequence": n}})
        if n == count // 2:
            out.append({"type": "STATE", "value": {"bookmarks": {"contacts": {"n": n}}}})
    out.append({"type": "STATE", "value": {"bookmarks": {"contacts": {"n": count}}}})
    return out


def run_checking_states(target, settings, stream: list[dict], tag: str) -> list[dict]:
    """Feed the stream; at each echoed state, every record before it must be in the harness."""
    proc = subprocess.Popen([str(BIN / "target-insightly"), "--config", str(settings)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(jsonl(*stream))
    proc.stdin.close()
    echoed = []
    states = [m for m in stream if m["type"] == "STATE"]
    for line in proc.stdout:
        value = json.loads(line)                                   # a bare value, not a STATE message
        position = stream.index(states[len(echoed)])
        assert value == states[len(echoed)]["value"]
        before = [m["record"] for m in stream[:position] if m["type"] == "RECORD"]
        stored = {r["EMAIL_ADDRESS"]: r for r in (target.get("Contacts", k) for k in target.ids("Contacts"))
                  if r and str(r.get("EMAIL_ADDRESS", "")).startswith(tag)}
        assert all(stored.get(r["EMAIL_ADDRESS"], {}).get("TITLE") == r["TITLE"] for r in before), value
        echoed.append(value)
    assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
    return echoed


def test_about_describes_the_settings():
    done = script("target-insightly", "--about", "--format", "json")
    assert done.returncode == 0, done.stderr
    about = json.loads(done.stdout)
    assert about["name"] == "target-insightly"
    settings = about["settings"]["properties"]
    assert settings["mode"]["enum"] == ["create", "update", "upsert"]
    assert {"upsert_key", "streams", "journal_dir", "rejects_dir", "api_key"} <= set(settings)


def test_create_then_upsert_with_no_duplicates_and_the_state_echoed(target, tmp_path):
    tag = "sdk"
    created = run_checking_states(target, config(target, tmp_path), sdk_stream(tag, "first"), tag)
    assert created == [{"bookmarks": {"contacts": {"n": 3}}}, {"bookmarks": {"contacts": {"n": 6}}}]
    mine = [r for r in (target.get("Contacts", k) for k in target.ids("Contacts"))
            if str(r.get("EMAIL_ADDRESS", "")).startswith(tag)]
    assert len(mine) == 6 and {r["DATE_OF_BIRTH"] for r in mine} == {"1985-01-02 03:04:05"}
    assert not any(name.startswith("_sdc_") for r in mine for name in r)
    count = target.count("Contacts")
    upsert = config(target, tmp_path, streams={"contacts": {"mode": "upsert"}})   # key: the stream's key_properties
    run_checking_states(target, upsert, sdk_stream(tag, "second"), tag)
    assert target.count("Contacts") == count
    titles = [r["TITLE"] for r in (target.get("Contacts", k) for k in target.ids("Contacts"))
              if str(r.get("EMAIL_ADDRESS", "")).startswith(tag)]
    assert titles == ["second"] * 6
    assert not list((tmp_path / "rejects").iterdir())


def test_rejected_and_unroutable_records_end_in_the_rejects_folder(target, tmp_path):
    stream = [{"type": "RECORD", "stream": "contacts", "record": {"LAST_NAME": "No first name"}},
              {"type": "RECORD", "stream": "widgets", "record": {"A": 1}},
              {"type": "STATE", "value": {"done": True}}]
    done = script("target-insightly", "--config", config(target, tmp_path), stdin=jsonl(*stream))
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"done": True}]
    (invalid,) = reject_lines(tmp_path / "rejects" / "contacts.rejects.jsonl")
    assert invalid["error"]["category"] == "validation" and invalid["nexlaMetaData"]["inputLine"] == 1
    (unknown,) = reject_lines(tmp_path / "rejects" / "unroutable.rejects.jsonl")
    assert unknown["error"]["category"] == "unknown_stream" and unknown["nexlaMetaData"]["inputLine"] == 2
    assert target.api_key not in done.stderr.decode()


def test_config_errors_are_usage_errors_before_anything_is_written(target, tmp_path):
    before = values(target, "Contacts", "EMAIL_ADDRESS")
    record = jsonl({"type": "RECORD", "stream": "contacts", "record": {"FIRST_NAME": "x", "EMAIL_ADDRESS": "x@y.z"}})
    for bad in ({"mode": "delete"}, {"surprise": 1}, {"streams": {"emails": {"mode": "create"}}},
                {"mode": "upsert", "upsert_key": "NOPE"}):
        done = script("target-insightly", "--config", config(target, tmp_path, **bad), stdin=record)
        assert done.returncode == 2 and done.stdout == b"", (bad, done.stderr)
        assert b"Traceback" not in done.stderr and target.api_key not in done.stderr.decode()
    assert values(target, "Contacts", "EMAIL_ADDRESS") == before
