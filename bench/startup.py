"""Benchmark 0, start-up: how soon a run's first request leaves, and how long `spec` and `--help` take.

Each figure is a whole process, timed from before it is started. Bytecode is compiled first (one
warm-up run with writing allowed), as an installed wheel has it; this machine's environment sets
PYTHONDONTWRITEBYTECODE, so the same figures without bytecode are shown beside them. The
declaration's validation is cached by content hash (`spec/validation_cache.py`), warmed by that same
first run. The notes list what a `--help` still imports, heaviest first, from `python -X importtime`."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from connector_files import write_credential
from figures import Figure, Section, run_alone
from harness_process import HarnessProcess
from measured_run import require, run_connector

RUNS = 5
TARGET_MS = 150
IMPORT_TOP = 8


def run(runs: int = RUNS) -> Section:
    section = Section(
        "0. Start-up",
        "Process start (before `exec`) to: the harness receiving the first request of `read --resources contacts "
        "--limit 1` (no latency, no rate limit); the exit of `spec` and of `--help`. With bytecode compiled, as "
        "installed; then without it (this machine's PYTHONDONTWRITEBYTECODE=1).")
    compiled = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory(prefix="bench-start-") as scratch, \
            HarnessProcess(contacts=10, rate_limit_per_second=None, plan="enterprise") as harness:
        workdir = Path(scratch)
        credential = write_credential(workdir, harness.base_url, harness.api_key)
        read_args = ["read", "--credential", str(credential), "--resources", "contacts", "--limit", "1", "--quiet"]
        for args in (read_args, ["spec"], ["--help"]):  # warm-up: bytecode and the validation cache
            run_connector(args, workdir, label="warm-up", timeout=60, env=compiled)
        for bytecode, env in (("compiled", compiled), ("no bytecode", None)):
            first, spec, help_ = [], [], []
            for index in range(runs):
                harness.call("clear_requests")
                measured = run_connector(read_args, workdir, label=f"read-{index}", timeout=60, env=env)
                require(measured.exit_code == 0, "the one-record read failed", measured)
                first.append(1000 * (min(entry["at"] for entry in harness.requests()) - measured.started_at))
                spec.append(1000 * run_connector(["spec"], workdir, label=f"spec-{index}", timeout=60,
                                                 env=env).wall_seconds)
                help_.append(1000 * run_connector(["--help"], workdir, label=f"help-{index}", timeout=60,
                                                  env=env).wall_seconds)
            judged = bytecode == "compiled"
            for name, values in (("process start to first request", first), ("`spec`", spec),
                                 ("`--help`", help_)):
                section.add(Figure(f"{name} ({bytecode})", values, "ms", 0, f"<= {TARGET_MS} ms" if judged else "",
                                   statistics.median(values) <= TARGET_MS if judged else None))
    medians = {figure.name: figure.median for figure in section.figures}
    section.headline = (f"Start-up: first request {medians['process start to first request (compiled)']:.0f} ms "
                        f"after process start, `spec` {medians['`spec` (compiled)']:.0f} ms, `--help` "
                        f"{medians['`--help` (compiled)']:.0f} ms (target {TARGET_MS} ms each).")
    section.notes.append(f"Python itself (`python -c pass`, same interpreter, site and editable-install hook): "
                         f"{_bare_interpreter_ms(compiled, runs):.0f} ms median.")
    section.notes.append("What `--help` imports, heaviest first (cumulative ms, `-X importtime`, one run): "
                         + _heaviest_imports(compiled) + ".")
    section.notes.append(miss_note(medians))
    return section


def miss_note(medians: dict[str, float]) -> str:
    """By how much each start-up figure misses, and what would close the gap."""
    misses = [f"{name.split(' (')[0]} by {value - TARGET_MS:.0f} ms" for name, value in medians.items()
              if name.endswith("(compiled)") and value > TARGET_MS]
    if not misses:
        return "Every start-up figure met its target."
    return (f"Missed: {', '.join(misses)}. The declaration's validation is cached (no PyYAML or jsonschema once "
            f"judged) and the command line imports a verb's machinery only when it runs; what is left before a "
            f"read's first request is importing requests (with urllib3: most of it), jsonschema to check the "
            f"credential against its form, and the runner's own modules; `spec` builds the whole spec and its "
            f"Nexla view. To close: check the credential form with a small validator of the keywords it uses "
            f"instead of jsonschema, and a lighter HTTP stack than requests; on a loaded host (see the reference "
            f"workload) every figure here is inflated too.")


def _bare_interpreter_ms(env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, capture_output=True, check=True)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def _heaviest_imports(env: dict[str, str]) -> str:
    """The top-level imports under the CLI module (and the module itself), by cumulative import time."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "insightly_connector", "--help"], env=env,
                            capture_output=True, text=True, check=False)
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 3:  # the CLI's own imports and their direct children
            rows.append((int(match.group(1)) / 1000, match.group(3)))
    rows.sort(reverse=True)
    return "; ".join(f"`{name}` {ms:.0f}" for ms, name in rows[:IMPORT_TOP])


if __name__ == "__main__":
    sys.exit(run_alone(run, RUNS))
