"""Acceptance, outside `make test`: the sources as the real platforms start them, against a local harness.
One function per case; results go to bench/platforms-source-results.md. `make platforms` builds the venvs and
runs this (and every other script under tools/acceptance/).

    python tools/acceptance/source_platforms.py     # needs .venv, .venv-platforms/{pyairbyte,meltano}, PyPI

Cases:
(1) PyAirbyte 0.71: `get_source("source-insightly", local_executable=...)` checks, lists the streams and reads
    every stream into its DuckDB cache; each stream's row count equals the connector's own read; the date
    columns are timestamps in DuckDB; after three contacts change, a second read is incremental (contacts
    through /Search, three records) and the cache still holds one row per contact.
(2) Meltano 4.4: `meltano run tap-insightly target-jsonl` twice in a temporary project whose tap is the plugin
    definition in meltano/ (pip_url pointing at this repository); the second run reads only what changed,
    from the state Meltano stored."""

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

from insightly_connector.api import Connector  # noqa: E402
from insightly_connector.harness import Harness  # noqa: E402

PLATFORMS = REPO / ".venv-platforms"
PYAIRBYTE_PYTHON = PLATFORMS / "pyairbyte" / "bin" / "python"
MELTANO = PLATFORMS / "meltano" / "bin" / "meltano"
SOURCE = REPO / ".venv" / "bin" / "source-insightly"
RESULTS = REPO / "bench" / "platforms-source-results.md"
TAP_DEFINITION = REPO / "meltano" / "extractors" / "tap-insightly" / "insightly-connector.yml"
CHANGED = 3  # contacts changed between the two runs of each case
# Offline: PyAirbyte would look the name up in its registry, and both would send usage statistics.
ENV = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "AIRBYTE_OFFLINE_MODE": "1"}

# Runs inside the PyAirbyte venv: argv = config JSON, executable, cache folder, pass number, the streams to select
# (the connector's default selection: child streams cost a request per parent and are opt-in). Prints one JSON line.
PYAIRBYTE_READ = r'''
import json, sys, time
import airbyte as ab
from sqlalchemy import text

config, executable, cache_dir, run = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
selected = json.loads(sys.argv[5])
source = ab.get_source("source-insightly", config=config, local_executable=executable)
source.check()
streams = source.get_available_streams()
source.select_streams(selected)
cache = ab.new_local_cache(cache_name="insightly", cache_dir=cache_dir)
started = time.monotonic()
result = source.read(cache=cache)
seconds = round(time.monotonic() - started, 1)
counts, types = {}, {}
with cache.get_sql_engine().connect() as connection:
    for name in selected:
        table = cache.processor.get_sql_table_name(name)
        counts[name] = connection.execute(text(f'select count(*) from "{cache.schema_name}"."{table}"')).scalar()
    rows = connection.execute(text(
        "select column_name, data_type from information_schema.columns where table_name = 'contacts' "
        "and column_name in ('date_updated_utc', 'date_created_utc', 'date_of_birth', 'customfields')"))
    types = {column: kind for column, kind in rows}
    names = dict(connection.execute(text("select contact_id, first_name from contacts")).fetchall())
print(json.dumps({"run": run, "streams": streams, "counts": counts, "types": types, "seconds": seconds,
                  "processed_records": result.processed_records, "first_names": names}))
'''


def pyairbyte_read(config: dict, cache_dir: Path, run: int, selected: list[str]) -> dict:
    done = subprocess.run([str(PYAIRBYTE_PYTHON), "-c", PYAIRBYTE_READ, json.dumps(config), str(SOURCE),
                           str(cache_dir), str(run), json.dumps(selected)],
                          capture_output=True, text=True, timeout=900, env=ENV)
    if done.returncode != 0:
        raise RuntimeError(f"PyAirbyte run {run} exited {done.returncode}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def own_counts(harness: Harness) -> dict[str, int]:
    """The connector's own read of every resource, through its Python API (jsonl into a temp folder)."""
    with tempfile.TemporaryDirectory() as out, Connector({"name": "own", "api_key": harness.api_key,
                                                          "base_url": harness.base_url,
                                                          "requests_per_second": 100}) as connector:
        report = connector.read(output_dir=out)
    return {entry.name: entry.records for entry in report.resources}


def contacts_paths_read(harness: Harness) -> list[str]:
    """The contacts paths the read asked, without discover's count of the parents of child streams (one
    record with the list's total: the platforms run discover before every read)."""
    return sorted({e.path for e in harness.requests() if e.path.startswith("/Contacts")
                   and not (e.query.get("top") == "1" and e.query.get("count_total"))})


def change_contacts(harness: Harness) -> list:
    harness.advance_clock(5)
    changed = harness.ids("Contacts")[:CHANGED]
    for n, key in enumerate(changed):
        harness.update("Contacts", key, {"FIRST_NAME": f"Changed{n}"})
    return changed


def case_pyairbyte(harness: Harness, work: Path) -> dict:
    config = {"api_key": harness.api_key, "base_url": harness.base_url, "requests_per_second": 100}
    own = own_counts(harness)
    first = pyairbyte_read(config, work / "cache", 1, sorted(own))
    changed = change_contacts(harness)
    harness.clear_requests()
    second = pyairbyte_read(config, work / "cache", 2, sorted(own))
    contact_paths = contacts_paths_read(harness)
    mismatched = {name: (first["counts"].get(name), own.get(name)) for name in own
                  if first["counts"].get(name) != own[name]}
    timestamps = all("TIMESTAMP" in kind.upper() for column, kind in first["types"].items()
                     if column.startswith("date_"))
    second_names = {int(k): v for k, v in second["first_names"].items()} if isinstance(
        second["first_names"], dict) else {}
    ok = (not mismatched and set(own) <= set(first["streams"]) and timestamps
          and contact_paths == ["/Contacts/Search"] and second["counts"]["contacts"] == own["contacts"]
          and all(second_names.get(key, "").startswith("Changed") for key in changed))
    return {"case": "pyairbyte", "ok": ok, "streams": len(first["streams"]), "selected": len(own),
            "records_first_read": first["processed_records"], "own_read_records": sum(own.values()),
            "contacts": first["counts"]["contacts"], "count_mismatches": mismatched or "none",
            "duckdb_types": first["types"], "first_read_seconds": first["seconds"],
            "second_read_records": second["processed_records"], "second_read_contacts_paths": contact_paths,
            "second_read_seconds": second["seconds"], "contacts_rows_after_second": second["counts"]["contacts"]}


def meltano(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(MELTANO), *args], cwd=folder, env=ENV, capture_output=True, text=True, timeout=900)


def meltano_project(folder: Path, harness: Harness, streams: list[str]) -> None:
    """A project with the tap selecting `streams` (without select rules Meltano selects `*.*`, child
    streams included, whatever their selected-by-default says)."""
    tap = yaml.safe_load(TAP_DEFINITION.read_text(encoding="utf-8"))
    tap.update(pip_url=str(REPO), config={"api_key": harness.api_key, "base_url": harness.base_url,
                                          "requests_per_second": 100},
               select=[f"{name}.*" for name in streams])
    for key in ("domain_url", "docs", "repo", "keywords", "maintenance_status", "quality", "logo_url"):
        tap.pop(key, None)  # hub metadata: not part of a project's plugin entry
    target = {"name": "target-jsonl", "namespace": "target_jsonl", "pip_url": "target-jsonl==0.1.4",
              "executable": "target-jsonl",
              "settings": [{"name": "destination_path"}, {"name": "do_timestamp_file", "kind": "boolean"}],
              "config": {"destination_path": str(folder / "output"), "do_timestamp_file": False}}  # appends
    (folder / "output").mkdir()
    document = {"version": 1, "default_environment": "dev", "project_id": "insightly-source-acceptance",
                "environments": [{"name": "dev"}], "plugins": {"extractors": [tap], "loaders": [target]}}
    (folder / "meltano.yml").write_text(yaml.safe_dump(document, sort_keys=False))


def output_lines(folder: Path) -> dict[str, int]:
    return {path.stem: sum(1 for _ in path.open()) for path in sorted((folder / "output").glob("*.jsonl"))}


def case_meltano(harness: Harness, work: Path) -> dict:
    folder = work / "meltano"
    folder.mkdir()
    meltano_project(folder, harness, sorted(own_counts(harness)))
    started = time.monotonic()
    installed = meltano(folder, "install")
    if installed.returncode != 0:
        return {"case": "meltano", "ok": False, "install": installed.stderr[-2000:]}
    install_seconds = round(time.monotonic() - started, 1)
    started = time.monotonic()
    first = meltano(folder, "run", "tap-insightly", "target-jsonl")
    first_seconds = round(time.monotonic() - started, 1)
    after_first = output_lines(folder)
    state = meltano(folder, "state", "get", "dev:tap-insightly-to-target-jsonl")
    changed = change_contacts(harness)
    harness.clear_requests()
    started = time.monotonic()
    second = meltano(folder, "run", "tap-insightly", "target-jsonl")
    second_seconds = round(time.monotonic() - started, 1)
    after_second = output_lines(folder)
    added = {name: after_second.get(name, 0) - after_first.get(name, 0) for name in after_second}
    contact_paths = contacts_paths_read(harness)
    own = own_counts(harness)
    ok = (first.returncode == 0 and second.returncode == 0 and after_first == {k: v for k, v in own.items() if v}
          and added.get("contacts") == len(changed) and contact_paths == ["/Contacts/Search"]
          and state.returncode == 0 and "singer_state" in state.stdout)
    return {"case": "meltano", "ok": ok, "install_seconds": install_seconds, "first_run_exit": first.returncode,
            "first_run_seconds": first_seconds, "first_run_records": sum(after_first.values()),
            "own_read_records": sum(own.values()), "files": len(after_first), "state_stored": "singer_state" in
            state.stdout, "second_run_exit": second.returncode, "second_run_seconds": second_seconds,
            "second_run_contacts": added.get("contacts"), "second_run_records": sum(added.values()),
            "second_run_contacts_paths": contact_paths,
            "stderr_tail": (first.stderr + second.stderr)[-1500:] if first.returncode or second.returncode else ""}


CASES = (case_pyairbyte, case_meltano)


def main() -> int:
    for needed in (PYAIRBYTE_PYTHON, MELTANO, SOURCE):
        if not needed.exists():
            print(f"missing {needed}: run `make platforms`", file=sys.stderr)
            return 1
    results = []
    for case in CASES:  # a harness each: every case starts from the same data
        with tempfile.TemporaryDirectory() as tmp, Harness(seed=11, contacts=200,
                                                           rate_limit_per_second=None) as harness:
            try:
                results.append(case(harness, Path(tmp)))
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                results.append({"case": case.__name__.removeprefix("case_"), "ok": False, "error": str(exc)[-3000:]})
        print(json.dumps(results[-1]), flush=True)
    return write_results(RESULTS, [
        "# The sources under the real platforms (tools/acceptance/source_platforms.py)", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} against a harness of 200 contacts "
        "(seed 11), one per case."], results)


if __name__ == "__main__":
    sys.exit(main())
