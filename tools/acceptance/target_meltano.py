"""Acceptance, outside `make test`: a Meltano SDK tap (tap-jsonl, from PyPI) piped into target-insightly by
`meltano run`, against a local harness. One function per case; results go to bench/platforms-target-results.md.

    python tools/acceptance/target_meltano.py      # needs .venv (the harness) and network access to PyPI

Meltano lives in its own venv (.venv-platforms/meltano, built once); `meltano install` then gives tap-jsonl
and target-insightly (this repository) a venv each, as Meltano always does.

Cases: (1) create: every record of a JSONL file is created once, and the state the target echoes is the one
Meltano stores; (2) upsert: a second file changes every record, the second run reads only that file (the
stored state skips the first) and updates every record: no duplicates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from _results import write_results  # noqa: E402

from insightly_connector.harness import Harness  # noqa: E402

VENV = REPO / ".venv-platforms" / "meltano"
MELTANO = VENV / "bin" / "meltano"
RESULTS = REPO / "bench" / "platforms-target-results.md"
RECORDS = 25
ENV = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", "MELTANO_DISABLE_TRACKING": "true"}


def ensure_meltano() -> None:
    if not MELTANO.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "meltano"],
                       check=True)


def project(folder: Path, harness: Harness) -> Path:
    loader = yaml.safe_load((REPO / "meltano/loaders/target-insightly/insightly-connector.yml").read_text())
    loader.update(pip_url=str(REPO), config={
        "api_key": harness.api_key, "base_url": harness.base_url, "requests_per_second": 100,
        "journal_dir": str(folder / "journal"), "rejects_dir": str(folder / "rejects")})
    for name in ("journal", "rejects", "data"):
        (folder / name).mkdir()
    document = {
        "version": 1, "default_environment": "dev", "project_id": "insightly-target-acceptance",
        "environments": [{"name": "dev"}],
        "plugins": {
            "extractors": [{"name": "tap-jsonl", "namespace": "tap_jsonl", "pip_url": "tap-jsonl==0.3.1",
                            "executable": "tap-jsonl", "capabilities": ["catalog", "discover", "state", "about"],
                            "settings": [{"name": "path"}, {"name": "stream_name"},
                                         {"name": "primary_keys", "kind": "array"},
                                         {"name": "emit_state_every", "kind": "integer"}],
                            "config": {"path": str(folder / "data" / "*.jsonl"), "stream_name": "contacts",
                                       "primary_keys": ["EMAIL_ADDRESS"], "emit_state_every": 10}}],
            "loaders": [loader]}}
    (folder / "meltano.yml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def meltano(folder: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(MELTANO), *args], cwd=folder, env={**ENV, **(env or {})}, capture_output=True,
                          text=True, timeout=900)


def write_file(folder: Path, name: str, title: str) -> None:
    lines = [json.dumps({"FIRST_NAME": f"Meltano{n}", "EMAIL_ADDRESS": f"m{n}@meltano.test", "TITLE": title})
             for n in range(RECORDS)]
    (folder / "data" / name).write_text("\n".join(lines) + "\n")


def mine(harness: Harness) -> list[dict]:
    records = (harness.get("Contacts", key) for key in harness.ids("Contacts"))
    return [r for r in records if r and str(r.get("EMAIL_ADDRESS", "")).endswith("@meltano.test")]


def stored_state(folder: Path) -> dict:
    done = meltano(folder, "state", "get", "dev:tap-jsonl-to-target-insightly")
    return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else {}


def case_create(folder: Path, harness: Harness) -> dict:
    write_file(folder, "1.jsonl", "first")
    started = time.monotonic()
    done = meltano(folder, "run", "tap-jsonl", "target-insightly")
    records = mine(harness)
    state = stored_state(folder)
    return {"case": "create", "exit": done.returncode, "seconds": round(time.monotonic() - started, 1),
            "records_in_file": RECORDS, "created": len(records), "distinct_emails": len({r["EMAIL_ADDRESS"]
                                                                                      for r in records}),
            "rejects": sum(1 for p in (folder / "rejects").iterdir() for _ in p.open()),
            "state_stored": bool(state.get("singer_state")), "ok": done.returncode == 0 and len(records) == RECORDS
            and bool(state.get("singer_state")), "stderr_tail": done.stderr[-1500:] if done.returncode else ""}


def case_upsert(folder: Path, harness: Harness) -> dict:
    write_file(folder, "2.jsonl", "second")
    harness.clear_requests()
    started = time.monotonic()
    done = meltano(folder, "run", "tap-jsonl", "target-insightly", env={"TARGET_INSIGHTLY_MODE": "upsert"})
    records = mine(harness)
    lookups = [e for e in harness.requests() if e.method == "GET" and "/Search" in e.path]
    creates = [e for e in harness.requests() if e.method == "POST"]
    return {"case": "upsert", "exit": done.returncode, "seconds": round(time.monotonic() - started, 1),
            "records": len(records), "titles": sorted({r["TITLE"] for r in records}), "lookups": len(lookups),
            "posts": len(creates), "state_stored": bool(stored_state(folder).get("singer_state")),
            "ok": done.returncode == 0 and len(records) == RECORDS and {r["TITLE"] for r in records} == {"second"}
            and len(lookups) == RECORDS and not creates, "stderr_tail": done.stderr[-1500:] if done.returncode else ""}


def main() -> int:
    ensure_meltano()
    results = []
    with tempfile.TemporaryDirectory() as tmp, Harness(seed=21, contacts=5, rate_limit_per_second=None) as harness:
        folder = project(Path(tmp), harness)
        started = time.monotonic()
        installed = meltano(folder, "install")
        if installed.returncode != 0:
            print(installed.stderr[-3000:], file=sys.stderr)
            return 1
        install_seconds = round(time.monotonic() - started, 1)
        for case in (case_create, case_upsert):
            results.append(case(folder, harness))
            print(json.dumps(results[-1]), flush=True)
    return write_results(RESULTS, [
        "# target-insightly under Meltano (tools/acceptance/target_meltano.py)", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; `meltano install` took {install_seconds} s."],
        results)


if __name__ == "__main__":
    sys.exit(main())
