"""The sync report's reading of a run folder, on files the real runner wrote: files are found by what they
hold, whatever their names; counts agree with the files; a killed run (no end line, a half-written last line)
is reported as unfinished; the chart's rate is the trailing-second count the limiter keeps to."""

from __future__ import annotations

import shutil

from insightly_connector.ui.run_files import find_runs
from insightly_connector.ui.run_report import chart, report
from tests.ui.conftest import log_lines


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
