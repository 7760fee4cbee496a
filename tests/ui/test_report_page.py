"""The sync report in a real browser, over runs the real runner wrote: a rate-limited read shows its chart of
the request rate against the limit, its 429s, the quota left and per-resource counts; a write shows its
outcomes and each reject with its reason."""

from __future__ import annotations

import json
import shutil

from tests.ui.conftest import CONNECTOR_RATE, GOOD_RECORDS, log_lines, screenshot


def open_report(page, server, run_id: str):
    page.goto(f"{server.url}#/reports/{run_id}")
    report = page.locator("[data-testid=report]")
    report.wait_for()
    return report


def test_the_report_of_a_rate_limited_read_shows_its_chart(page, serve, recorded_runs):
    run = recorded_runs / "rate-limited-read"
    events = log_lines(run / "requests.jsonl")
    requests = [e for e in events if e["event"] == "request"]
    rate_limited = sum(1 for e in requests if e["status"] == 429)
    assert rate_limited > 0  # the harness held the read back
    report = open_report(page, serve(runs=recorded_runs), "rate-limited-read")
    chart = report.locator("[data-testid=rate-chart]")
    assert chart.locator("canvas").count() == 1 and chart.locator("canvas").bounding_box()["height"] > 100
    legend = chart.locator(".u-legend").inner_text()
    assert "requests / s" in legend and "limit / s" in legend and "429s" in legend and "quota left" in legend
    assert report.get_by_test_id("rate-limited").inner_text() == str(rate_limited)
    assert report.get_by_test_id("quota").inner_text().startswith(str(requests[-1]["quota_remaining"]))
    assert f"{CONNECTOR_RATE} / s" in report.inner_text()
    assert f"429 ×{rate_limited}" in report.get_by_test_id("statuses").inner_text()
    assert str(run / "state.json") in report.get_by_test_id("files").inner_text()
    rows = {row.locator("td").first.inner_text().split()[0]: row.locator("td").all_inner_texts()
            for row in report.locator("[data-testid=per-resource] tbody tr").all()}
    contacts_written = (run / "records" / "contacts.jsonl").read_text().count("\n")
    assert rows["contacts"][1] == str(contacts_written) == "40"
    assert rows["contacts"][2] == json.loads((run / "state.json").read_text())["resources"]["contacts"]["cursor"]
    screenshot(page, "report-read.png")


def test_the_report_of_a_write_lists_its_rejects_with_reasons(page, serve, recorded_runs):
    report = open_report(page, serve(runs=recorded_runs), "write-with-rejects")
    row = report.locator("[data-testid=per-resource] tbody tr").first
    assert f"created {GOOD_RECORDS}" in row.inner_text() and "rejected 3" in row.inner_text()
    rejects = report.locator("[data-testid=rejects] tbody tr")
    assert rejects.count() == 3
    text = report.locator("[data-testid=rejects]").inner_text()
    assert "FIRST_NAME must be string" in text and "not valid JSON" in text
    assert "Rejects (3)" in report.inner_text()
    screenshot(page, "report-write.png")


def test_the_reports_page_lists_both_runs(page, serve, recorded_runs):
    page.goto(serve(runs=recorded_runs).url + "#/reports")
    page.locator("[data-testid=report]").wait_for()
    links = page.locator("nav.runs a").all_inner_texts()
    assert any(link.startswith("read · rate-limited-read") for link in links)
    assert any(link.startswith("write · write-with-rejects") for link in links)


def test_the_report_of_a_run_still_going_follows_its_log(page, serve, recorded_runs, tmp_path):
    run = tmp_path / "runs" / "going"
    shutil.copytree(recorded_runs / "rate-limited-read", run)
    log = run / "requests.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]))  # no end line yet
    report = open_report(page, serve(runs=tmp_path / "runs"), "going")
    assert "not yet" in report.inner_text()
    with log.open("a") as file:
        file.write(lines[-1])
    page.get_by_text(f"exit {json.loads(lines[-1])['exit_code']}").wait_for()
