"""Benchmark 0, start-up: how soon a run's first request leaves, and how long `spec` and `--help` take.

Each figure is a whole process, timed from before it is started. The judged figures are the connector as
users have it: the wheel (`pip wheel --no-deps` from a copy of the source tree) installed with its bytecode
into a scratch venv, whose dependencies are this environment's (a `.pth` line, no package index), started
by its `insightly-connector` script. The same figures for this checkout's editable install (`python -m
insightly_connector`, through setuptools' import hook, bytecode compiled by a warm-up run) are shown beside
them. The declaration's validation is cached by content hash (`spec/validation_cache.py`), and `spec`'s
output is remembered with the files it was built from (`spec/printed_spec.py`), both warmed by a first run;
`spec` building its output (as after an edit of connector.yaml, a schema or the code) is shown too. Every
run has a fresh XDG_RUNTIME_DIR, where the limiter keeps its send logs, as a user's own has a few: a sweep of
the stale ones (at most once an hour) stats every log there, and the runtime directory of a shared test host
holds thousands (a note says what that sweep costs here). The notes list what a `--help` and a read still
import, heaviest first, from `python -X importtime`."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from connector_files import REPO_ROOT, write_credential
from figures import Figure, Section, run_alone
from harness_process import HarnessProcess

from insightly_connector.spec.printed_spec import entry_name

RUNS = 5
TARGET_MS = 150
IMPORT_TOP = 8
FIRST_PAGE_IMPORT = "msgspec"  # imported with the first page (source/raw_records.py): after the first request
# Left out of the copy the wheel is built from, as tests/packaging/test_wheel.py leaves them out.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "venv", "build", "dist", "out", "*.egg-info", "__pycache__",
                                   ".pytest_cache", ".ruff_cache", ".hypothesis", "*.pyc", "node_modules")


def run(runs: int = RUNS) -> Section:
    section = Section(
        "0. Start-up",
        "Process start (before `exec`) to: the harness receiving the first request of `read --resources contacts "
        "--limit 1` (no latency, no rate limit); the exit of `spec` and of `--help`. As installed (the wheel in a "
        "scratch venv, bytecode compiled, its `insightly-connector` script), then this checkout's editable "
        "install (`python -m insightly_connector`).")
    with tempfile.TemporaryDirectory(prefix="bench-start-") as scratch, \
            HarnessProcess(contacts=10, rate_limit_per_second=None, plan="enterprise") as harness:
        workdir = Path(scratch)
        credential = write_credential(workdir, harness.base_url, harness.api_key)
        read_args = ["read", "--credential", str(credential), "--resources", "contacts", "--limit", "1", "--quiet"]
        installed_python = _install_wheel(workdir)
        runtime = str(workdir / "runtime")  # a user's own send logs, not the thousands this host's tests left
        installed_env = _compiled_env(XDG_RUNTIME_DIR=runtime, XDG_CACHE_HOME=str(workdir / "cache"))  # other code
        editable_env = _compiled_env(XDG_RUNTIME_DIR=runtime)
        kinds = {"installed": ([str(installed_python.parent / "insightly-connector")], installed_env),
                 "editable": ([sys.executable, "-m", "insightly_connector"], editable_env)}
        for command, env in kinds.values():  # warm-up: bytecode, the validation cache, spec's output
            for args in (read_args, ["spec"], ["--help"]):
                _timed([*command, *args], workdir, env)
        for kind, (command, env) in kinds.items():
            first, spec, help_, built = [], [], [], []
            for _ in range(runs):
                harness.call("clear_requests")
                started_at, _ = _timed([*command, *read_args], workdir, env)
                first.append(1000 * (min(entry["at"] for entry in harness.requests()) - started_at))
                spec.append(1000 * _timed([*command, "spec"], workdir, env)[1])
                help_.append(1000 * _timed([*command, "--help"], workdir, env)[1])
                if kind == "installed":
                    _forget_printed_spec(Path(env["XDG_CACHE_HOME"]))
                    built.append(1000 * _timed([*command, "spec"], workdir, env)[1])
            judged = kind == "installed"
            for name, values in (("process start to first request", first), ("`spec`", spec),
                                 ("`--help`", help_)):
                section.add(Figure(f"{name} ({kind})", values, "ms", 0, f"<= {TARGET_MS} ms" if judged else "",
                                   statistics.median(values) <= TARGET_MS if judged else None))
            if built:
                section.add(Figure(f"`spec` building its output, nothing remembered ({kind})", built, "ms", 0))
        read_imports = _heaviest_imports(installed_python, installed_env, read_args, workdir,
                                         until=FIRST_PAGE_IMPORT)
        help_imports = _heaviest_imports(installed_python, installed_env, ["--help"], workdir)
        phases = _read_phases(installed_python, installed_env, read_args, workdir, runs)
        bare = {kind: _bare_interpreter_ms(python, env, runs)
                for kind, python, env in (("installed", installed_python, installed_env),
                                          ("editable", Path(sys.executable), editable_env))}
    medians = {figure.name: figure.median for figure in section.figures}
    first_request = medians["process start to first request (installed)"]
    section.headline = (f"Start-up as installed: first request {first_request:.0f} ms after process start, "
                        f"`spec` {medians['`spec` (installed)']:.0f} ms, `--help` "
                        f"{medians['`--help` (installed)']:.0f} ms (target {TARGET_MS} ms each).")
    section.notes.append(f"Python itself (`python -c pass`, same interpreter and site): {bare['installed']:.0f} ms "
                         f"median in the scratch venv, {bare['editable']:.0f} ms in this checkout's venv (its "
                         f"editable-install hook).")
    section.notes.append(_send_log_sweep_note())
    section.notes.append("What `--help` imports as installed, heaviest first (cumulative ms, `-X importtime`, one "
                         "run): " + help_imports + ".")
    section.notes.append("What the read imports as installed before its first page, heaviest first (cumulative ms, "
                         "`-X importtime`, one run): " + read_imports + ".")
    section.notes.append("Where a read's time to its first request goes as installed (medians of in-process marks, "
                         f"ms): Python and site {bare['installed']:.0f} (`python -c pass`); "
                         + "; ".join(f"{name} {ms:.0f}" for name, ms in phases.items()) + ".")
    section.notes.append(miss_note({figure.name: figure.median for figure in section.figures if figure.met is False}))
    return section


def _send_log_sweep_note() -> str:
    """How many send logs this host's default runtime directory holds, and what sweeping them costs."""
    from insightly_connector.http.file_send_log import _remove_stale, default_directory
    from insightly_connector.spec.loader import load_spec

    directory = default_directory(load_spec().connector["code"])
    logs = len([name for name in os.listdir(directory) if name.endswith(".log")]) if directory.is_dir() else 0
    times = []
    for _ in range(3):
        started = time.perf_counter()
        _remove_stale(directory)
        times.append(1000 * (time.perf_counter() - started))
    return (f"This host's own runtime directory holds {logs} send logs ({directory}); a sweep of the stale ones "
            f"(at most once an hour, by the first process to start after it is due) stats each: "
            f"{statistics.median(times):.1f} ms median, not in the figures above.")


def _compiled_env(**extra: str) -> dict[str, str]:
    """This environment with bytecode written and read, as an installed wheel has it (this machine sets
    PYTHONDONTWRITEBYTECODE)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def _install_wheel(workdir: Path) -> Path:
    """Build the wheel from a copy of the source tree and install it into a scratch venv; the venv's python.

    The venv gets no dependency of its own: a `.pth` line puts this environment's site-packages after its own
    (a plain path entry, so the editable install's import hook there is not run)."""
    source = workdir / "src"
    shutil.copytree(REPO_ROOT, source, symlinks=True, ignore=NOT_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(workdir / "dist"),
                    str(source)], check=True, capture_output=True)
    (wheel,) = (workdir / "dist").glob("*.whl")
    venv = workdir / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                   check=True, capture_output=True, text=True).stdout.strip()
    Path(site_packages, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--quiet", "--disable-pip-version-check", str(wheel)], check=True, capture_output=True)
    return python


def _timed(command: list[str], workdir: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run one process to its end: when it was started (time.monotonic(), the harness's request-log clock) and
    how long it took, in seconds."""
    started_at = time.monotonic()
    done = subprocess.run(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=60, check=False)
    wall = time.monotonic() - started_at
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return started_at, wall


# Runs the read in-process to its first connection (not made: the process ends there) with a mark at each
# phase; dataclasses' class-making step is timed as it runs (a private function, wrapped for this probe only).
_PHASE_PROBE = """
import json, os, socket, sys, time
started = time.perf_counter()
marks = {}
import dataclasses
make_class, making = dataclasses._process_class, [0, 0.0]
def timed_make_class(*args):
    begun = time.perf_counter()
    try:
        return make_class(*args)
    finally:
        making[0] += 1
        making[1] += time.perf_counter() - begun
dataclasses._process_class = timed_make_class
def first_connection(sock, address):
    marks["connect"] = time.perf_counter()
    print(json.dumps({"marks": {k: 1000 * (v - started) for k, v in marks.items()}, "classes": making[0],
                      "class_ms": 1000 * making[1]}), file=sys.stderr)
    os._exit(0)
socket.socket.connect = first_connection
import insightly_connector.commands.read as verb
run = verb.run
def marked_run(args):
    marks["verb"] = time.perf_counter()
    import insightly_connector.spec.loader as loader  # as the verb would import it
    load_spec = loader.load_spec
    def marked_load_spec(*args, **kwargs):
        marks["spec"] = time.perf_counter()
        try:
            return load_spec(*args, **kwargs)
        finally:
            marks["spec built"] = time.perf_counter()
    loader.load_spec = marked_load_spec
    return run(args)
verb.run = marked_run
from insightly_connector.cli import main
main(sys.argv[1:])
"""


def _read_phases(python: Path, env: dict[str, str], read_args: list[str], workdir: Path, runs: int) -> dict[str, float]:
    """The read's time from the interpreter's first line to its first connection, phase by phase (medians)."""
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run([str(python), "-c", _PHASE_PROBE, *read_args], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=60, check=False)
        try:
            probe = json.loads(done.stderr.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RuntimeError(f"the phase probe reached no first connection: {done.stderr[-2000:]}") from None
        marks = probe["marks"]
        command_line = "the command line (Python's dataclasses module, cli, argparse, the read verb's parser)"
        for name, ms in ((command_line, marks["verb"]),
                         ("the read's modules", marks["spec"] - marks["verb"]),
                         ("building the spec (load_spec)", marks["spec built"] - marks["spec"]),
                         ("the credential, the client and its connection", marks["connect"] - marks["spec built"]),
                         (f"and within those, {probe['classes']} classes made by @dataclass", probe["class_ms"])):
            samples.setdefault(name, []).append(ms)
    return {name: statistics.median(values) for name, values in samples.items()}


def _forget_printed_spec(cache_home: Path) -> None:
    """Remove `spec`'s remembered output (the bundled declaration's, as JSON), as an edit would make it stale;
    the path is `validation_cache.cache_directory()` under that XDG_CACHE_HOME."""
    (cache_home / "insightly_connector" / "validated" / entry_name(None, "json")).unlink(missing_ok=True)


def miss_note(missed: dict[str, float]) -> str:
    """By how much each missed start-up figure misses, and what would close the gap."""
    if not missed:
        return ("Every start-up figure met its target. `spec` prints the output it remembered from the warm-up run; "
                "building it anew (the row above) is what the first `spec` after an edit costs.")
    misses = [f"{name.split(' (')[0]} by {value - TARGET_MS:.0f} ms" for name, value in missed.items()]
    return (f"Missed: {', '.join(misses)} (as installed). The declaration's validation and `spec`'s output are "
            f"remembered by content, HTTP is the standard library's, the command line imports only the verb that "
            f"runs, a read imports no write-side module and reads only the record schemas it uses (their verdict is "
            f"remembered). What is left is in the phases above: mostly importing the modules a first request needs "
            f"(the runner's own, about 40 classes made by @dataclass whose generated methods are compiled from "
            f"source at every start on Python 3.11, a fifth of the instructions before the first request; the "
            f"standard library's http.client, ssl, email, argparse, concurrent.futures and logging; orjson), and "
            f"building the spec (every one of the 146 resources merged, rendered and compiled, though a read needs "
            f"one). To close: build each resource when first used, with the load-time checks remembered like the "
            f"declaration's (the catalog would look names up instead of walking every resource); fewer dataclasses "
            f"on the path (plain tuples for the small value holders); a Python (3.13) that compiles a dataclass's "
            f"methods in one go. On a loaded host every figure here is inflated too.")


def _bare_interpreter_ms(python: Path, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(python), "-c", "pass"], env=env, capture_output=True, check=True)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def _heaviest_imports(python: Path, env: dict[str, str], args: list[str], workdir: Path, *,
                      until: str | None = None) -> str:
    """The imports of `insightly-connector ARGS` before the module `until` (the whole run without it), by
    cumulative import time: the modules imported at the top and their direct children."""
    script = python.parent / "insightly-connector"
    result = subprocess.run([str(python), "-X", "importtime", str(script), *args], env=env,
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
