"""Airbyte and Singer output of a real CLI read: every line a well-formed message, in a valid order."""

import orjson

STATUSES = ("STARTED", "RUNNING", "COMPLETE", "INCOMPLETE")


def messages_of(stdout: bytes) -> list[dict]:
    return [orjson.loads(line) for line in stdout.splitlines()]


def test_airbyte_read(harness_factory, credential_file, run_cli, tmp_path):
    with harness_factory(contacts=600, plan="professional") as harness:
        done = run_cli("--credential", str(credential_file(harness)), "--format", "airbyte",
                       "--resources", "contacts,countries,tickets", "--state", str(tmp_path / "state.json"))
        contact_ids = set(harness.ids("Contacts"))
    assert done.returncode == 0, done.stderr.decode()
    messages = messages_of(done.stdout)
    assert {m["type"] for m in messages} <= {"RECORD", "STATE", "LOG", "TRACE"}
    records = [m["record"] for m in messages if m["type"] == "RECORD"]
    assert all(set(r) == {"stream", "data", "emitted_at"} and isinstance(r["emitted_at"], int) for r in records)
    assert {r["data"]["CONTACT_ID"] for r in records if r["stream"] == "contacts"} == contact_ids
    per_stream: dict[str, list[str]] = {}
    counted: dict[str, float] = {}
    for message in messages:
        if message["type"] == "TRACE" and message["trace"]["type"] == "STREAM_STATUS":
            status = message["trace"]["stream_status"]
            assert status["status"] in STATUSES and isinstance(message["trace"]["emitted_at"], int)
            per_stream.setdefault(status["stream_descriptor"]["name"], []).append(status["status"])
        elif message["type"] == "STATE":
            state = message["state"]
            assert state["type"] == "STREAM" and set(state["stream"]) == {"stream_descriptor", "stream_state"}
            name = state["stream"]["stream_descriptor"]["name"]
            counted[name] = counted.get(name, 0) + state["sourceStats"]["recordCount"]
        elif message["type"] == "RECORD":
            assert per_stream[message["record"]["stream"]][-1] in ("STARTED", "RUNNING")
    assert per_stream["contacts"] == ["STARTED", "RUNNING", "COMPLETE"]
    assert per_stream["tickets"] == ["STARTED", "INCOMPLETE"]
    assert counted["contacts"] == len(contact_ids)  # recordCount per STATE adds up to the records sent
    last_state = [m for m in messages if m["type"] == "STATE"
                  and m["state"]["stream"]["stream_descriptor"]["name"] == "contacts"][-1]
    assert "cursor" in last_state["state"]["stream"]["stream_state"]


def test_singer_read_to_files(harness_factory, credential_file, run_cli_here, tmp_path):
    out = tmp_path / "out"
    with harness_factory(contacts=40) as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--format", "singer",
                       "--resources", "contacts,organisations", "--output", str(out),
                       "--state", str(tmp_path / "state.json"))
        counts = {"contacts": harness.count("Contacts"), "organisations": harness.count("Organisations")}
    assert done.returncode == 0, done.stderr.decode()
    for stream, key in (("contacts", "CONTACT_ID"), ("organisations", "ORGANISATION_ID")):
        lines = messages_of((out / f"{stream}.jsonl").read_bytes())
        schema, records = lines[0], lines[1:]
        assert schema["type"] == "SCHEMA" and schema["stream"] == stream
        assert schema["key_properties"] == [key] and schema["bookmark_properties"] == ["DATE_UPDATED_UTC"]
        assert schema["schema"]["type"] == "object" and key in schema["schema"]["properties"]
        assert len(records) == counts[stream]
        assert all(r["type"] == "RECORD" and r["stream"] == stream and r["time_extracted"].endswith("Z")
                   for r in records)
    states = messages_of(done.stdout)  # protocol messages that are not records stay on stdout
    assert states and all(m["type"] == "STATE" for m in states)
    assert set(states[-1]["value"]["resources"]) == {"contacts", "organisations"}
    assert orjson.loads((tmp_path / "state.json").read_bytes()) == states[-1]["value"]
