"""What a read does when the API pushes back: 429 and 5xx recovery, a spent daily quota (exit 4, resumable),
a 403/404 resource (a reported skip), every resource skipped (exit 1), and sample mode writing no state."""

import orjson

from insightly_connector.errors import ExitCode, QuotaExhausted


def ids_in(result) -> list:
    return [record["CONTACT_ID"] for record in result.lines()]


def test_429_and_5xx_are_waited_out_and_retried(harness_factory, read_in_process, fast_spec):
    with harness_factory(contacts=1100) as harness:
        harness.inject(status=429, count=2, path_prefix="/Contacts", retry_after=1)
        harness.inject(status=503, count=1, path_prefix="/Contacts")
        harness.inject(status=500, count=1, path_prefix="/Contacts")
        result = read_in_process(harness, ["contacts"], with_spec=fast_spec)
        statuses = [e.status for e in harness.requests() if e.path == "/Contacts"]
        expected = sorted(harness.ids("Contacts"))
    assert result.report.error is None and result.report.resources[0].status == "complete"
    assert sorted(ids_in(result)) == expected
    assert sorted(statuses).count(429) == 2 and 503 in statuses and 500 in statuses
    assert result.client_stats["throttled"] == 2 and result.client_stats["retries"] >= 4


def test_spent_quota_stops_cleanly_and_a_later_run_resumes_the_same_window(harness_factory, read_in_process, tmp_path):
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=1500) as harness:
        cursor = harness.now().replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
        changed = harness.ids("Contacts")[:1200]
        for key in changed:  # three pages of changes
            harness.update("Contacts", key, {"BACKGROUND": "changed"})
        state_path.write_bytes(orjson.dumps({"version": 1, "resources": {"contacts": {"cursor": cursor}}}))
        harness.advance_clock(2)
        harness.set_quota_remaining(1)
        stopped = read_in_process(harness, ["contacts"], state_path=state_path)
        saved = orjson.loads(state_path.read_bytes())["resources"]["contacts"]
        harness.reset_quota()
        resumed = read_in_process(harness, ["contacts"], state_path=state_path)
        final = orjson.loads(state_path.read_bytes())["resources"]["contacts"]
    assert isinstance(stopped.report.error, QuotaExhausted) and stopped.report.exit_code == ExitCode.QUOTA
    assert stopped.report.resources[0].status == "stopped" and stopped.report.resources[0].records == 500
    assert saved["cursor"] == cursor, "no new cursor may be written for a resource that did not finish"
    assert saved["in_progress"]["mode"] == "incremental" and saved["in_progress"]["position"] == 499
    assert resumed.report.exit_code == 0 and resumed.report.resources[0].resumed
    union = ids_in(stopped) + ids_in(resumed)
    assert sorted(union) == sorted(changed), "lost or repeated records across the stop and the resume"
    assert final["cursor"] > cursor and "in_progress" not in final


def test_forbidden_and_missing_resources_are_reported_skips(harness_factory, read_in_process):
    with harness_factory(contacts=30, plan="professional") as harness:
        result = read_in_process(harness, ["contacts", "tickets", "products"], output_format="airbyte")
    statuses = {r.name: r.status for r in result.report.resources}
    assert statuses == {"contacts": "complete", "tickets": "skipped", "products": "skipped"}
    assert result.report.error is None
    messages = result.lines()
    stream_status = {(m["trace"]["stream_status"]["stream_descriptor"]["name"], m["trace"]["stream_status"]["status"])
                     for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "STREAM_STATUS"}
    assert ("tickets", "INCOMPLETE") in stream_status and ("products", "INCOMPLETE") in stream_status
    assert ("contacts", "COMPLETE") in stream_status
    warnings = [m["log"]["message"] for m in messages if m["type"] == "LOG" and m["log"]["level"] == "WARN"]
    assert any("tickets" in w and "403" in w for w in warnings)
    assert any("products" in w and "404" in w for w in warnings)


def test_a_run_that_skipped_everything_fails(harness_factory, credential_file, run_cli_here, tmp_path):
    with harness_factory(contacts=10, plan="professional") as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "tickets,prospects",
                       "--state", str(tmp_path / "state.json"))
    assert done.returncode == ExitCode.FATAL
    stderr = done.stderr.decode()
    assert "warning: tickets: skipped" in stderr and "warning: prospects: skipped" in stderr
    assert stderr.strip().splitlines()[-1].startswith("error: every requested resource was skipped")
    assert "Traceback" not in stderr and done.stdout == b""


def test_quota_exhaustion_exits_4_from_the_cli_and_the_next_day_completes(
        harness_factory, credential_file, run_cli_here, tmp_path):
    state, out = tmp_path / "state.json", tmp_path / "out"
    with harness_factory(contacts=1200) as harness:
        credential = str(credential_file(harness))
        harness.set_quota_remaining(2)
        stopped = run_cli_here("--credential", credential, "--resources", "contacts", "--state", str(state),
                          "--output", str(out))
        harness.reset_quota()
        finished = run_cli_here("--credential", credential, "--resources", "contacts", "--state", str(state),
                           "--output", str(out))
        expected = sorted(harness.ids("Contacts"))
    assert stopped.returncode == ExitCode.QUOTA, stopped.stderr.decode()
    assert "quota" in stopped.stderr.decode().strip().splitlines()[-1]
    assert finished.returncode == 0, finished.stderr.decode()
    emitted = [orjson.loads(line)["CONTACT_ID"] for line in (out / "contacts.jsonl").read_bytes().splitlines()]
    assert sorted(emitted) == expected


def test_sample_mode_reads_a_few_records_and_writes_no_state(harness_factory, credential_file, run_cli_here, tmp_path):
    state = tmp_path / "state.json"
    with harness_factory(contacts=300) as harness:
        done = run_cli_here("--credential", str(credential_file(harness)), "--resources", "contacts,organisations",
                       "--limit", "7", "--state", str(state))
        tops = {e.path: e.query.get("top") for e in harness.requests()}
    assert done.returncode == 0, done.stderr.decode()
    records = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert len(records) == 14
    assert sum("ORGANISATION_NAME" in r for r in records) == 7
    assert not state.exists()
    assert tops == {"/Contacts": "7", "/Organisations": "7"}
    assert "no state was written" in done.stderr.decode()


def test_bad_limit_and_unreadable_state_are_one_line_usage_errors(
        harness_factory, credential_file, run_cli_here, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{ not json")
    with harness_factory(contacts=5) as harness:
        credential = str(credential_file(harness))
        bad_state = run_cli_here("--credential", credential, "--resources", "contacts", "--state", str(state))
        bad_limit = run_cli_here("--credential", credential, "--resources", "contacts", "--limit", "0")
        unknown = run_cli_here("--credential", credential, "--resources", "contacts,nope")
        paths = {e.path for e in harness.requests()}
    for done, field in ((bad_state, str(state)), (bad_limit, "--limit"), (unknown, "--resources")):
        lines = done.stderr.decode().strip().splitlines()
        assert done.returncode == ExitCode.USAGE and len(lines) == 1 and field in lines[0], lines
    assert paths <= {"/CustomObjects"}  # an unknown name might be a custom object; nothing was read


def test_a_resource_without_a_cursor_leaves_no_state_behind(harness_factory, read_in_process, tmp_path):
    state_path = tmp_path / "state.json"
    with harness_factory(contacts=20) as harness:
        read_in_process(harness, ["emails", "contacts"], state_path=state_path)
    assert set(orjson.loads(state_path.read_bytes())["resources"]) == {"contacts"}
