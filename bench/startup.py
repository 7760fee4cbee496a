"""Benchmark 0, start-up: how soon a run's first request leaves, and how long `spec` and `--help` take.

Each figure is a whole process, timed from before it is started. Bytecode is compiled first (one
warm-up run with writing allowed), as an installed wheel has it; this machine's environment sets
PYTHONDONTWRITEBYTECODE, so the same figures without bytecode are shown beside them. The
declaration's validation is cached by content hash (`spec/validation_cache.py`), and `spec`'s output
is remembered with the files it was built from (`spec/printed_spec.py`), both warmed by that same
first run; `spec` building its output (as after an edit of connector.yaml, a schema or the code) is
shown too. The notes list what a `--help` and a read still import, heaviest first, from
`python -X importtime`."""

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

from insightly_connector.spec import validation_cache
from insightly_connector.spec.printed_spec import entry_name

RUNS = 5
TARGET_MS = 150
IMPORT_TOP = 8
FIRST_PAGE_IMPORT = "msgspec"  # imported with the first page (source/raw_records.py): after the first request


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
        for args in (read_args, ["spec"], ["--help"]):  # warm-up: bytecode, the validation cache, spec's output
            run_connector(args, workdir, label="warm-up", timeout=60, env=compiled)
        for bytecode, env in (("compiled", compiled), ("no bytecode", None)):
            first, spec, help_, built = [], [], [], []
            for index in range(runs):
                harness.call("clear_requests")
                measured = run_connector(read_args, workdir, label=f"read-{index}", timeout=60, env=env)
                require(measured.exit_code == 0, "the one-record read failed", measured)
                first.append(1000 * (min(entry["at"] for entry in harness.requests()) - measured.started_at))
                spec.append(1000 * run_connector(["spec"], workdir, label=f"spec-{index}", timeout=60,
                                                 env=env).wall_seconds)
                help_.append(1000 * run_connector(["--help"], workdir, label=f"help-{index}", timeout=60,
                                                  env=env).wall_seconds)
                if bytecode == "compiled":
                    _forget_printed_spec()
                    built.append(1000 * run_connector(["spec"], workdir, label=f"spec-built-{index}", timeout=60,
                                                      env=env).wall_seconds)
            judged = bytecode == "compiled"
            for name, values in (("process start to first request", first), ("`spec`", spec),
                                 ("`--help`", help_)):
                section.add(Figure(f"{name} ({bytecode})", values, "ms", 0, f"<= {TARGET_MS} ms" if judged else "",
                                   statistics.median(values) <= TARGET_MS if judged else None))
            if built:
                section.add(Figure("`spec` building its output, nothing remembered (compiled)", built, "ms", 0))
        read_imports = _heaviest_imports(compiled, read_args, workdir, until=FIRST_PAGE_IMPORT)
    medians = {figure.name: figure.median for figure in section.figures}
    section.headline = (f"Start-up: first request {medians['process start to first request (compiled)']:.0f} ms "
                        f"after process start, `spec` {medians['`spec` (compiled)']:.0f} ms, `--help` "
                        f"{medians['`--help` (compiled)']:.0f} ms (target {TARGET_MS} ms each).")
    section.notes.append(f"Python itself (`python -c pass`, same interpreter, site and editable-install hook): "
                         f"{_bare_interpreter_ms(compiled, runs):.0f} ms median.")
    section.notes.append("What `--help` imports, heaviest first (cumulative ms, `-X importtime`, one run): "
                         + _heaviest_imports(compiled, ["--help"]) + ".")
    section.notes.append("What the read imports before its first page, heaviest first (cumulative ms, `-X importtime`, "
                         "one run): " + read_imports + ".")
    section.notes.append(miss_note({figure.name: figure.median for figure in section.figures if figure.met is False}))
    return section


def _forget_printed_spec() -> None:
    """Remove `spec`'s remembered output (the bundled declaration's, as JSON), as an edit would make it stale."""
    (validation_cache.cache_directory() / entry_name(None, "json")).unlink(missing_ok=True)


def miss_note(missed: dict[str, float]) -> str:
    """By how much each missed start-up figure misses, and what would close the gap."""
    if not missed:
        return ("Every start-up figure met its target. `spec` prints the output it remembered from the warm-up run; "
                "building it anew (the row above) is what the first `spec` after an edit costs.")
    misses = [f"{name.split(' (')[0]} by {value - TARGET_MS:.0f} ms" for name, value in missed.items()]
    return (f"Missed: {', '.join(misses)}. The declaration's validation and `spec`'s output are remembered by "
            f"content (no PyYAML or jsonschema once judged; a valid credential is checked without jsonschema), "
            f"HTTP is the standard library's, and the command line imports only the verb that runs. What is left "
            f"before a read's first request is importing the runner's modules (about 50 classes made by "
            f"@dataclass, each a few exec'd functions: tens of ms on this host) and building the spec (146 "
            f"resources and their record schemas). To close: fewer classes on the first request's path, or a "
            f"Python whose dataclasses are cheaper to create; on a loaded host (see the reference workload) every "
            f"figure here is inflated too.")


def _bare_interpreter_ms(env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, capture_output=True, check=True)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def _heaviest_imports(env: dict[str, str], args: list[str], workdir: Path | None = None, *,
                      until: str | None = None) -> str:
    """The imports of `insightly-connector ARGS` before the module `until` (the whole run without it), by
    cumulative import time: the modules imported at the top and their direct children."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "insightly_connector", *args], env=env,
                            capture_output=True, text=True, check=False, cwd=workdir)
    imports = []  # (nesting, cumulative ms, module), each listed once its own imports are done
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        nesting = len(match.group(2)) // 2
        if match.group(3) == until:
            while imports and imports[-1][0] > nesting:  # what `until` itself imported, listed before it
                imports.pop()
            break
        imports.append((nesting, int(match.group(1)) / 1000, match.group(3)))
    rows = sorted(((ms, name) for nesting, ms, name in imports if nesting <= 1), reverse=True)
    return "; ".join(f"`{name}` {ms:.0f}" for ms, name in rows[:IMPORT_TOP])


if __name__ == "__main__":
    sys.exit(run_alone(run, RUNS))
