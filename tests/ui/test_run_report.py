"""The sync report's reading of a run folder, on files the real runner wrote: files are found by what they
hold, whatever their names; counts agree with the files; a killed run (no end line, a half-written last line)
is reported as unfinished; the chart's rate is the trailing-second count the limiter keeps to."""

from __future__ import annotations

import shutil

from insightly_connector.harness import Harness
from insightly_connector.ui.run_files import find_runs
from insightly_connector.ui.run_report import chart, report
from tests.ui.conftest import log_lines, run_cli, write_credential


def test_a_run_is_read_from_its_own_files_whatever_they_are_called(recorded_runs, tmp_path):
    run = tmp_path / "renamed"
    shutil.copytree(recorded_runs / "rate-limited-read", run)
    (run / "requests.jsonl").rename(run / "wire.log.jsonl")
    (run / "state.json").rename(run / "cursor-file.json")
    found = find_runs(tmp_path)
    assert [r.folder for r in found] == [run]
    assert found[0].state == run / "cursor-file.json"
    result = report(found[0], tmp_path)
    events = log_lines(run / "wire.log.jsonl")
    requests = [e for e in events if e["event"] == "request"]
    assert result["finished"] and result["exit_code"] == events[-1]["exit_code"] == 0
    assert result["requests"] == len(requests) == sum(r["requests"] for r in result["resources"])
    assert result["rate_limited"] == sum(1 for r in requests if r["status"] == 429)
    by_name = {r["name"]: r for r in result["resources"]}
    for records in (run / "records").iterdir():
        assert by_name[records.stem]["records"] == len(records.read_text().splitlines())


def test_a_killed_run_is_reported_unfinished(recorded_runs, tmp_path):
    run = tmp_path / "killed"
    shutil.copytree(recorded_runs / "rate-limited-read", run)
    lines = (run / "requests.jsonl").read_text().splitlines()
    (run / "requests.jsonl").write_text("\n".join(lines[:-2]) + "\n" + lines[-2][:20])  # no end, a torn line
    result = report(find_runs(tmp_path)[0], tmp_path)
    assert not result["finished"] and result["exit_code"] is None
    assert result["requests"] == len(lines) - 3  # the run line, the torn request, the missing end


def test_the_chart_counts_the_trailing_second_at_every_step():
    requests = [{"t": t, "status": 429 if t == 0.35 else 200, "quota_remaining": 100 - n}
                for n, t in enumerate([0.05, 0.15, 0.35, 0.95, 1.05, 1.5])]
    result = chart(requests, 10.0, {"t": 2.0, "exit_code": 0})
    assert result["step_seconds"] == 0.1 and result["window_seconds"] == 1.0
    at = dict(zip(result["t"], result["rate"], strict=True))
    assert at[1.0] == 4 and at[1.1] == 4 and at[1.5] == 3 and at[2.0] == 2  # (t-1, t]
    assert sum(result["rate_limited"]) == 1 and result["rate_limited"][4] == 1  # 0.35 is in (0.3, 0.4]
    assert result["quota"][0] is None and result["quota"][-1] == 95 and set(result["limit"]) == {10.0}


def test_a_write_without_a_journal_reports_its_requests_and_rejects(tmp_path):
    run = tmp_path / "runs" / "no-journal"
    run.mkdir(parents=True)
    with Harness(contacts=5, rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path / "credential.json", harness)
        records = tmp_path / "in.jsonl"
        records.write_text('{"FIRST_NAME": "Ada", "LAST_NAME": "L"}\n{"FIRST_NAME": 5}\n')
        result = run_cli("write", "--credential", str(credential), "--resource", "contacts", "--mode", "create",
                         "--input", str(records), "--rejects", str(run / "rejected.jsonl"),
                         "--request-log", str(run / "log.jsonl"))
    assert result.returncode == 3, result.stderr
    found = find_runs(tmp_path / "runs")
    assert found[0].journals == [] and found[0].rejects == [run / "rejected.jsonl"]
    written = report(found[0], tmp_path / "runs")
    assert written["verb"] == "write" and written["rejects_total"] == 1
    [row] = written["resources"]
    assert row["name"] == "contacts" and row["mode"] == "create" and row["outcomes"] == {"rejected": 1}
    assert row["requests"] == written["requests"] >= 1


def test_records_are_counted_in_every_output_format(tmp_path):
    with Harness(contacts=30, rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path / "credential.json", harness)
        for output_format in ("jsonl", "airbyte", "singer"):
            run = tmp_path / "runs" / output_format
            run.mkdir(parents=True)
            result = run_cli("read", "--credential", str(credential), "--resources", "contacts", "--quiet",
                             "--format", output_format, "--output", str(run / "out"),
                             "--request-log", str(run / "requests.jsonl"))
            assert result.returncode == 0, result.stderr
    for run in find_runs(tmp_path / "runs"):
        [contacts] = [r for r in report(run, tmp_path / "runs")["resources"] if r["name"] == "contacts"]
        assert contacts["records"] == 30, run.folder.name


def test_a_write_with_a_results_file_reports_each_record_s_outcome(tmp_path):
    run = tmp_path / "runs" / "with-results"
    run.mkdir(parents=True)
    with Harness(contacts=5, rate_limit_per_second=None) as harness:
        credential = write_credential(tmp_path / "credential.json", harness)
        records = tmp_path / "in.jsonl"
        records.write_text('{"FIRST_NAME": "Ada", "LAST_NAME": "L"}\n{"FIRST_NAME": "Bo"}\n{"FIRST_NAME": 5}\n')
        result = run_cli("write", "--credential", str(credential), "--resource", "contacts", "--mode", "create",
                         "--input", str(records), "--results", str(run / "outcomes.jsonl"), "--quiet",
                         "--rejects", str(run / "rejected.jsonl"), "--request-log", str(run / "log.jsonl"))
    assert result.returncode == 3, result.stderr
    [found] = find_runs(tmp_path / "runs")
    assert found.results == [run / "outcomes.jsonl"] and found.journals == []
    [row] = report(found, tmp_path / "runs")["resources"]
    assert row["name"] == "contacts" and row["outcomes"] == {"created": 2, "rejected": 1} and row["records"] == 3
