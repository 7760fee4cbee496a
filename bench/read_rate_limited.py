"""Benchmark 1, rate-limited read: how close a full read gets to the API's ceiling, without 429s.

The harness enforces 10 requests a second and answers after 100 ms; the ceiling is 10 pages of 500
records a second, 5,000 records a second. The judged rate is end to end (process start to exit:
interpreter start-up, every request, the last write to disk), as a user sees it."""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from connector_files import write_credential
from figures import Figure, Section
from harness_process import HarnessProcess
from measured_run import require, run_connector
from output_files import count_records

CONTACTS = 100_000
RATE_LIMIT = 10
PAGE_SIZE = 500
LATENCY_MS = 100
CEILING = RATE_LIMIT * PAGE_SIZE
RUNS = 3
TARGET_PERCENT = 95.0
RUN_TIMEOUT_SECONDS = 300


def run(runs: int = RUNS) -> Section:
    section = Section(
        "1. Rate-limited read",
        f"Harness: {CONTACTS:,} contacts, {RATE_LIMIT} requests a second, {LATENCY_MS} ms latency. "
        f"`read --resources contacts --format jsonl --output DIR`, shipped `connector.yaml`. "
        f"Ceiling: {RATE_LIMIT} x {PAGE_SIZE} = {CEILING:,} records a second.")
    rates, fractions, sustained, throttled, requests, cpu, lead_in, lead_out = [], [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-read-") as scratch, \
            HarnessProcess(contacts=CONTACTS, rate_limit_per_second=RATE_LIMIT, latency_ms=LATENCY_MS,
                           plan="enterprise") as harness:
        workdir = Path(scratch)
        credential = write_credential(workdir, harness.base_url, harness.api_key)
        for index in range(runs):
            harness.prepare_run()
            output = workdir / f"out-{index}"
            measured = run_connector(["read", "--credential", str(credential), "--resources", "contacts",
                                      "--format", "jsonl", "--output", str(output)],
                                     workdir, label=f"read-{index}", timeout=RUN_TIMEOUT_SECONDS)
            require(measured.exit_code == 0, "the rate-limited read failed", measured)
            records = count_records(output / "contacts.jsonl", "jsonl")
            require(records == CONTACTS, f"the read wrote {records} records, expected {CONTACTS}")
            shutil.rmtree(output)
            log = harness.requests()
            accepted = [entry["at"] for entry in log if entry["status"] != 429]
            rates.append(records / measured.wall_seconds)
            fractions.append(100 * rates[-1] / CEILING)
            span = max(accepted) - min(accepted)
            sustained.append(100 * (len(accepted) - 1) / span / RATE_LIMIT if span > 0 else 0.0)
            throttled.append(sum(1 for entry in log if entry["status"] == 429))
            requests.append(len(log))
            cpu.append(measured.cpu_seconds)
            lead_in.append(min(accepted) - measured.started_at)
            lead_out.append(measured.ended_at - max(accepted))
    section.add(Figure("records a second (end to end)", rates, "rec/s", 0))
    section.add(Figure("fraction of the ceiling (end to end)", fractions, "%", 1, f">= {TARGET_PERCENT:g}%",
                       statistics.median(fractions) >= TARGET_PERCENT))
    section.add(Figure("request rate, first to last request, of the 10/s limit", sustained, "%", 1))
    section.add(Figure("429s received", throttled, "", 0, "0 in every run", max(throttled) == 0))
    section.add(Figure("requests per run", requests, "", 0))
    section.add(Figure("process start to first request", lead_in, "s", 2))
    section.add(Figure("last request to process exit", lead_out, "s", 2))
    section.add(Figure("connector CPU seconds per run", cpu, "s", 2))
    pages = -(-(CONTACTS - 1) // (PAGE_SIZE - 1))
    section.notes.append(
        f"Pages overlap by one record (the churn-safe anchor), so {CONTACTS:,} records take {pages} pages, not "
        f"{CONTACTS // PAGE_SIZE}: at exactly 10 requests a second and with no start-up time the figure would be "
        f"{100 * CONTACTS / (pages / RATE_LIMIT) / CEILING:.1f}%.")
    return section


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    print(run(runs).markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
