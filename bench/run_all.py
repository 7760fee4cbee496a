"""`make bench`: run every benchmark and write `bench/results.md`.

Each benchmark starts its own harness process and runs the connector CLI as a child process. A
benchmark that fails is reported in the results (and makes the exit code 1) without stopping the
others. Run counts are chosen to finish in well under 15 minutes on 2 cores."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import harness_serving
import incremental_cost
import orjson
import read_rate_limited
import runner_cost
import shared_budget
import startup
import write_rate_limited
from figures import Section

RESULTS = Path(__file__).resolve().parent / "results.md"
BENCHMARKS: list[tuple[str, Callable[[], Section]]] = [
    ("0. Start-up", startup.run),
    ("1. Rate-limited read", read_rate_limited.run),
    ("2. Runner cost", runner_cost.run),
    ("3. Rate-limited write", write_rate_limited.run),
    ("4. Incremental cost", incremental_cost.run),
    ("5. Harness serving rate", harness_serving.run),
    ("6. Shared budget", shared_budget.run),
]
_ROW = re.compile(r"^\| (?P<figure>[^|]+?) \| (?P<median>[^|]+?) \|")


def main() -> int:
    started = time.perf_counter()
    sections: list[Section] = []
    speeds: list[float] = []
    failures = 0
    for title, benchmark in BENCHMARKS:
        print(f"{title} ...", flush=True)
        began = time.perf_counter()
        load_before = os.getloadavg()[0]
        speeds.append(_reference_workload_ms())
        try:
            section = benchmark()
        except Exception:
            failures += 1
            section = Section(title, "**The benchmark failed:**\n\n```\n" + traceback.format_exc().strip() + "\n```")
        speeds.append(_reference_workload_ms())
        section.notes.append(f"Benchmark time: {time.perf_counter() - began:.0f} s; machine load average (1 min) "
                             f"{load_before:.2f} before and {os.getloadavg()[0]:.2f} after; reference workload "
                             f"{speeds[-2]:.0f} ms before and {speeds[-1]:.0f} ms after.")
        sections.append(section)
    total = time.perf_counter() - started
    previous = _previous_results()
    RESULTS.write_text(_document(sections, total, speeds, previous), encoding="utf-8")
    print(f"wrote {RESULTS} ({total / 60:.1f} min, {failures} benchmark(s) failed)")
    return 1 if failures else 0


def _previous_results() -> tuple[str, dict[str, dict[str, str]]]:
    """The commit and the medians of the results this run replaces: {section title: {figure: median}}."""
    commit, figures, title = "none", {}, None
    try:
        text = RESULTS.read_text(encoding="utf-8")
    except OSError:
        return commit, figures
    for line in text.splitlines():
        if line.startswith("- commit: "):
            commit = line.removeprefix("- commit: ").split()[0]
        elif line.startswith("## "):
            title = line[3:].strip()
            figures.setdefault(title, {})
        elif title and title not in ("Headline", "Targets"):
            match = _ROW.match(line)
            if match and match["figure"] not in ("figure", "---") and not match["median"].startswith("-"):
                figures[title].setdefault(match["figure"], match["median"])
    return commit, figures


def _document(sections: list[Section], total_seconds: float, speeds: list[float],
              previous: tuple[str, dict[str, dict[str, str]]]) -> str:
    previous_commit, previous_figures = previous
    lines = ["# Benchmark results", "",
             "Written by `make bench` (`bench/run_all.py`); see `bench/*.py` for how each figure is measured. "
             "Figures are the median of the runs shown, with min and max: the machine is shared and noisy. "
             "Each benchmark also runs alone, e.g. `.venv/bin/python bench/read_rate_limited.py [runs]`. "
             "Each section ends with the load average and a reference workload's CPU time (a fixed job of JSON "
             "round trips) before and after it: on this shared VM, CPU figures move with the host. Each median "
             f"stands beside the same figure from the results this run replaced (commit {previous_commit}), so that "
             "a regression shows.", "",
             *_machine(), f"- total time: {total_seconds / 60:.1f} min",
             f"- reference workload: {min(speeds):.0f} to {max(speeds):.0f} ms over the run; a CPU figure taken "
             f"while it was slow is inflated by up to {max(speeds) / min(speeds):.2f}x", "", "## Headline", "",
             *(f"- {section.headline}" for section in sections if section.headline), "", "## Targets", "",
             f"| benchmark | figure | median (min to max) | at {previous_commit} | target | verdict |",
             "| --- | --- | --- | --- | --- | --- |"]
    for section in sections:
        before = previous_figures.get(section.title, {})
        for figure in section.figures:
            if figure.met is not None:
                median, low, high = figure.row()[1:4]
                lines.append(f"| {section.title} | {figure.name} | {median} ({low} to {high}) | "
                             f"{before.get(figure.name, 'new')} | {figure.target} | {figure.verdict} |")
    lines.append("")
    return "\n".join(lines) + "\n" + "\n".join(
        section.markdown(previous_figures.get(section.title, {}), f"at {previous_commit}") for section in sections)


def _reference_workload_ms() -> float:
    """CPU milliseconds of a fixed job (JSON round trips of records like the connector's), the best of five:
    CPU figures taken on a shared VM move with the host, and this shows by how much."""
    record = {f"FIELD_{n}": f"value {n}" * 3 for n in range(60)}
    page = [dict(record, ID=n) for n in range(500)]
    best = float("inf")
    for _ in range(5):
        began = time.process_time()
        for _ in range(10):
            b"".join(orjson.dumps(item) for item in orjson.loads(orjson.dumps(page)))
        best = min(best, time.process_time() - began)
    return 1000 * best


def _machine() -> list[str]:
    return [f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"- commit: {_git_commit()}",
            f"- CPU: {_cpu_model()}, {os.cpu_count()} logical cores (shared with other work)",
            f"- memory: {_memory_gb():.0f} GB",
            f"- Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _git_commit() -> str:
    try:
        result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10,
                                cwd=RESULTS.parent, check=False)
    except OSError:
        return "unknown"
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
