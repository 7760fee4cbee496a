"""Run one connector command as a child process and measure what it alone cost.

`os.wait4` hands back the rusage of exactly that child: its CPU seconds (user + system, all threads)
and its peak resident set size, with no sampling error and nothing of the harness or of this script.
While it runs, its resident set size is also sampled (from /proc) to show how memory moves over time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_POLL_SECONDS = 0.02
_RSS_SAMPLE_SECONDS = 0.5
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class Measured:
    """What one run of the connector cost."""

    exit_code: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    started_at: float  # time.monotonic(): the same system-wide clock as the harness's request log
    ended_at: float
    rss_samples_mb: tuple[float, ...]  # resident set size every half second while it ran
    stdout_path: Path
    stderr_path: Path

    def stderr_tail(self, lines: int = 5) -> str:
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])


def run_connector(args: list[str], workdir: Path, *, label: str, timeout: float,
                  profile_to: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run `insightly-connector ARGS`; stdout and stderr go to files in `workdir`.

    With `profile_to`, the run is under cProfile (its figures are then not the connector's alone).
    A run still going after `timeout` seconds is killed (and reported as exit code -9)."""
    stdout_path = workdir / f"{label}.stdout"
    stderr_path = workdir / f"{label}.stderr"
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        started_at = time.monotonic()
        started = time.perf_counter()
        profiler = ["-m", "cProfile", "-o", str(profile_to)] if profile_to else []
        command = [sys.executable, *profiler, "-m", "insightly_connector", *args]
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL, cwd=workdir,
                                   env=env)
        deadline = started + timeout
        try:
            status, usage, samples = _wait(process.pid, deadline)
        except BaseException:
            _kill(process)
            raise
        wall = time.perf_counter() - started
        ended_at = time.monotonic()
        process.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        exit_code=process.returncode,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        started_at=started_at,
        ended_at=ended_at,
        rss_samples_mb=tuple(samples),
        stdout_path=stdout_path,
        stderr_path=stderr_path,
    )


def _wait(pid: int, deadline: float) -> tuple[int, os.struct_rusage, list[float]]:
    """Reap the child with its rusage, sampling its RSS meanwhile; kill it once the deadline passes."""
    samples: list[float] = []
    next_sample = time.perf_counter()
    while True:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
        if reaped == pid:
            return status, usage, samples
        now = time.perf_counter()
        if now > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            return status, usage, samples
        if now >= next_sample:
            samples.append(_resident_mb(pid))
            next_sample = now + _RSS_SAMPLE_SECONDS
        time.sleep(_POLL_SECONDS)


def _resident_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_MB
    except (OSError, IndexError, ValueError):
        return 0.0


def _kill(process: subprocess.Popen) -> None:
    if process.returncode is None:
        try:
            process.kill()
            process.wait(timeout=30)
        except (ProcessLookupError, ChildProcessError):
            pass


def require(condition: bool, message: str, run: Measured | None = None) -> None:
    """Stop the benchmark when a run did not do what it was asked: a fast wrong run proves nothing."""
    if not condition:
        detail = f" (exit {run.exit_code}; stderr: {run.stderr_tail()})" if run is not None else ""
        raise RuntimeError(message + detail)
