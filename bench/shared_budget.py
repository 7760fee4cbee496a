"""Benchmark 6, one instance's budget shared: 5 processes (3 reads, 2 writes) on one harness at once.

The harness allows 10 requests a second in all. Each process paces itself at that rate, so without
sharing they would offer up to 50 a second. First with the default store (a locked file every process
on the machine shares), then with the processes sharing nothing but a Redis server (each gets its own
XDG_RUNTIME_DIR, so no file is shared, as on separate machines). Judged: zero 429s, and together at
least 95% of the ceiling from the harness's first request to its last."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from arrivals import closest_to_a_429_ms, pacing_beyond_minimum
from connector_files import shipped_rate_limit
from figures import Figure, Section, run_alone
from harness_process import HarnessProcess
from measured_run import require
from redis_server import redis_server

RATE_LIMIT = 10
LATENCY_MS = 100
CONTACTS = 8_000  # 17 pages per read
READS, WRITES = 3, 2
CREATES_PER_WRITE = 40
RUNS = 2
TARGET_PERCENT = 95.0
RUN_TIMEOUT_SECONDS = 300


def run(runs: int = RUNS) -> Section:
    section = Section(
        "6. Shared budget",
        f"Harness: {CONTACTS:,} contacts, {RATE_LIMIT} requests a second for the instance, {LATENCY_MS} ms latency. "
        f"{READS} `read --resources contacts` and {WRITES} `write --mode create` ({CREATES_PER_WRITE} contacts each) "
        f"started together, each paced at {RATE_LIMIT}/s by the shipped `connector.yaml`. Rate = 2xx answers a second "
        f"from the harness's first request to its last; ceiling {RATE_LIMIT}/s.")
    results: dict[str, list[dict]] = {"file": [], "redis": []}
    with redis_server() as redis_url:
        for store, url in (("file", None), ("redis", redis_url)):
            for _ in range(runs):
                results[store].append(_together(url))
    for store, measured in results.items():
        label = "one machine (file store)" if store == "file" else "only Redis shared"
        fractions = [100 * m["rate"] / RATE_LIMIT for m in measured]
        section.add(Figure(f"{label}: requests a second together", [m["rate"] for m in measured], "/s", 2))
        section.add(Figure(f"{label}: fraction of the ceiling together", fractions, "%", 1,
                           f">= {TARGET_PERCENT:g}%", statistics.median(fractions) >= TARGET_PERCENT))
        section.add(Figure(f"{label}: 429s received", [m["throttled"] for m in measured], "", 0, "0 in every run",
                           max(m["throttled"] for m in measured) == 0))
        section.add(Figure(f"{label}: requests", [m["requests"] for m in measured], "", 0))
        section.add(Figure(f"{label}: fraction of the ceiling, first process start to last exit",
                           [100 * m["end_to_end"] / RATE_LIMIT for m in measured], "%", 1))
        section.add(Figure(f"{label}: closest two arrivals {RATE_LIMIT} apart came to a 429 (room kept)",
                           [m["closest"] for m in measured], "ms", 1))
        section.add(Figure(f"{label}: first to last arrival beyond the window's least", [m["beyond"] for m in measured],
                           "s", 2))
    file_rate = statistics.median(m["rate"] for m in results["file"])
    redis_rate = statistics.median(m["rate"] for m in results["redis"])
    throttled = sum(m["throttled"] for runs_of in results.values() for m in runs_of)
    section.headline = (f"Shared budget: {READS + WRITES} processes together at {file_rate:.2f} requests a second "
                        f"sharing a file, {redis_rate:.2f} sharing only Redis, of a ceiling of {RATE_LIMIT} "
                        f"({throttled} 429s).")
    section.notes.append("Before the shared limiter each process paced itself alone: 5 processes offered up to 50 "
                         "requests a second and drew 142 429s in 424 requests (issue 13).")
    section.notes += miss_notes(section)
    return section


def miss_notes(section: Section) -> list[str]:
    """By how much, why, and what would close the gap, for each missed figure."""
    margin_ms = 1000 * shipped_rate_limit().get("safety_margin_seconds", 0)
    notes = []
    for figure in section.figures:
        if figure.met is False and "429s" in figure.name:
            notes.append(f"Missed {figure.name}: {figure.median:.0f} (median). The harness counted a request later "
                         f"than the limiter's {margin_ms:.0f} ms margin allows, and its answer did not show it: "
                         f"a late answer moves its send later in the shared log, for every process, but a process "
                         f"whose answers are all slow (five processes starting on two busy cores starve the harness "
                         f"for tens of ms) has no quick answer to compare them with; its first three count as late "
                         f"by all their time. Each 429 pauses every sharer for its Retry-After (1 s) and widens the "
                         f"receiver's margin. To close: a lighter start-up (section 0), so the processes' start "
                         f"overlaps the first requests less.")
        elif figure.met is False and "fraction" in figure.name:
            notes.append(f"Missed {figure.name} by {TARGET_PERCENT - figure.median:.1f} points: the 429s above "
                         f"(1 s of pause each in a run of about 14 s), the {margin_ms:.0f} ms margin "
                         f"({margin_ms / 10:.0f}%), sends moved later because their answers came late, and the gap "
                         f"between sends take it.")
    return notes


def _together(store_url: str | None) -> dict:
    """One run of the five processes; checks every read wrote every record and every create landed."""
    with tempfile.TemporaryDirectory(prefix="bench-shared-") as scratch, \
            HarnessProcess(contacts=CONTACTS, rate_limit_per_second=RATE_LIMIT, latency_ms=LATENCY_MS,
                           plan="enterprise") as harness:
        workdir = Path(scratch)
        credential = {"name": "bench", "api_key": harness.api_key, "password": "", "pod": "na1",
                      "base_url": harness.base_url}
        if store_url:
            credential["rate_limit_store"] = store_url
        credential_path = workdir / "credential.json"
        credential_path.write_text(json.dumps(credential), encoding="utf-8")
        credential_path.chmod(0o600)
        harness.prepare_run()
        commands = [["read", "--resources", "contacts", "--output", str(workdir / f"out-{n}")] for n in range(READS)]
        for n in range(WRITES):
            source = workdir / f"creates-{n}.jsonl"
            source.write_bytes(b"".join(orjson.dumps({"FIRST_NAME": f"Shared{n}", "LAST_NAME": f"Writer{i:03d}"})
                                        + b"\n" for i in range(CREATES_PER_WRITE)))
            commands.append(["write", "--resource", "contacts", "--mode", "create", "--input", str(source),
                             "--journal", str(workdir / f"j-{n}.jsonl"), "--rejects", str(workdir / f"r-{n}.jsonl")])
        started = time.monotonic()
        processes = []
        for index, command in enumerate(commands):
            env = dict(os.environ)
            runtime = workdir / (f"runtime-{index}" if store_url else "runtime")
            runtime.mkdir(mode=0o700, exist_ok=True)
            env["XDG_RUNTIME_DIR"] = str(runtime)
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "insightly_connector", *command, "--credential", str(credential_path),
                 "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=workdir))
        for process in processes:
            _, stderr = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
            require(process.returncode == 0, f"a process exited {process.returncode}: {stderr.decode()[-300:]}")
        ended = time.monotonic()
        for n in range(READS):
            lines = (workdir / f"out-{n}" / "contacts.jsonl").read_bytes().count(b"\n")
            # contacts the writes create meanwhile may or may not be read; every seeded one must be
            require(CONTACTS <= lines <= CONTACTS + WRITES * CREATES_PER_WRITE,
                    f"read {n} wrote {lines} records, expected {CONTACTS} or a few more")
        log = harness.requests()
    answered = [entry for entry in log if 200 <= entry["status"] < 300]
    creates = sum(1 for entry in answered if entry["method"] == "POST")
    require(creates == WRITES * CREATES_PER_WRITE, f"{creates} creates landed, expected {WRITES * CREATES_PER_WRITE}")
    arrivals = sorted(entry["at"] for entry in log)
    return {"rate": (len(answered) - 1) / (arrivals[-1] - arrivals[0]),
            "end_to_end": len(answered) / (ended - started),
            "throttled": sum(1 for entry in log if entry["status"] == 429), "requests": len(log),
            "closest": closest_to_a_429_ms(log, RATE_LIMIT), "beyond": pacing_beyond_minimum(log, RATE_LIMIT)}


if __name__ == "__main__":
    sys.exit(run_alone(run, RUNS))
