"""`make demo`: the Insightly connector end to end against the bundled Insightly emulator. It drives
Insightly's own collections, so it lives with the tools, not in the generic runner.

It runs the real CLI as a user would (each command is printed before it runs): check, discover, a
full read of every resource, changes made behind the connector's back, an incremental re-read that
must pick up exactly those changes, then writes in every mode with one record meant to be rejected."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from insightly_connector.harness import Harness
from insightly_connector.spec.loader import load_spec

_CLI = [sys.executable, "-m", "insightly_connector"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="directory for every file the demo writes")
    parser.add_argument("--contacts", type=int, default=1200, help="seeded contacts (more means longer reads)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    with Harness(seed=7, contacts=args.contacts) as harness:
        print(f"harness: Insightly emulator on {harness.base_url} (pod {harness.pod}, "
              f"{harness.count('Contacts')} contacts)\n")
        credential = _write_credential(out, harness)
        _step("1. check the credential")
        _run("check", "--credential", credential, "--no-probe")
        _step("2. discover resources and schemas (live custom fields and custom objects)")
        catalog = _run("discover", "--credential", credential, capture=True)
        (out / "catalog.json").write_text(catalog)
        print(f"   {len(json.loads(catalog)['resources'])} resources -> {out / 'catalog.json'}")
        _step("3. full read of every resource")
        _run("read", "--credential", credential, "--output", str(out / "full"), "--state", str(out / "state.json"))
        full_counts = _line_counts(out / "full")
        _step("4. change records behind the connector's back, then read incrementally")
        expected = _change_records(harness)
        _run("read", "--credential", credential, "--output", str(out / "incremental"),
             "--state", str(out / "state.json"), "--resources", ",".join(expected))
        changed_ok = _compare(out / "incremental", expected)
        _step("5. write: create, update, upsert and delete, with one record meant to be rejected")
        write_ok = _writes(out, credential, harness)
        _step("summary")
        _summary(full_counts, out / "incremental", expected, changed_ok, write_ok)
    print("\nharness stopped.")
    return 0 if changed_ok and write_ok else 1


def remove_stale(out: Path) -> None:
    """What an earlier demo left in `out` and this one would build on: its state, its writes' files, and
    the incremental read's output, which an incremental read appends to (a second `make demo` then
    counted both runs' changes and failed)."""
    for stale in [out / "state.json", *out.glob("write-*"), *out.glob("rejects-*"),
                  *(out / "incremental").glob("*.jsonl")]:
        stale.unlink(missing_ok=True)


def _write_credential(out: Path, harness: Harness) -> str:
    path = out / "credential.json"
    path.write_text(json.dumps({"name": "demo", "description": "bundled harness", "api_key": harness.api_key,
                                "password": "", "pod": harness.pod, "base_url": harness.base_url}, indent=2))
    os.chmod(path, 0o600)
    return str(path)


def _change_records(harness: Harness) -> dict[str, set[int]]:
    """Move the harness clock past the sync start, then update and create a few records."""
    harness.advance_clock(120)
    contact_ids = harness.ids("Contacts")
    updated = contact_ids[:2] + contact_ids[len(contact_ids) // 2: len(contact_ids) // 2 + 1]
    for contact_id in updated:
        harness.update("Contacts", contact_id, {"BACKGROUND": "updated by the demo"})
    created = [harness.create("Contacts", {"FIRST_NAME": "Demo", "LAST_NAME": f"New {i}"})["CONTACT_ID"]
               for i in range(2)]
    organisation = harness.ids("Organisations")[0]
    harness.update("Organisations", organisation, {"BACKGROUND": "updated by the demo"})
    print(f"   updated contacts {updated}, created contacts {created}, updated organisation {organisation}")
    return {"contacts": set(updated) | set(created), "organisations": {organisation}}


def _compare(directory: Path, expected: dict[str, set[int]]) -> bool:
    ok = True
    spec = load_spec()
    for resource, ids in expected.items():
        key = spec.resource(resource).primary_key
        records = [json.loads(line) for line in _lines(directory / f"{resource}.jsonl")]
        got = {r.get(key) for r in records}
        same = got == ids and len(records) == len(ids)
        ok &= same
        print(f"   {resource}: expected {sorted(ids)}, got {sorted(got)} -> {'exactly those' if same else 'MISMATCH'}")
    return ok


def _writes(out: Path, credential: str, harness: Harness) -> bool:
    contacts = harness.ids("Contacts")
    existing = harness.get("Contacts", contacts[3])
    inputs = {
        "create": [{"FIRST_NAME": "Ada", "LAST_NAME": "Lovelace", "EMAIL_ADDRESS": "ada@example.com"},
                   {"LAST_NAME": "No first name: rejected before any request"}],
        "update": [{"CONTACT_ID": contacts[4], "TITLE": "Head of Data"}],
        "upsert": [{"EMAIL_ADDRESS": existing["EMAIL_ADDRESS"], "FIRST_NAME": existing["FIRST_NAME"],
                    "TITLE": "Upserted (found)"},
                   {"EMAIL_ADDRESS": "grace@example.com", "FIRST_NAME": "Grace", "TITLE": "Upserted (new)"}],
        "delete": [{"CONTACT_ID": contacts[5]}],
    }
    before = harness.count("Contacts")
    codes = []
    for mode, records in inputs.items():
        path = out / f"write-{mode}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        extra = ["--upsert-key", "EMAIL_ADDRESS"] if mode == "upsert" else []
        codes.append(_run("write", "--credential", credential, "--resource", "contacts", "--mode", mode,
                          "--input", str(path), "--rejects", str(out / f"rejects-{mode}.jsonl"),
                          "--journal", str(out / f"write-{mode}.journal.jsonl"), *extra, check=False))
    rejects = [line for mode in inputs for line in _lines(out / f"rejects-{mode}.jsonl")]
    print(f"\n   rejects ({len(rejects)} line, in {out / 'rejects-create.jsonl'}):")
    for line in rejects:
        print("   " + line)
    after = harness.count("Contacts")
    print(f"   contacts in the harness: {before} -> {after} (1 created, 1 created by upsert, 1 deleted)")
    return after == before + 1 and len(rejects) == 1 and codes == [3, 0, 0, 0]


def _summary(full_counts: dict[str, int], incremental: Path, expected: dict[str, set[int]],
             changed_ok: bool, write_ok: bool) -> None:
    incremental_records = sum(len(_lines(incremental / f"{name}.jsonl")) for name in expected)
    rows = [
        ("full read", f"{sum(full_counts.values())} records from {len(full_counts)} resources"),
        ("incremental re-read", f"{incremental_records} records, "
                                + ("exactly the changed ones" if changed_ok else "MISMATCH")),
        ("writes", "as planned, one reject" if write_ok else "NOT as planned"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"   {label.ljust(width)}  {value}")


def _line_counts(directory: Path) -> dict[str, int]:
    return {p.stem: len(_lines(p)) for p in sorted(directory.glob("*.jsonl"))}


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _step(title: str) -> None:
    print(f"\n== {title}")


def _run(*args: str, capture: bool = False, check: bool = True):
    print("$ insightly-connector " + " ".join(shlex.quote(a) for a in args), flush=True)
    result = subprocess.run([*_CLI, *args], stdout=subprocess.PIPE if capture else None, text=True, check=False)
    if check and result.returncode != 0:
        raise SystemExit(f"demo: `{args[0]}` failed with exit code {result.returncode}")
    return result.stdout if capture else result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
