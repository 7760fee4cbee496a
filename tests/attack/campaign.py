"""The attack campaign: one module of campaign functions, used by the tests in `tests/attack/` (small
sizes, inside `make test`) and by `bench/soak.py` (`make soak`, full size, figures to a results file).

What it plays against the connector, with the harness as ground truth:
* a fault matrix (every fault kind the harness can play, on reads and on writes): every record read
  exactly once (a failed run may be resumed), every input record confirmed exactly once with the id of
  the record it created, or in the rejects file; no duplicate creates;
* kill -9 at seeded random points during read and write subprocesses, then resume;
* generated bad inputs (credential files and fields, state files, write input, CLI arguments, connector
  YAML): no traceback, no "internal error", exit 2 with exactly one line on stderr, nothing sent;
* hostile base URLs and pods, with a listener on another loopback address (127.0.0.2) that must
  receive nothing, and a guard that refuses (and records) any connection or name lookup that is not
  loopback, so the campaign never reaches beyond this machine;
* a scan of every stdout, stderr and output file for the key (raw, base64 of `key` and `key:`,
  URL-encoded).

Every function takes its size and seed as arguments and adds what it saw to a `Figures`; a check
returns a list of problems (empty when the connector behaved).
"""

from __future__ import annotations

import base64
import contextlib
import gc
import io
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONNECTOR_YAML = ROOT / "connector.yaml"
SUBPROCESS_TIMEOUT = 60
MAX_RESUMES = 4  # a faulted run may fail; it must then finish within this many further runs
LISTENER_HOST = "127.0.0.2"


# ---- figures ------------------------------------------------------------------------------------------

@dataclass
class Figures:
    faults: Counter = field(default_factory=Counter)  # faults the harness actually played, by kind
    read_runs: int = 0
    write_runs: int = 0
    kills: int = 0
    bad_inputs: Counter = field(default_factory=Counter)  # by family
    hostile_urls: int = 0
    hostile_cases: int = 0
    records_checked: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicate_creates: int = 0
    wrong_ids: int = 0
    leaked: int = 0
    tracebacks: int = 0
    internal_errors: int = 0
    listener_hits: int = 0
    outbound_attempts: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> str:
        if len(self.problems) < 500:
            self.problems.append(text)
        return text


# ---- the key, and scanning for it ---------------------------------------------------------------------

def key_forms(key: str) -> list[bytes]:
    raw = key.encode()
    forms = {raw, base64.b64encode(raw), base64.b64encode(raw + b":"), quote(key, safe="").encode(),
             base64.urlsafe_b64encode(raw), base64.urlsafe_b64encode(raw + b":")}
    return sorted(form for form in forms if len(form) >= 6)


def leaks(key: str, blobs: Iterable[tuple[str, bytes]]) -> list[str]:
    """Names of the blobs that hold the key in any of its forms."""
    forms = key_forms(key)
    return [name for name, data in blobs if any(form in data for form in forms)]


def files_under(directory: Path) -> Iterator[tuple[str, bytes]]:
    """Every file the connector may have written under `directory` (not the credential files the
    campaign wrote: those hold the key by design)."""
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file() and not path.is_symlink() and "cred" not in path.name:
            with contextlib.suppress(OSError):
                yield str(path), path.read_bytes()


# ---- the command line, in this process ----------------------------------------------------------------

@dataclass
class CliRun:
    code: int
    out: bytes
    err: bytes
    escaped: bool = False  # an exception escaped main() itself

    @property
    def err_text(self) -> str:
        return self.err.decode("utf-8", errors="replace")

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err_text.splitlines() if line.strip()]


_CLI_LOCK = threading.Lock()


def run_cli(argv: list[str], stdin: bytes = b"") -> CliRun:
    """`insightly_connector.cli.main(argv)` with stdin, stdout and stderr captured as bytes."""
    from insightly_connector.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    streams = (io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
               io.TextIOWrapper(out, encoding="utf-8", errors="backslashreplace", write_through=True),
               io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True))
    with _CLI_LOCK:
        saved = sys.stdin, sys.stdout, sys.stderr
        thresholds = gc.get_threshold()
        escaped = False
        sys.stdin, sys.stdout, sys.stderr = streams
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
        except BaseException:
            escaped = True
            code = -1
            sys.stderr.write(traceback.format_exc())
        finally:
            with contextlib.suppress(Exception):
                streams[1].flush()
                streams[2].flush()
            sys.stdin, sys.stdout, sys.stderr = saved
            gc.unfreeze()
            gc.set_threshold(*thresholds)
    return CliRun(int(code), out.getvalue(), _without_server_noise(err.getvalue()), escaped)


_SERVER_NOISE = re.compile(rb"-{40}\nException occurred during processing of request from .*?\n-{40}\n", re.S)


def _without_server_noise(err: bytes) -> bytes:
    """The in-process harness's socketserver may report a connection a killed client broke; it writes
    to sys.stderr, which is captured while a CLI run is in progress. That is not the connector's output."""
    return _SERVER_NOISE.sub(b"", err)


def run_cli_subprocess(argv: list[str], stdin: bytes = b"", timeout: float = SUBPROCESS_TIMEOUT) -> CliRun:
    try:
        done = subprocess.run([sys.executable, "-m", "insightly_connector", *argv], input=stdin,
                              capture_output=True, timeout=timeout, check=False, cwd=str(ROOT),
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except subprocess.TimeoutExpired as exc:
        return CliRun(-9, exc.stdout or b"", (exc.stderr or b"") + b"\n[campaign: timed out]\n")
    return CliRun(done.returncode, done.stdout, done.stderr)


def crash_problems(run: CliRun, figures: Figures, label: str) -> list[str]:
    """Tracebacks and internal errors, counted and named."""
    problems = []
    text = run.err_text + run.out.decode("utf-8", errors="replace")
    if run.escaped or "Traceback (most recent call last)" in text:
        figures.tracebacks += 1
        problems.append(figures.problem(f"{label}: traceback: {_last_line(run)}"))
    if "internal error" in text:
        figures.internal_errors += 1
        problems.append(figures.problem(f"{label}: {_last_line(run)}"))
    return problems


def usage_problems(run: CliRun, figures: Figures, label: str, *, sent: int = 0) -> list[str]:
    """A bad input must end in exit 2 with exactly one line on stderr, nothing sent, no crash."""
    problems = crash_problems(run, figures, label)
    if problems:
        return problems
    if run.code != 2:
        problems.append(figures.problem(f"{label}: exit {run.code}, expected 2: {_last_line(run)}"))
    elif len(run.err_lines) != 1:
        problems.append(figures.problem(
            f"{label}: {len(run.err_lines)} lines on stderr, expected 1: {_last_line(run)}"))
    if sent:
        problems.append(figures.problem(f"{label}: {sent} request(s) reached the API before the refusal"))
    return problems


def _last_line(run: CliRun) -> str:
    lines = run.err_lines or [f"(no stderr; exit {run.code})"]
    return _short(lines[-1])


def _short(text: str, limit: int = 220) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# ---- configuration ------------------------------------------------------------------------------------

def write_config(directory: Path, *, page_size: int = 100, read_timeout: float = 0.6,
                 edit: Callable[[dict], None] | None = None) -> Path:
    """connector.yaml with short backoffs and timeouts (and `edit` applied), next to a `schemas` link."""
    directory.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_load(CONNECTOR_YAML.read_text(encoding="utf-8"))
    http = document["http"]
    http["retry"].update({"max_attempts": 6, "initial_backoff_seconds": 0.02, "max_backoff_seconds": 0.1,
                          "max_retry_after_seconds": 0.1})
    http["timeout_seconds"] = {"connect": 2, "read": read_timeout}
    document["defaults"]["read"]["pagination"]["page_size"] = page_size
    rate = http["rate_limit"]  # the harness runs without a per-second limit: pacing is not under test here
    rate["requests_per_second"] = 500
    if isinstance(rate.get("plans"), dict):
        rate["plans"] = {plan: 500 for plan in rate["plans"]}
    if edit is not None:
        edit(document)
    link = directory / "schemas"
    if not link.exists():
        link.symlink_to(ROOT / "schemas")
    path = directory / "connector.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def write_credential(path: Path, harness: Any, **fields: Any) -> Path:
    data = {"name": "attack", "api_key": harness.api_key, "base_url": harness.base_url}
    data.update(fields)
    path.write_text(json.dumps({k: v for k, v in data.items() if v is not None}), encoding="utf-8")
    return path


# ---- the network guard and the listener ---------------------------------------------------------------

def _loopback_ip(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


class NetGuard:
    """While active, this process may only look up `localhost` and connect to loopback addresses. Every
    other lookup or connection is refused before it leaves the machine, and recorded."""

    def __init__(self):
        self.connections: list[tuple[str, int]] = []
        self.refused: list[str] = []
        self._lock = threading.Lock()
        self._saved: tuple | None = None

    def clear(self) -> None:
        with self._lock:
            self.connections.clear()
            self.refused.clear()

    def __enter__(self) -> NetGuard:
        real_connect, real_connect_ex, real_getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                                           socket.getaddrinfo)
        guard = self

        def check(address: Any) -> None:
            if isinstance(address, tuple) and len(address) >= 2:
                host, port = str(address[0]), int(address[1])
                with guard._lock:
                    guard.connections.append((host, port))
                if not _loopback_ip(host):
                    with guard._lock:
                        guard.refused.append(f"connect {host}:{port}")
                    raise ConnectionRefusedError(f"campaign guard: no connection to {host}")

        def connect(sock, address):
            check(address)
            return real_connect(sock, address)

        def connect_ex(sock, address):
            check(address)
            return real_connect_ex(sock, address)

        def getaddrinfo(host, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name.lower().rstrip(".") != "localhost" and not _loopback_ip(name):
                with guard._lock:
                    guard.refused.append(f"lookup {name[:80]}")
                raise socket.gaierror(socket.EAI_NONAME, f"campaign guard: no lookup of {name[:80]}")
            return real_getaddrinfo(host, *args, **kwargs)

        self._saved = (real_connect, real_connect_ex, real_getaddrinfo)
        socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
        return self

    def __exit__(self, *exc_info) -> None:
        if self._saved is not None:
            socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = self._saved
            self._saved = None


class Listener:
    """A TCP listener on 127.0.0.2 that records every connection and what it was sent."""

    def __init__(self, host: str = LISTENER_HOST):
        self.host = host
        self.hits: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="campaign-listener", daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            with connection:
                connection.settimeout(0.5)
                data = b""
                with contextlib.suppress(OSError):
                    data = connection.recv(65536)
                self.hits.append(data)
                with contextlib.suppress(OSError):
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")


# ---- the fault matrix ---------------------------------------------------------------------------------

# kind -> harness.inject keywords
FAULT_KINDS: dict[str, dict[str, Any]] = {
    "status_500": {"kind": "status", "status": 500},
    "status_502": {"kind": "status", "status": 502},
    "status_503": {"kind": "status", "status": 503},
    "status_504": {"kind": "status", "status": 504},
    "status_429": {"kind": "status", "status": 429, "retry_after": 1},
    "reset": {"kind": "reset"},
    "truncate": {"kind": "truncate"},
    "reset_after_processing": {"kind": "reset_after_processing"},
    "delay_after_processing": {"kind": "delay_after_processing", "seconds": 1.0},
}
RANDOM_MIX = {"error_rate": 0.1, "reset_rate": 0.08, "truncate_rate": 0.08, "burst_429_every": 7}


def played(harness: Any) -> Counter:
    return Counter(harness.faults_played())


def _runs_until_done(argv: list[str], figures: Figures, label: str, ok: tuple[int, ...],
                     counter: str) -> tuple[list[CliRun], list[str]]:
    runs, problems = [], []
    for _ in range(1 + MAX_RESUMES):
        run = run_cli(argv)
        setattr(figures, counter, getattr(figures, counter) + 1)
        runs.append(run)
        problems += crash_problems(run, figures, label)
        if run.code in ok or problems:
            break
    else:
        problems.append(figures.problem(f"{label}: not done after {len(runs)} runs: {_last_line(runs[-1])}"))
    return runs, problems


def read_ground_truth(harness: Any, output: Path, figures: Figures, label: str) -> list[str]:
    """Every contact of the harness in the output file exactly once, and nothing else."""
    problems = []
    path = output / "contacts.jsonl"
    try:
        emitted = [json.loads(line)["CONTACT_ID"] for line in path.read_bytes().splitlines() if line.strip()]
    except (OSError, ValueError, KeyError) as exc:
        return [figures.problem(f"{label}: output unreadable: {type(exc).__name__}: {_short(str(exc))}")]
    expected = set(harness.ids("Contacts"))
    counts = Counter(emitted)
    lost = expected - set(counts)
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    figures.records_checked += len(expected)
    figures.lost += len(lost)
    figures.duplicated += duplicated
    if lost:
        problems.append(figures.problem(f"{label}: {len(lost)} record(s) lost, e.g. {sorted(lost)[:3]}"))
    if duplicated:
        problems.append(figures.problem(f"{label}: {duplicated} record(s) duplicated"))
    extra = set(counts) - expected
    if extra:
        problems.append(figures.problem(f"{label}: {len(extra)} record(s) emitted that the harness lacks"))
    return problems


def leftover_temp_files(directory: Path) -> list[str]:
    return [p.name for p in Path(directory).glob("*.tmp")] + [p.name for p in Path(directory).glob(".*.tmp")]


def scan(key: str, figures: Figures, label: str, runs: Iterable[CliRun], directory: Path | None) -> list[str]:
    blobs: list[tuple[str, bytes]] = []
    for n, run in enumerate(runs):
        blobs += [(f"run {n} stdout", run.out), (f"run {n} stderr", run.err)]
    if directory is not None:
        blobs += list(files_under(directory))
    found = leaks(key, blobs)
    figures.leaked += len(found)
    return [figures.problem(f"{label}: the key leaked into {name}") for name in found]


def read_fault_case(harness: Any, workdir: Path, config: Path, kind: str, seed: int,
                    figures: Figures, *, count: int | None = None) -> list[str]:
    """One read of contacts (paged) with a fault of `kind` at a seeded point; resumed until it finishes."""
    rng = random.Random(seed)
    case = Path(tempfile.mkdtemp(prefix=f"read-{kind}-", dir=workdir))
    credential = write_credential(case / "credential.json", harness)
    harness.clear_faults()
    harness.clear_requests()
    before = played(harness)
    if kind == "random_mix":
        harness.set_faults(**RANDOM_MIX, seed=seed)
    else:
        harness.inject(**FAULT_KINDS[kind], method="GET", path_prefix="/Contacts", after=rng.randint(0, 2),
                       count=count or rng.choice((1, 1, 2, 3)))
    label = f"read fault {kind} seed {seed}"
    argv = ["read", "--credential", str(credential), "--config", str(config), "--resources", "contacts",
            "--state", str(case / "state.json"), "--output", str(case / "out"), "--quiet"]
    runs, problems = _runs_until_done(argv, figures, label, (0,), "read_runs")
    harness.clear_faults()
    figures.faults.update(played(harness) - before)
    if not problems:
        problems += read_ground_truth(harness, case / "out", figures, label)
    problems += scan(harness.api_key, figures, label, runs, case)
    shutil.rmtree(case, ignore_errors=True)
    return problems


def rate_limited_case(harness: Any, workdir: Path, config: Path, verb: str, figures: Figures, *,
                      count: int = 9) -> list[str]:
    """More 429s in a row than the retry budget has attempts: a 429 is waited out, not counted, so the
    run finishes in one go (issue 8 point 3)."""
    case = Path(tempfile.mkdtemp(prefix=f"429-{verb}-", dir=workdir))
    credential = write_credential(case / "credential.json", harness)
    harness.clear_faults()
    before = played(harness)
    if verb == "read":
        harness.inject(kind="status", status=429, retry_after=1, count=count, method="GET",
                       path_prefix="/Contacts", after=1)
        argv = ["read", "--credential", str(credential), "--config", str(config), "--resources", "contacts",
                "--output", str(case / "out"), "--quiet"]
    else:
        (case / "input.jsonl").write_text("".join(json.dumps(r) + "\n" for r in contact_records(case.name, 2)),
                                          encoding="utf-8")
        harness.inject(kind="status", status=429, retry_after=1, count=count, method="POST",
                       path_prefix="/Contacts")
        argv = ["write", "--credential", str(credential), "--config", str(config), "--resource", "contacts",
                "--mode", "create", "--input", str(case / "input.jsonl"), "--rejects", str(case / "r.jsonl"),
                "--quiet"]
    run = run_cli(argv)
    setattr(figures, f"{verb}_runs", getattr(figures, f"{verb}_runs") + 1)
    harness.clear_faults()
    figures.faults.update(played(harness) - before)
    label = f"{count} 429s in a row on a {verb}"
    problems = crash_problems(run, figures, label)
    if not problems and run.code != 0:
        problems.append(figures.problem(f"{label}: exit {run.code}: {_last_line(run)}"))
    if not problems and verb == "read":
        problems += read_ground_truth(harness, case / "out", figures, label)
    problems += scan(harness.api_key, figures, label, [run], case)
    shutil.rmtree(case, ignore_errors=True)
    return problems


# writes: contacts (unique records) and teams (a twin of an input record already exists)

def contact_records(tag: str, count: int) -> list[dict]:
    return [{"FIRST_NAME": f"Ada{n}", "LAST_NAME": f"Attack {tag}", "EMAIL_ADDRESS": f"{tag}.{n}@attack.test"}
            for n in range(count)]


def team_records(tag: str, count: int) -> list[dict]:
    return [{"TEAM_NAME": f"Team {tag} {n}"} for n in range(count)]


WRITE_TARGETS = {  # resource -> (collection, primary key, field that tells the records apart, maker)
    "contacts": ("Contacts", "CONTACT_ID", "EMAIL_ADDRESS", contact_records),
    "teams": ("Teams", "TEAM_ID", "TEAM_NAME", team_records),
}


def _journal_outcomes(path: Path) -> dict[int, dict]:
    """The latest confirmed/rejected entry per input line."""
    outcomes: dict[int, dict] = {}
    if not path.exists():
        return outcomes
    for text in path.read_bytes().splitlines():
        try:
            entry = json.loads(text)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") in ("confirmed", "rejected"):
            for line, _digest in entry.get("lines", []):
                outcomes[int(line)] = entry
    return outcomes


def _rejected_lines(path: Path) -> set[int]:
    lines = set()
    if path.exists():
        for text in path.read_bytes().splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                lines.add(int(json.loads(text)["nexlaMetaData"]["inputLine"]))
    return lines


def write_ground_truth(harness: Any, resource: str, records: list[dict], before_ids: set, case: Path,
                       figures: Figures, label: str) -> list[str]:
    """Each input record confirmed once with the id of the one record this write created, or rejected;
    never two records created for one input record."""
    collection, _, distinct, _ = WRITE_TARGETS[resource]
    problems = []
    new = {}
    for key in set(harness.ids(collection)) - before_ids:
        record = harness.get(collection, key)
        if record is not None:
            new.setdefault(record.get(distinct), []).append(key)
    outcomes = _journal_outcomes(case / "journal.jsonl")
    rejected = _rejected_lines(case / "rejects.jsonl")
    for line, record in enumerate(records, start=1):
        figures.records_checked += 1
        created = new.get(record[distinct], [])
        if len(created) > 1:
            figures.duplicate_creates += len(created) - 1
            problems.append(figures.problem(f"{label}: line {line} created {len(created)} times: {created}"))
        outcome = outcomes.get(line)
        if line in rejected or (outcome and outcome["event"] == "rejected"):
            continue
        if not outcome or outcome.get("event") != "confirmed":
            figures.lost += 1
            problems.append(figures.problem(f"{label}: line {line} neither confirmed nor rejected"))
            continue
        if outcome.get("outcome") == "created":
            if created and outcome.get("id") not in created:
                figures.wrong_ids += 1
                problems.append(figures.problem(
                    f"{label}: line {line} confirmed as created with id {outcome.get('id')}, but it created "
                    f"{created}"))
            elif not created:
                figures.lost += 1
                figures.wrong_ids += 1
                problems.append(figures.problem(
                    f"{label}: line {line} confirmed as created with id {outcome.get('id')}, but no record "
                    f"was created (the id is {'an older record' if outcome.get('id') in before_ids else 'unknown'})"))
    return problems


def write_fault_case(harness: Any, workdir: Path, config: Path, kind: str, seed: int, figures: Figures, *,
                     resource: str = "contacts", records: int = 4, twin: bool = False,
                     count: int | None = None) -> list[str]:
    """One create write with a fault of `kind` on a seeded POST; resumed with its journal until done.
    With `twin`, a record identical to the faulted one already exists before the write."""
    rng = random.Random(seed)
    collection, _, _, make = WRITE_TARGETS[resource]
    case = Path(tempfile.mkdtemp(prefix=f"write-{kind}-", dir=workdir))
    tag = f"{kind}-{seed}-{case.name[-6:]}"
    batch = make(tag, records)
    faulted = rng.randrange(records)
    if twin:
        harness.create(collection, dict(batch[faulted]))
    before_ids = set(harness.ids(collection))
    credential = write_credential(case / "credential.json", harness)
    (case / "input.jsonl").write_text("".join(json.dumps(r) + "\n" for r in batch), encoding="utf-8")
    harness.clear_faults()
    harness.clear_requests()
    before = played(harness)
    if kind == "random_mix":
        harness.set_faults(**RANDOM_MIX, seed=seed)
    else:
        harness.inject(**FAULT_KINDS[kind], method="POST", path_prefix=f"/{collection}",
                       after=0 if twin else faulted, count=1 if twin else (count or rng.choice((1, 1, 2))))
    label = f"write fault {kind} {resource}{' twin' if twin else ''} seed {seed}"
    argv = ["write", "--credential", str(credential), "--config", str(config), "--resource", resource,
            "--mode", "create", "--input", str(case / "input.jsonl"), "--journal", str(case / "journal.jsonl"),
            "--rejects", str(case / "rejects.jsonl"), "--quiet"]
    if twin:  # the twin is the only record sent, so the fault lands on it
        batch = [batch[faulted]]
        (case / "input.jsonl").write_text(json.dumps(batch[0]) + "\n", encoding="utf-8")
    runs, problems = _runs_until_done(argv, figures, label, (0, 3), "write_runs")
    harness.clear_faults()
    figures.faults.update(played(harness) - before)
    problems += write_ground_truth(harness, resource, batch, before_ids, case, figures, label)
    problems += scan(harness.api_key, figures, label, runs, case)
    shutil.rmtree(case, ignore_errors=True)
    return problems


# ---- kill -9, then resume -----------------------------------------------------------------------------

def _spawn(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "insightly_connector", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=str(ROOT), env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _kill_at(process: subprocess.Popen, seconds: float) -> CliRun:
    """SIGKILL the process `seconds` after its start (unless it ended first); its output so far."""
    try:
        out, err = process.communicate(timeout=seconds)
        killed = False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
        killed = True
    return CliRun(-9 if killed else process.returncode, out, err)


def kill_read_case(harness: Any, workdir: Path, config: Path, seed: int, figures: Figures, *,
                   window: tuple[float, float] = (0.5, 2.0), latency_ms: float = 250) -> list[str]:
    """A read subprocess killed at a seeded moment, then resumed (in this process) until it finishes."""
    rng = random.Random(seed)
    case = Path(tempfile.mkdtemp(prefix="kill-read-", dir=workdir))
    credential = write_credential(case / "credential.json", harness)
    label = f"kill read seed {seed}"
    argv = ["read", "--credential", str(credential), "--config", str(config), "--resources", "contacts",
            "--state", str(case / "state.json"), "--output", str(case / "out"), "--quiet"]
    harness.clear_faults()
    harness.set_faults(latency_ms=latency_ms, seed=seed)
    first = _kill_at(_spawn(argv), rng.uniform(*window))
    harness.clear_faults()
    figures.kills += first.code == -9
    problems = crash_problems(first, figures, label) if first.code != -9 else []
    runs, more = _runs_until_done(argv, figures, label, (0,), "read_runs")
    problems += more
    if not problems:
        problems += read_ground_truth(harness, case / "out", figures, label)
    temps = leftover_temp_files(case)
    if temps:
        problems.append(figures.problem(f"{label}: temporary files left behind after the resume: {temps}"))
    problems += scan(harness.api_key, figures, label, [first, *runs], case)
    shutil.rmtree(case, ignore_errors=True)
    return problems


def kill_write_case(harness: Any, workdir: Path, config: Path, seed: int, figures: Figures, *,
                    records: int = 8, window: tuple[float, float] = (0.6, 1.8), latency_ms: float = 250) -> list[str]:
    """A create-write subprocess killed at a seeded moment, then resumed with its journal."""
    rng = random.Random(seed)
    case = Path(tempfile.mkdtemp(prefix="kill-write-", dir=workdir))
    tag = f"kill-{seed}-{case.name[-6:]}"
    batch = contact_records(tag, records)
    before_ids = set(harness.ids("Contacts"))
    credential = write_credential(case / "credential.json", harness)
    (case / "input.jsonl").write_text("".join(json.dumps(r) + "\n" for r in batch), encoding="utf-8")
    label = f"kill write seed {seed}"
    argv = ["write", "--credential", str(credential), "--config", str(config), "--resource", "contacts",
            "--mode", "create", "--input", str(case / "input.jsonl"), "--journal", str(case / "journal.jsonl"),
            "--rejects", str(case / "rejects.jsonl"), "--quiet"]
    harness.clear_faults()
    harness.set_faults(latency_ms=latency_ms, seed=seed)
    first = _kill_at(_spawn(argv), rng.uniform(*window))
    # A request the killed process had already sent may still be queued behind the harness's latency;
    # let it land before the resume, as it would have long before a person re-ran the write.
    time.sleep(2 * latency_ms / 1000 + 0.1)
    harness.clear_faults()
    figures.kills += first.code == -9
    problems = crash_problems(first, figures, label) if first.code != -9 else []
    runs, more = _runs_until_done(argv, figures, label, (0, 3), "write_runs")
    problems += more
    problems += write_ground_truth(harness, "contacts", batch, before_ids, case, figures, label)
    problems += scan(harness.api_key, figures, label, [first, *runs], case)
    shutil.rmtree(case, ignore_errors=True)
    return problems


# ---- generated bad inputs (Hypothesis strategies) -----------------------------------------------------

def strategies():
    """The Hypothesis strategies, built on first use (so the soak and the tests share them)."""
    from hypothesis import strategies as st

    api_key_ok = re.compile(r"^[!-9;-~]+$")
    pod_ok = re.compile(
        r"^\s*([A-Za-z0-9]+|[Hh][Tt][Tt][Pp][Ss]?://[Aa][Pp][Ii]\.[A-Za-z0-9]+\.[Ii][Nn][Ss][Ii][Gg][Hh][Tt][Ll][Yy]"
        r"\.[Cc][Oo][Mm](/[Vv]3\.1)?/?)\s*$")
    non_strings = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                            st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                 max_size=2))
    json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                                         st.floats(allow_nan=False, allow_infinity=False)),
                               lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                               max_leaves=12)

    bad_api_key = st.one_of(
        non_strings,
        st.just(""),
        st.text(min_size=1, max_size=40).filter(lambda s: not api_key_ok.match(s.strip())),
        st.text(alphabet="abcdef0123456789-", min_size=256, max_size=300),
    )
    bad_pod = st.one_of(non_strings,
                        st.text(min_size=1, max_size=40).filter(lambda s: s.strip() and not pod_ok.match(s)),
                        st.sampled_from(["na1.evil.example", "na1/../eu1", "na1@127.0.0.2", "ｎａ１", "na1\x00",
                                         "na1 eu1", "x" * 1_000_000]))
    bad_base_url = st.one_of(
        non_strings,
        st.integers(min_value=65536, max_value=10**7).map(lambda p: f"http://127.0.0.1:{p}/v3.1"),
        st.integers(max_value=-1).map(lambda p: f"http://127.0.0.1:{p}/v3.1"),
        st.text(alphabet="abcxyz!$", min_size=1, max_size=6).map(lambda p: f"http://127.0.0.1:{p}/v3.1"),
        st.sampled_from(["http://[::1/v3.1", "http://[::1]]:80/v3.1", "http://127.0.0.1:/v3.1:", "http://",
                         "http:///v3.1", "127.0.0.1:8080", "ftp://127.0.0.1/v3.1", "http://127.0.0.1:80:80/v3.1",
                         "http://[]:80", "http://[zz::1]:80/v3.1", "", " ", "http://127.0.0.1:99999/v3.1",
                         "http://127.0.0.1:abc/v3.1"]),
    )
    bad_rps = st.one_of(st.floats(max_value=0.0999, allow_nan=False), st.floats(min_value=100.01),
                        st.just(0.001), st.text(max_size=5), st.booleans(), st.none())
    field_mutation = st.one_of(
        st.tuples(st.just("api_key"), bad_api_key),
        st.tuples(st.just("password"), st.one_of(non_strings.filter(lambda v: v is not None),
                                                 st.text(min_size=1, max_size=20).filter(str.strip))),
        st.tuples(st.just("pod"), bad_pod),
        st.tuples(st.just("base_url"), bad_base_url),
        st.tuples(st.just("plan"), st.one_of(non_strings, st.text(max_size=12).filter(
            lambda s: s not in ("free", "legacy", "plus", "professional", "enterprise")))),
        st.tuples(st.just("requests_per_second"), bad_rps),
        st.tuples(st.just("name"), st.one_of(non_strings, st.just(""), st.just("n" * 300), st.just(None))),
        st.tuples(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
            lambda s: s not in ("name", "description", "api_key", "password", "pod", "base_url", "plan",
                                "requests_per_second", "credentials_type", "auth_mode")), json_values),
    )
    whole_file = st.one_of(
        st.binary(max_size=60).filter(lambda b: not _json_object(b)),
        json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
        st.integers(min_value=1000, max_value=100_000).map(lambda n: b"[" * n),
        st.integers(min_value=1000, max_value=100_000).map(lambda n: b'{"a":' * n),
        st.sampled_from(["latin-1", "utf-16", "utf-32", "cp1252"]).map(
            lambda enc: ("ENCODED", enc)),
        st.sampled_from(["", "missing", "directory", "truncated"]).map(lambda what: ("SPECIAL", what)),
    )
    credential = st.one_of(field_mutation.map(lambda m: ("FIELD", m)), whole_file.map(lambda w: ("FILE", w)))

    # state files: a mutation that makes it invalid, by construction
    bad_cursor = st.one_of(non_strings.filter(lambda v: v is not None),
                           st.text(alphabet="abcxyz:-_ ", min_size=1, max_size=20))
    bad_boundary_entry = st.one_of(st.integers(), st.just([]), st.lists(st.integers(), min_size=3, max_size=3),
                                   st.tuples(st.integers(), st.integers()).map(list), st.text(max_size=5),
                                   st.none(), st.just({}), st.just(["2024-01-01 00:00:00"]))
    bad_last_pk = st.one_of(st.text(max_size=6), st.lists(st.integers(), max_size=2), st.just({}), st.booleans())
    bad_position = st.one_of(st.integers(max_value=-1), st.text(max_size=4), st.just([]), st.floats(
        allow_nan=False).filter(lambda f: not float(f).is_integer()))
    state = st.one_of(
        st.tuples(st.just("file"), st.binary(max_size=40).filter(lambda b: not _json_object(b))),
        st.tuples(st.just("top"), json_values.filter(lambda v: not isinstance(v, dict))),
        st.tuples(st.just("version"), st.one_of(st.just(True), st.just("1"), st.integers().filter(lambda n: n != 1),
                                                st.none(), st.just([1]))),
        st.tuples(st.just("resources"), st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=4),
                                                  st.integers())),
        st.tuples(st.just("resource"), st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=4),
                                                 st.integers(), st.booleans())),
        st.tuples(st.just("cursor"), bad_cursor),
        st.tuples(st.just("boundary"), st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=3),
                                                 st.integers())),
        st.tuples(st.just("boundary_entry"), bad_boundary_entry),
        st.tuples(st.just("in_progress"), st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=4),
                                                    st.integers())),
        st.tuples(st.just("last_pk"), bad_last_pk),
        st.tuples(st.just("position"), bad_position),
        st.tuples(st.just("mode"), st.text(max_size=8).filter(lambda s: s not in ("full", "incremental"))),
        st.tuples(st.just("output"), st.one_of(st.text(max_size=8), st.integers(), st.lists(st.integers(),
                                                                                             max_size=2))),
        st.tuples(st.just("output_offset"), st.one_of(st.integers(max_value=-1), st.text(max_size=4), st.none())),
        st.tuples(st.just("sync_start"), bad_cursor),
    )

    # write input: any lines at all; each must end confirmed, planned or rejected (dry run)
    contact_fields = ["FIRST_NAME", "LAST_NAME", "EMAIL_ADDRESS", "CONTACT_ID", "DATE_CREATED_UTC", "BACKGROUND",
                      "CUSTOMFIELDS", "TAGS", "LINKS", "DATE_OF_BIRTH", "OWNER_USER_ID", "VISIBLE_TO", "NOPE__c",
                      "Hobby__c", ""]
    record = st.dictionaries(st.sampled_from(contact_fields), json_values, max_size=5)
    line = st.one_of(
        record.map(lambda r: json.dumps(r).encode()),
        record.map(lambda r: json.dumps({"type": "RECORD", "record": {"stream": "contacts", "data": r}}).encode()),
        record.map(lambda r: json.dumps({"type": "RECORD", "stream": "contacts", "record": r}).encode()),
        json_values.map(lambda v: json.dumps({"type": "RECORD", "record": v}).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=30).map(lambda b: b.replace(b"\n", b" ")),
        st.sampled_from([b"{", b"[" * 5000, b'{"FIRST_NAME": "' + b"x" * 5000 + b'"}',
                         b'{"FIRST_NAME": "\xff\xfe"}', b'{"FIRST_NAME": 1e999}', b"\x00", b'{"type": "STATE"}']),
    )
    write_input = st.lists(line, min_size=1, max_size=8)

    # CLI arguments: a valid command line with one mutation that makes it a usage error
    cli = st.one_of(
        st.tuples(st.just("read"), st.sampled_from(
            ["unknown_flag", "bad_format", "bad_limit", "unknown_resource", "empty_output", "state_dir",
             "missing_credential_file", "missing_config", "pod_base_url_no_eq", "no_credential", "empty_resources",
             "output_is_file"]), st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_0123456789", min_size=1, max_size=10)),
        st.tuples(st.just("write"), st.sampled_from(
            ["bad_mode", "unknown_resource", "upsert_key_unknown", "journal_missing_dir", "rejects_missing_dir",
             "rejects_is_dir", "input_missing", "input_dir", "bad_read_only", "bad_duplicates", "no_resource",
             "journal_is_dir"]), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=10)),
        st.tuples(st.just("other"), st.sampled_from(
            ["unknown_verb", "check_bad_format", "discover_unknown_resource", "spec_bad_format", "no_verb",
             "check_unknown_flag"]), st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)),
    )

    # connector YAML: a valid file with one mutation that makes it invalid
    wrong = st.one_of(st.text(max_size=6), st.none(), st.lists(st.integers(), max_size=2), st.integers(max_value=-1))
    yaml_case = st.one_of(
        st.tuples(st.just("bytes"), st.sampled_from(["latin-1", "utf-16", "garbage", "empty", "scalar", "list",
                                                     "syntax", "tabs", "deep", "directory", "missing", "alias"])),
        st.tuples(st.just("delete"), st.sampled_from(["connector", "credential", "http", "custom_fields",
                                                      "defaults", "resources"])),
        st.tuples(st.just("set"), st.tuples(st.sampled_from([
            ("http", "retry", "max_attempts"), ("http", "timeout_seconds"), ("http", "timeout_seconds", "read"),
            ("resources",), ("resources", "contacts", "path"), ("resources", "contacts", "primary_key"),
            ("credential", "base_url"), ("credential", "allowed_hosts"), ("credential", "pods"),
            ("defaults", "read", "pagination", "page_size"), ("http", "rate_limit", "requests_per_second"),
            ("http", "errors"), ("credential", "auth")]), wrong)),
    )
    return {"credential": credential, "state": state, "write_input": write_input, "cli": cli, "yaml": yaml_case}


def _json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data.decode("utf-8")), dict)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


class BadInputEnv:
    """What the bad-input checks share: a running harness, a folder, a valid credential and config."""

    def __init__(self, harness: Any, workdir: Path, config: Path, credential: Path, figures: Figures):
        self.harness, self.workdir, self.config, self.credential, self.figures = (
            harness, workdir, config, credential, figures)

    def case_dir(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.workdir))

    def __repr__(self) -> str:
        return f"BadInputEnv({self.workdir})"

    def sent(self, *, discovery: bool = False) -> int:
        """Requests that reached the harness; with `discovery`, the GETs that look up custom objects (an
        unknown resource name may be one) are not counted."""
        entries = self.harness.requests()
        if discovery:
            entries = [e for e in entries if not (e.method == "GET" and e.path.lower().startswith(
                ("/customobjects", "/customfields")))]
        return len(entries)

    def finish(self, label: str, runs: list[CliRun], case: Path) -> list[str]:
        problems = scan(self.harness.api_key, self.figures, label, runs, case)
        shutil.rmtree(case, ignore_errors=True)
        return problems


def check_bad_credential(env: BadInputEnv, case: tuple) -> list[str]:
    env.figures.bad_inputs["credential"] += 1
    directory = env.case_dir("cred-")
    path = directory / "credential.json"
    valid = {"name": "attack", "api_key": env.harness.api_key, "base_url": env.harness.base_url}
    form, payload = case
    if form == "FIELD":
        name, value = payload
        data = dict(valid)
        data[name] = value
        path.write_text(json.dumps(data), encoding="utf-8")
        label = f"credential field {name}={_short(repr(value), 80)}"
    else:
        label = f"credential file {_short(repr(payload), 80)}"
        if isinstance(payload, bytes):
            path.write_bytes(payload)
        elif payload[0] == "ENCODED":
            path.write_bytes(json.dumps({**valid, "name": "café Zoë ✓"[: 9 if payload[1] != "utf-16" else 10]},
                                        ensure_ascii=False).encode(payload[1], errors="replace"))
        elif payload[1] == "missing":
            path = directory / "no-such-credential.json"
        elif payload[1] == "directory":
            path = directory
        elif payload[1] == "truncated":
            path.write_text(json.dumps(valid)[:-7], encoding="utf-8")
        else:
            path.write_bytes(b"")
    output = directory / "out"
    env.harness.clear_requests()
    run = run_cli(["read", "--credential", str(path), "--config", str(env.config), "--resources", "contacts",
                   "--output", str(output), "--limit", "1", "--quiet"])
    problems = usage_problems(run, env.figures, label, sent=env.sent())
    if output.exists():
        problems.append(env.figures.problem(f"{label}: the output folder was created before the refusal"))
    if any(len(line) > 2000 for line in run.err_lines):
        problems.append(env.figures.problem(f"{label}: a {max(map(len, run.err_lines))}-character error line"))
    return problems + env.finish(label, [run], directory)


def _valid_state(output: Path) -> dict:
    return {"version": 1, "resources": {"contacts": {
        "cursor": "2024-01-01 00:00:00", "boundary": {"1": ["2024-01-01 00:00:00", "0123456789abcdef"]},
        "in_progress": {"mode": "full", "sync_start": "2024-01-02 00:00:00", "bound": None, "boundary": {},
                        "last_pk": 5, "position": 100,
                        "output": {"path": str(output / "contacts.jsonl"), "offset": 0}}}}}


def check_bad_state(env: BadInputEnv, case: tuple) -> list[str]:
    env.figures.bad_inputs["state"] += 1
    directory = env.case_dir("state-")
    output = directory / "out"
    what, value = case
    state = _valid_state(output)
    contacts = state["resources"]["contacts"]
    progress = contacts["in_progress"]
    raw: bytes | None = None
    if what == "file":
        raw = value
    elif what == "top":
        raw = json.dumps(value).encode()
    elif what == "version":
        state["version"] = value
    elif what == "resources":
        state["resources"] = value
    elif what == "resource":
        state["resources"]["contacts"] = value
    elif what == "cursor":
        contacts["cursor"] = value
    elif what == "boundary":
        contacts["boundary"] = value
    elif what == "boundary_entry":
        contacts["boundary"] = {"1": value}
    elif what == "in_progress":
        contacts["in_progress"] = value
    elif what == "last_pk":
        progress["last_pk"] = value
    elif what == "position":
        progress["position"] = value
    elif what == "mode":
        progress["mode"] = value
    elif what == "output":
        progress["output"] = value
    elif what == "output_offset":
        progress["output"]["offset"] = value
    elif what == "sync_start":
        progress["sync_start"] = value
    path = directory / "state.json"
    path.write_bytes(raw if raw is not None else json.dumps(state).encode())
    label = f"state {what}={_short(repr(value), 80)}"
    env.harness.clear_requests()
    run = run_cli(["read", "--credential", str(env.credential), "--config", str(env.config), "--resources",
                   "contacts", "--state", str(path), "--output", str(output), "--quiet"])
    problems = usage_problems(run, env.figures, label, sent=env.sent())
    if output.exists():
        problems.append(env.figures.problem(f"{label}: the output folder was created before the refusal"))
    return problems + env.finish(label, [run], directory)


def check_write_input(env: BadInputEnv, lines: list[bytes]) -> list[str]:
    """A dry run over generated input: no crash; exit 0, 2 (one line) or 3; every record line planned."""
    from insightly_connector.destination.input_records import read_records

    env.figures.bad_inputs["write_input"] += 1
    directory = env.case_dir("input-")
    path = directory / "input.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    label = f"write input {_short(repr(lines), 120)}"
    env.harness.clear_requests()
    run = run_cli(["write", "--credential", str(env.credential), "--config", str(env.config), "--resource",
                   "contacts", "--mode", "create", "--input", str(path), "--rejects", str(directory / "r.jsonl"),
                   "--dry-run", "--quiet"])
    problems = crash_problems(run, env.figures, label)
    mutating = [e for e in env.harness.requests() if e.method in ("POST", "PUT", "DELETE", "PATCH")]
    if mutating:
        problems.append(env.figures.problem(f"{label}: a dry run sent {len(mutating)} write request(s)"))
    if not problems and run.code == 2:
        problems += usage_problems(run, env.figures, label)
    elif not problems and run.code not in (0, 3):
        problems.append(env.figures.problem(f"{label}: exit {run.code}: {_last_line(run)}"))
    elif not problems:
        planned = set()
        for text in run.out.splitlines():
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                planned.update(json.loads(text).get("inputLines", []))
        expected = {item.line for item in read_records(path.read_bytes().splitlines(keepends=True))}
        if expected - planned:
            problems.append(env.figures.problem(
                f"{label}: input line(s) {sorted(expected - planned)} neither planned nor rejected"))
    return problems + env.finish(label, [run], directory)


def check_bad_cli(env: BadInputEnv, case: tuple) -> list[str]:
    env.figures.bad_inputs["cli"] += 1
    family, mutation, word = case
    directory = env.case_dir("cli-")
    cred, cfg = str(env.credential), str(env.config)
    out = str(directory / "out")
    (directory / "input.jsonl").write_text('{"FIRST_NAME": "A", "LAST_NAME": "B"}\n', encoding="utf-8")
    (directory / "a-file").write_text("x", encoding="utf-8")
    missing = str(directory / "missing" / f"{word}.jsonl")
    read = ["read", "--credential", cred, "--config", cfg, "--resources", "contacts", "--output", out, "--quiet",
            "--limit", "1"]
    write = ["write", "--credential", cred, "--config", cfg, "--resource", "contacts", "--mode", "create",
             "--input", str(directory / "input.jsonl"), "--journal", str(directory / "j.jsonl"), "--rejects",
             str(directory / "r.jsonl"), "--quiet", "--dry-run"]

    def replace(argv, flag, value):
        argv = list(argv)
        argv[argv.index(flag) + 1] = value
        return argv

    def drop(argv, flag):
        argv = list(argv)
        index = argv.index(flag)
        del argv[index: index + 2]
        return argv

    argv = {
        "unknown_flag": [*read, f"--{word}-zz"],
        "bad_format": [*read, "--format", f"x{word}"],
        "bad_limit": [*read, "--limit", f"-{len(word)}" if len(word) % 2 else f"{word}x"],
        "unknown_resource": replace(read, "--resources", f"zz_{word}"),
        "empty_output": replace(read, "--output", ""),
        "state_dir": [*read, "--state", str(directory)],
        "missing_credential_file": replace(read, "--credential", missing),
        "missing_config": replace(read, "--config", missing),
        "pod_base_url_no_eq": [*read, "--pod-base-url", word],
        "no_credential": drop(read, "--credential"),
        "empty_resources": replace(read, "--resources", ","),
        "output_is_file": replace(read, "--output", str(directory / "a-file")),
        "bad_mode": replace(write, "--mode", f"x{word}"),
        "upsert_key_unknown": [*replace(write, "--mode", "upsert"), "--upsert-key", f"ZZ_{word}"],
        "journal_missing_dir": replace(write, "--journal", missing),
        "rejects_missing_dir": replace(write, "--rejects", missing),
        "rejects_is_dir": replace(write, "--rejects", str(directory)),
        "journal_is_dir": replace(write, "--journal", str(directory)),
        "input_missing": replace(write, "--input", missing),
        "input_dir": replace(write, "--input", str(directory)),
        "bad_read_only": [*write, "--read-only", f"x{word}"],
        "bad_duplicates": [*write, "--duplicates", f"x{word}"],
        "no_resource": drop(write, "--resource"),
        "unknown_verb": [f"zz{word}"],
        "check_bad_format": ["check", "--credential", cred, "--config", cfg, "--format", f"x{word}"],
        "check_unknown_flag": ["check", "--credential", cred, "--config", cfg, f"--zz-{word}"],
        "discover_unknown_resource": ["discover", "--credential", cred, "--config", cfg, "--resources", f"zz{word}"],
        "spec_bad_format": ["spec", "--format", f"x{word}"],
        "no_verb": [],
    }[mutation]
    if mutation == "unknown_resource" and family == "write":
        argv = replace(write, "--resource", f"zz_{word}")
    label = f"cli {mutation} {_short(' '.join(argv[:1] + argv[-3:]), 100)}"
    env.harness.clear_requests()
    run = run_cli(argv)
    problems = usage_problems(run, env.figures, label,
                              sent=env.sent(discovery=mutation in ("unknown_resource", "discover_unknown_resource",
                                                                 "upsert_key_unknown")))
    if mutation == "rejects_is_dir" and not (directory.is_dir()):
        problems.append(env.figures.problem(f"{label}: the folder named as --rejects was removed"))
    if mutation == "empty_output" and (ROOT / "contacts.jsonl").exists():
        problems.append(env.figures.problem(f"{label}: --output '' wrote into the working folder"))
    return problems + env.finish(label, [run], directory)


def check_bad_yaml(env: BadInputEnv, case: tuple) -> list[str]:
    env.figures.bad_inputs["yaml"] += 1
    directory = env.case_dir("yaml-")
    (directory / "schemas").symlink_to(ROOT / "schemas")
    path = directory / "connector.yaml"
    text = env.config.read_text(encoding="utf-8")
    what, value = case
    if what == "bytes":
        raw = {
            "latin-1": ("# Insightly café connector\n" + text).encode("latin-1", errors="replace"),
            "utf-16": text.encode("utf-16"),
            "garbage": bytes(range(256)) * 4,
            "empty": b"",
            "scalar": b"just a string\n",
            "list": b"- 1\n- 2\n",
            "syntax": text.encode()[: len(text) // 2] + b"\n  ]: [unbalanced\n",
            "tabs": b"connector:\n\tcode: x\n",
            "deep": b"a: " + b"[" * 50_000,
            "alias": b"a: &a [1, 2]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n",
            "directory": None,
            "missing": None,
        }[value]
        if value == "directory":
            path = directory / "schemas"
        elif value == "missing":
            path = directory / "missing.yaml"
        else:
            path.write_bytes(raw)
        label = f"yaml {value}"
    else:
        document = yaml.safe_load(text)
        if what == "delete":
            del document[value]
            label = f"yaml without {value}"
        else:
            keys, wrong_value = value
            node = document
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = wrong_value
            label = f"yaml {'.'.join(keys)}={_short(repr(wrong_value), 40)}"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    output = directory / "out"
    env.harness.clear_requests()
    run = run_cli(["read", "--credential", str(env.credential), "--config", str(path), "--resources", "contacts",
                   "--output", str(output), "--limit", "1", "--quiet"])
    problems = usage_problems(run, env.figures, label, sent=env.sent())
    return problems + env.finish(label, [run], directory)


BAD_INPUT_CHECKS = {"credential": check_bad_credential, "state": check_bad_state, "write_input": check_write_input,
                    "cli": check_bad_cli, "yaml": check_bad_yaml}


def run_generated(env: BadInputEnv, family: str, examples: int, seed: int = 0) -> list[str]:
    """The soak's way to drive a family: generate `examples` cases, collect every problem (no shrinking)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    strategy = strategies()[family]
    check = BAD_INPUT_CHECKS[family]
    problems: list[str] = []

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def drive(case):
        problems.extend(check(env, case))

    drive()
    return problems


def subprocess_sample(env: BadInputEnv) -> list[str]:
    """A few bad inputs through the real console entry point (a fresh process, real stdio)."""
    figures = env.figures
    directory = env.case_dir("sub-")
    problems = []
    cases = []
    (directory / "cred-deep.json").write_bytes(b"[" * 100_000)
    cases.append(("credential nested 100,000 deep",
                  ["check", "--credential", str(directory / "cred-deep.json"), "--config", str(env.config)]))
    (directory / "cred-latin1.json").write_bytes(json.dumps({"name": "café", "api_key": env.harness.api_key,
                                                        "base_url": env.harness.base_url},
                                                       ensure_ascii=False).encode("latin-1"))
    cases.append(("credential in Latin-1",
                  ["check", "--credential", str(directory / "cred-latin1.json"), "--config", str(env.config)]))
    cases.append(("argument error", ["read", "--credential", str(env.credential), "--format", "xml"]))
    cases.append(("harness --error-rate 2", ["harness", "--error-rate", "2"]))
    cases.append(("harness --port 70000", ["harness", "--port", "70000"]))
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    cases.append(("harness on a busy port", ["harness", "--port", str(busy.getsockname()[1])]))
    runs = []
    try:
        for label, argv in cases:
            figures.bad_inputs["subprocess"] += 1
            env.harness.clear_requests()
            run = run_cli_subprocess(argv, timeout=20)
            runs.append(run)
            problems += usage_problems(run, figures, f"subprocess: {label}", sent=env.sent())
    finally:
        busy.close()
    return problems + env.finish("subprocess sample", runs, directory)


# ---- hostile base URLs and pods -----------------------------------------------------------------------

@dataclass(frozen=True)
class Hostile:
    value: str
    where: str  # base_url | pod_base_url | pod
    must_refuse: bool = True
    note: str = ""


def hostile_urls(harness_port: int, listener_port: int, key: str) -> list[Hostile]:
    """Base URLs an attacker (or a careless paste) might put in front of the key; each must be refused
    before any connection, except the few marked as acceptable, which may reach only the harness."""
    H, L, B = harness_port, listener_port, LISTENER_HOST
    refuse = [
        # parser confusion: the host after the last @ is not where the transport connects
        f"http://{B}:{L}\\@127.0.0.1:{H}/v3.1", f"http://{B}:{L}\\\\@127.0.0.1:{H}/v3.1",
        f"http://{B}:{L}\\@localhost:{H}/v3.1", f"http://{B}\\@127.0.0.1:{H}/v3.1",
        f"http://{B}:{L}\\:x@127.0.0.1:{H}/v3.1", f"http://{B}:{L}/\\@127.0.0.1:{H}/v3.1",
        f"http://127.0.0.1:{H}\\@{B}:{L}/v3.1", f"http://10.0.0.1\\@127.0.0.1:{H}/v3.1",
        f"http://10.0.0.1:80\\@127.0.0.1:{H}/v3.1", f"http://169.254.169.254\\@127.0.0.1:{H}/v3.1",
        f"http://169.254.169.254:80\\@127.0.0.1:{H}/latest/meta-data", f"https://10.0.0.1\\@127.0.0.1:{H}/v3.1",
        f"http://{B}:{L}%5C@127.0.0.1:{H}/v3.1", f"http://{B}:{L}%5c@127.0.0.1:{H}/v3.1",
        # userinfo
        f"http://user@127.0.0.1:{H}/v3.1", f"http://user:pass@127.0.0.1:{H}/v3.1", f"http://:@127.0.0.1:{H}/v3.1",
        f"http://@127.0.0.1:{H}/v3.1", f"http://127.0.0.1:{H}@{B}:{L}/v3.1", f"http://{B}:{L}@127.0.0.1:{H}/v3.1",
        f"http://{key}@127.0.0.1:{H}/v3.1", f"http://{key}:@127.0.0.1:{H}/v3.1", f"http://a@b@127.0.0.1:{H}/v3.1",
        f"http://10.0.0.1@127.0.0.1:{H}/v3.1", "http://127.0.0.1@10.0.0.1/v3.1",
        f"http://localhost:{H}@{B}:{L}/v3.1", f"http://{B}%40127.0.0.1:{H}/v3.1",
        # not loopback at all
        "http://10.0.0.1/v3.1", "http://10.0.0.1:80/v3.1", "https://10.0.0.1/v3.1", "http://169.254.169.254/v3.1",
        "http://169.254.169.254/latest/meta-data/", "http://192.168.0.1/v3.1", "http://8.8.8.8/v3.1",
        "http://0.0.0.0:80/v3.1", "http://[::]:80/v3.1", "http://[::ffff:10.0.0.1]:80/v3.1",
        "http://[::ffff:169.254.169.254]/v3.1", "http://[fe80::1]/v3.1", "http://[2001:db8::1]/v3.1",
        # alternative spellings of addresses
        f"http://2130706433:{H}/v3.1", f"http://0x7f000001:{H}/v3.1", f"http://0177.0.0.1:{H}/v3.1",
        f"http://127.1:{H}/v3.1", f"http://0:{H}/v3.1", "http://167772161/v3.1", "http://0xa9fea9fe/v3.1",
        f"http://127.000.000.001:{H}/v3.1", "http://10.1/v3.1",
        # names that are not loopback
        f"http://127.0.0.1.nip.io:{H}/v3.1", f"http://localhost.evil.example:{H}/v3.1",
        "http://127.0.0.1.evil.example/v3.1", "http://api.na1.insightly.com.evil.example/v3.1",
        f"http://evil.example#@127.0.0.1:{H}/v3.1", f"http://evil.example?@127.0.0.1:{H}/v3.1",
        f"http://evil.example/@127.0.0.1:{H}/v3.1", f"http://10.0.0.1#@127.0.0.1:{H}/v3.1",
        f"http://10.0.0.1?@127.0.0.1:{H}/v3.1", f"http://10.0.0.1/@127.0.0.1:{H}/v3.1",
        # percent-encoding in the host
        f"http://%31%32%37.0.0.1:{H}/v3.1", f"http://127.0.0.1%2F@{B}:{L}/v3.1", f"http://{B}%23@127.0.0.1:{H}/v3.1",
        f"http://127%2E0%2E0%2E1:{H}/v3.1", f"http://127.0.0.1%00.evil.example:{H}/v3.1",
        f"http://10.0.0.1%2F@127.0.0.1:{H}/v3.1",
        # IPv6 forms
        f"http://[::1:{H}/v3.1", f"http://::1:{H}/v3.1", f"http://[::1]]:{H}/v3.1", f"http://[::1%25eth0]:{H}/v3.1",
        f"http://[127.0.0.1]:{H}/v3.1", f"http://[::1]@{B}:{L}/v3.1", f"http://[{B}]:{L}/v3.1",
        # ports
        "http://127.0.0.1:99999/v3.1", "http://127.0.0.1:65536/v3.1", "http://127.0.0.1:-1/v3.1",
        "http://127.0.0.1:abc/v3.1", f"http://127.0.0.1:{H}:{L}/v3.1", f"http://127.0.0.1: {H}/v3.1",
        f"http://127.0.0.1:+{H}/v3.1", f"http://127.0.0.1:{H}0000000/v3.1", f"http://127.0.0.1:0x{H:x}/v3.1",
        # queries and fragments
        f"http://127.0.0.1:{H}/v3.1?x=1", f"http://127.0.0.1:{H}/v3.1#frag", f"http://127.0.0.1:{H}?@{B}:{L}/v3.1",
        f"http://127.0.0.1:{H}#@{B}:{L}/v3.1", f"http://127.0.0.1:{H}/v3.1?", f"http://127.0.0.1:{H}/v3.1#",
        f"http://127.0.0.1:{H}/v3.1;a=b?c",
        # unicode dots and digits
        f"http://{B.replace('.', '。')}:{L}/v3.1", f"http://127．0．0．1:{H}/v3.1", f"http://１２７.0.0.1:{H}/v3.1",
        f"http://127.0.0.1\u200b:{H}/v3.1", "http://10｡0｡0｡1/v3.1", f"http://ⅰ27.0.0.1:{H}/v3.1",
        f"http://{B}\uff3c@127.0.0.1:{H}/v3.1", f"http://127.0.0.1\u2215@{B}:{L}/v3.1",
        # whitespace and control characters
        f"http://127.0.0.1:{H}/v3.1\nHost: evil.example", f"http://127.0.0.1:{H}\r\nX: y/v3.1",
        f"http://{B}:{L}\t@127.0.0.1:{H}/v3.1", f"http://127.0.0.1 :{H}/v3.1", f"http://127.0.0.1:{H}/v 3.1",
        f"http://127.0.0.1\x00:{H}/v3.1", f"http://{B}:{L} @127.0.0.1:{H}/v3.1", f"http://127.0.0.1:{H}\x7f/v3.1",
        # schemes and shapes
        "ftp://127.0.0.1/v3.1", "file:///etc/passwd", "gopher://127.0.0.1:70/", f"//127.0.0.1:{H}/v3.1",
        f"127.0.0.1:{H}/v3.1", "javascript:alert(1)", f"http:/127.0.0.1:{H}/v3.1", f"http:///127.0.0.1:{H}/v3.1",
        "http://", "http:", f"ws://127.0.0.1:{H}/v3.1", f"data:text/plain,{H}",
        # overly long
        f"http://127.0.0.1:{H}/" + "a" * 100_000, "http://" + "a" * 64 + ".localhost/v3.1",
        "http://" + "a." * 200 + "127.0.0.1/v3.1", f"http://127.0.0.1:{H}/v3.1" + "/" * 70_000,
    ]
    acceptable = [  # loopback, consistently parsed: may be accepted, but the key may reach only that host
        f"http://127.0.0.1:{H}/v3.1/", f"http://localhost:{H}/v3.1", f"HTTP://127.0.0.1:{H}/v3.1",
        f"http://[::1]:{H}/v3.1", f"http://127.0.0.1:{H}", f"https://127.0.0.1:{H}/v3.1",
        f"http://LOCALHOST:{H}/v3.1",
    ]
    return [Hostile(u, "base_url") for u in refuse] + [Hostile(u, "base_url", False) for u in acceptable]


def hostile_pods(listener_port: int) -> list[str]:
    B, L = LISTENER_HOST, listener_port
    return ["na1.evil.example", "na1/../eu1", f"na1@{B}", f"{B}:{L}", f"na1\\@{B}", "na1#", "na1?x", "na1 eu1",
            "ｎａ１", "na1\x00", "na1\nHost: evil", "na1%2eevil", "..", "na1.", "-na1", "na1:443", "na1/v3.1",
            "https://api.na1.insightly.com.evil.example/v3.1", f"https://api.na1.insightly.com@{B}:{L}/v3.1",
            f"https://api.na1.insightly.com\\@{B}:{L}/v3.1", "https://api.na1.insightly.com:8443/v3.1",
            "https://api.na1.insightly.com/v3.1?x=1", "https://api.na1.insightly.com/v3.1#f",
            "https://evil.example/api.na1.insightly.com", "https://api.na1.insightly.com./v3.1",
            "https://api.na1.insightly.com%2f@evil.example/v3.1", "x" * 1_000_000, "", "na1\u200b",
            "https://api.na1.insightly.com/v3.1/../../evil"]


def _connections_ok(guard: NetGuard, harness_port: int) -> list[str]:
    bad = []
    for host, port in guard.connections:
        if not (_loopback_ip(host) and port == harness_port and host in ("127.0.0.1", "::1", "::ffff:127.0.0.1")):
            bad.append(f"{host}:{port}")
    return bad


def check_hostile(env: BadInputEnv, guard: NetGuard, listener: Listener, item: Hostile,
                  config: Path | None = None) -> list[str]:
    """One hostile URL or pod: refused before any connection (or, if acceptable, only the harness was
    reached); the listener got nothing; the key appears in no output."""
    figures = env.figures
    figures.hostile_cases += 1
    directory = env.case_dir("hostile-")
    credential = directory / "credential.json"
    data: dict[str, Any] = {"name": "hostile", "api_key": env.harness.api_key}
    extra: list[str] = []
    if item.where == "base_url":
        data["base_url"] = item.value
    elif item.where == "pod_base_url":
        data["pod"] = "na1"
        extra = ["--pod-base-url", f"na1={item.value}"]
    else:
        data["pod"] = item.value
    credential.write_text(json.dumps(data), encoding="utf-8")
    label = f"hostile {item.where} {_short(repr(item.value), 110)}"
    hits_before = len(listener.hits)
    guard.clear()
    env.harness.clear_requests()
    run = run_cli(["check", "--credential", str(credential), "--config", str(config or env.config), "--no-probe",
                   "--format", "json", *extra])
    problems = crash_problems(run, figures, label)
    outbound = list(guard.refused)
    if outbound:
        figures.outbound_attempts += len(outbound)
        problems.append(figures.problem(f"{label}: tried to reach beyond loopback: {outbound[:3]}"))
    time.sleep(0.01)
    if len(listener.hits) > hits_before:
        figures.listener_hits += len(listener.hits) - hits_before
        got = listener.hits[-1]
        carried = " with the key" if any(form in got for form in key_forms(env.harness.api_key)) else ""
        first_line = got.split(b"\r\n", 1)[0].decode("latin-1")
        problems.append(figures.problem(f"{label}: the 127.0.0.2 listener received a request{carried}: "
                                        f"{_short(first_line, 100)}"))
    wrong = _connections_ok(guard, env.harness.port)
    if wrong and not outbound:
        problems.append(figures.problem(f"{label}: connected to {wrong[:3]}, not the validated harness host"))
    if item.must_refuse:
        if not problems and run.code != 2:
            problems.append(figures.problem(f"{label}: not refused: exit {run.code}: {_last_line(run)}"))
        elif not problems and len(run.err_lines) != 1:
            problems.append(figures.problem(f"{label}: refused with {len(run.err_lines)} stderr lines"))
        if guard.connections and not outbound and not wrong:
            problems.append(figures.problem(f"{label}: not refused before connecting ({len(guard.connections)} "
                                            "connection(s) to the harness)"))
    if any(len(line) > 2000 for line in run.err_lines):
        problems.append(figures.problem(f"{label}: echoed back in a {max(map(len, run.err_lines))}-character line"))
    return problems + env.finish(label, [run], directory)


def check_hostile_api(env: BadInputEnv, guard: NetGuard, listener: Listener, item: Hostile, spec: Any) -> list[str]:
    """The same as `check_hostile`, through the Python API with a spec loaded once (fast enough to run
    every hostile value in every position inside `make test`): `load_credential`, then the check request
    through a `Client` if the credential was accepted."""
    from insightly_connector.errors import ConfigError, ConnectorError
    from insightly_connector.http.client import Client
    from insightly_connector.spec.credential import load_credential

    figures = env.figures
    figures.hostile_cases += 1
    data: dict[str, Any] = {"name": "hostile", "api_key": env.harness.api_key}
    overrides = None
    if item.where == "base_url":
        data["base_url"] = item.value
    elif item.where == "pod_base_url":
        data["pod"] = "na1"
        overrides = {"na1": item.value}
    else:
        data["pod"] = item.value
    label = f"hostile {item.where} (API) {_short(repr(item.value), 110)}"
    hits_before = len(listener.hits)
    guard.clear()
    env.harness.clear_requests()
    problems, refused, message = [], False, ""
    try:
        credential = load_credential(data, spec, pod_base_urls=overrides)
    except ConfigError as exc:
        refused, message = True, str(exc)
    except Exception as exc:
        figures.internal_errors += 1
        problems.append(figures.problem(f"{label}: {type(exc).__name__}: {_short(str(exc))}"))
    else:
        try:
            with Client(spec, credential) as client:
                client.request("GET", spec.credential["check"]["path"])
        except ConnectorError as exc:
            message = str(exc)
        except Exception as exc:
            figures.internal_errors += 1
            problems.append(figures.problem(f"{label}: {type(exc).__name__} from the client: {_short(str(exc))}"))
    if guard.refused:
        figures.outbound_attempts += len(guard.refused)
        problems.append(figures.problem(f"{label}: tried to reach beyond loopback: {guard.refused[:3]}"))
    time.sleep(0.005)
    if len(listener.hits) > hits_before:
        figures.listener_hits += len(listener.hits) - hits_before
        problems.append(figures.problem(f"{label}: the 127.0.0.2 listener received a request"))
    wrong = _connections_ok(guard, env.harness.port)
    if wrong and not guard.refused:
        problems.append(figures.problem(f"{label}: connected to {wrong[:3]}, not the validated harness host"))
    if item.must_refuse and not refused and not problems:
        problems.append(figures.problem(f"{label}: accepted ({len(guard.connections)} connection(s) made)"))
    if len(message) > 2000:
        problems.append(figures.problem(f"{label}: echoed back in a {len(message)}-character message"))
    if leaks(env.harness.api_key, [("message", message.encode("utf-8", "replace"))]):
        figures.leaked += 1
        problems.append(figures.problem(f"{label}: the key is in the exception's message (Python API)"))
    return problems


def key_in_url(values: list[Hostile], key: str) -> tuple[list[Hostile], list[Hostile]]:
    """(values that carry the key itself, the others)."""
    return [v for v in values if key in v.value], [v for v in values if key not in v.value]


def widened_allowed_hosts(directory: Path) -> list[tuple[str, Path]]:
    """Custom YAMLs that try to widen where the key may go; every one must be refused."""
    cases = []
    for name, base_url, allowed in [
        ("suffix", "https://api.${pod}.insightly.com.evil.example/v3.1", ["api.*.insightly.com*"]),
        ("label-star", "https://api.${pod}.evil.example.insightly.com/v3.1", ["api.*.insightly.com"]),
        ("star", "https://evil.example/v3.1", ["*"]),
        ("http", "http://api.${pod}.insightly.com/v3.1", ["api.*.insightly.com"]),
        ("question", "https://api.${pod}.insightly.comx/v3.1", ["api.*.insightly.com?"]),
        ("brackets", "https://api.${pod}.insightly.com.evil/v3.1", ["api.*.insightly.com[.]evil"]),
    ]:
        def edit(document, base_url=base_url, allowed=allowed):
            document["credential"]["base_url"] = base_url
            document["credential"]["allowed_hosts"] = allowed
        cases.append((name, write_config(directory / f"widen-{name}", edit=edit)))
    return cases


def check_widened(env: BadInputEnv, guard: NetGuard, listener: Listener, name: str, config: Path) -> list[str]:
    figures = env.figures
    directory = env.case_dir("widen-")
    credential = directory / "credential.json"
    credential.write_text(json.dumps({"name": "widen", "api_key": env.harness.api_key, "pod": "na1"}),
                          encoding="utf-8")
    label = f"allowed_hosts widened ({name})"
    guard.clear()
    run = run_cli(["check", "--credential", str(credential), "--config", str(config), "--no-probe"])
    problems = crash_problems(run, figures, label)
    if guard.refused:
        figures.outbound_attempts += len(guard.refused)
        problems.append(figures.problem(f"{label}: tried to reach {guard.refused[:2]} (not refused)"))
    elif run.code != 2 or len(run.err_lines) != 1:
        problems.append(figures.problem(f"{label}: exit {run.code}, expected a one-line refusal: {_last_line(run)}"))
    return problems + env.finish(label, [run], directory)


def hostile_subprocess_sample(env: BadInputEnv, listener: Listener) -> list[str]:
    """The backslash confusion through a fresh process (no guard there: loopback targets only)."""
    figures = env.figures
    directory = env.case_dir("hostile-sub-")
    H, L, B = env.harness.port, listener.port, LISTENER_HOST
    problems, runs = [], []
    for where, url in [("base_url", f"http://{B}:{L}\\@127.0.0.1:{H}/v3.1"),
                       ("pod_base_url", f"http://{B}:{L}\\@127.0.0.1:{H}/v3.1"),
                       ("base_url", f"http://127.0.0.1:{H}@{B}:{L}/v3.1")]:
        credential = directory / f"cred-{len(runs)}.json"
        data = {"name": "hostile", "api_key": env.harness.api_key, "pod": "na1"}
        extra = []
        if where == "base_url":
            data["base_url"] = url
        else:
            extra = ["--pod-base-url", f"na1={url}"]
        credential.write_text(json.dumps(data), encoding="utf-8")
        before = len(listener.hits)
        figures.hostile_cases += 1
        run = run_cli_subprocess(["check", "--credential", str(credential), "--config", str(env.config),
                                  "--no-probe", *extra], timeout=30)
        runs.append(run)
        label = f"subprocess hostile {where} {url!r}"
        problems += usage_problems(run, figures, label)
        if len(listener.hits) > before:
            figures.listener_hits += len(listener.hits) - before
            problems.append(figures.problem(f"{label}: the 127.0.0.2 listener received a request"))
    return problems + env.finish("hostile subprocess sample", runs, directory)


def records_unaltered(workdir: Path, figures: Figures) -> list[str]:
    """A key that also appears in the user's data (a surname): records come out exactly as stored."""
    from insightly_connector.harness import Harness

    key = "Smith-0123456789"
    problems = []
    case = Path(tempfile.mkdtemp(prefix="unaltered-", dir=workdir))
    config = write_config(case / "config")
    with Harness(contacts=10, api_key=key, rate_limit_per_second=None) as harness:
        planted = harness.create("Contacts", {"FIRST_NAME": "Jo", "LAST_NAME": key, "BACKGROUND": f"key {key} here"})
        credential = write_credential(case / "credential.json", harness)
        run = run_cli(["read", "--credential", str(credential), "--config", str(config), "--resources", "contacts",
                       "--output", str(case / "out"), "--quiet"])
        problems += crash_problems(run, figures, "records unaltered")
        records = {}
        with contextlib.suppress(OSError, ValueError):
            for line in (case / "out" / "contacts.jsonl").read_bytes().splitlines():
                record = json.loads(line)
                records[record["CONTACT_ID"]] = record
        got = records.get(planted["CONTACT_ID"])
        if run.code != 0:
            problems.append(figures.problem(f"records unaltered: exit {run.code}: {_last_line(run)}"))
        elif got is None or got.get("LAST_NAME") != key or got.get("BACKGROUND") != f"key {key} here":
            problems.append(figures.problem(
                f"records unaltered: the record came out changed: LAST_NAME={got and got.get('LAST_NAME')!r}"))
        problems += [figures.problem(f"records unaltered: the key leaked into {name}")
                     for name in leaks(key, [("stderr", run.err), ("state", b"")])]
    shutil.rmtree(case, ignore_errors=True)
    return problems
