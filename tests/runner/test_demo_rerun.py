"""`make demo` run twice in one folder: the second run starts from nothing the first left that it builds on."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "tools" / "demo.py"


def test_a_second_demo_starts_without_the_first_ones_state_writes_or_incremental_output(tmp_path):
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    left = [tmp_path / "state.json", tmp_path / "write-create.jsonl", tmp_path / "rejects-create.jsonl",
            tmp_path / "incremental" / "contacts.jsonl", tmp_path / "incremental" / "organisations.jsonl"]
    kept = [tmp_path / "full" / "contacts.jsonl", tmp_path / "catalog.json"]  # rewritten by the run itself
    for path in left + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"CONTACT_ID": 1}\n')
    demo.remove_stale(tmp_path)
    assert [path for path in left if path.exists()] == []
    assert all(path.exists() for path in kept)
