"""The proof that the runner is generic: the Widgets API, declared by `widgets_api.yaml` alone, read and
written through the same CLI and Python API as Insightly, over real HTTP to the fake on 127.0.0.1.

Its shapes are ones Insightly lacks: a bearer token, next-link paging (widgets) and next-token paging
(gadgets), records inside a `data` envelope, and `updated_since` on the list itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from insightly_connector.api import Connector

from .fake_api import FakeApi

CONFIG = Path(__file__).resolve().parent / "widgets_api.yaml"
KEYS = {"widgets": "id", "gadgets": "gadget_id"}


@pytest.fixture
def api():
    with FakeApi(widgets=65, gadgets=47, page_size_cap=50) as fake:
        yield fake


def credential(api: FakeApi, tmp_path: Path, token: str | None = None) -> Path:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps({"name": "widgets", "token": token or api.token, "base_url": api.base_url}))
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "insightly_connector", *args, "--config", str(CONFIG)],
                          capture_output=True, text=True, timeout=120, check=False)


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_check_verifies_the_bearer_token_and_a_wrong_one_gets_the_yaml_hint(api, tmp_path):
    done = cli("check", "--credential", str(credential(api, tmp_path)))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["user"] == {"id": 1, "name": "Test User"}
    assert {e.header("Authorization") for e in api.requests()} == {f"Bearer {api.token}"}
    refused = cli("check", "--credential", str(credential(api, tmp_path, token="not-the-token")), "--no-probe")
    assert refused.returncode == 1
    assert "create a new token under Account > API tokens" in refused.stderr
    assert "not-the-token" not in refused.stdout + refused.stderr


def test_a_full_read_follows_next_links_and_next_tokens_through_the_data_envelope(api, tmp_path):
    out = tmp_path / "out"
    done = cli("read", "--credential", str(credential(api, tmp_path)), "--output", str(out),
               "--state", str(tmp_path / "state.json"))
    assert done.returncode == 0, done.stderr
    for name, key in KEYS.items():
        assert [r[key] for r in lines(out / f"{name}.jsonl")] == [r[key] for r in api.records(name)]
    lists = [e for e in api.requests() if e.method == "GET" and e.path != "/v1/me"]
    assert sum(e.path == "/v1/widgets" for e in lists) == 4  # 65 records, 20 a page
    assert sum(e.path == "/v1/gadgets" for e in lists) == 3  # 47 records
    assert all(e.query["limit"] == "20" for e in lists)
    assert any("after" in e.query for e in lists) and any("cursor" in e.query for e in lists)


def test_an_incremental_read_asks_the_list_for_updated_since_and_gets_exactly_the_changes(api, tmp_path):
    cred, state = str(credential(api, tmp_path)), str(tmp_path / "state.json")
    first = cli("read", "--credential", cred, "--output", str(tmp_path / "full"), "--state", state)
    assert first.returncode == 0, first.stderr
    api.advance_clock(60)
    api.update("widgets", 7, {"colour": "red"})
    created = api.create("gadgets", {"label": "new one"})
    api.clear_requests()
    out = tmp_path / "incremental"
    second = cli("read", "--credential", cred, "--output", str(out), "--state", state)
    assert second.returncode == 0, second.stderr
    assert [r["id"] for r in lines(out / "widgets.jsonl")] == [7]
    assert [r["gadget_id"] for r in lines(out / "gadgets.jsonl")] == [created["gadget_id"]]
    assert all("updated_since" in e.query for e in api.requests() if e.method == "GET")


def test_writes_create_update_and_delete_through_the_python_api(api, tmp_path):
    widgets_before, gadgets_before = len(api.records("widgets")), len(api.records("gadgets"))
    with Connector({"name": "w", "token": api.token, "base_url": api.base_url}, config=CONFIG) as conn:
        created = conn.write("widgets", "create", [{"name": "sprocket", "colour": "blue"}, {"colour": "no name"}],
                             rejects_path=str(tmp_path / "rejects.jsonl"))
        assert (created.counts["created"], created.counts["rejected"], created.exit_code) == (1, 1, 3)
        updated = conn.write("gadgets", "update", [{"gadget_id": "g-0003", "label": "relabelled"}])
        deleted = conn.write("widgets", "delete", [{"id": 5}, {"id": 99999}])
        gadget = conn.write("gadgets", "create", [{"label": "fresh"}])
    assert updated.counts["updated"] == 1 and updated.exit_code == 0
    assert deleted.counts["deleted"] == 1 and deleted.counts["unchanged"] == 1  # 404 on delete: already absent
    assert gadget.counts["created"] == 1
    assert next(w for w in api.records("widgets") if w["name"] == "sprocket")["colour"] == "blue"
    assert api.get("gadgets", "g-0003")["label"] == "relabelled"
    assert api.get("widgets", 5) is None
    assert len(api.records("widgets")) == widgets_before  # one created, one deleted
    assert len(api.records("gadgets")) == gadgets_before + 1
    puts = [e for e in api.requests() if e.method == "PUT"]
    assert [e.path for e in puts] == ["/v1/gadgets/g-0003"]  # the key in the path, not in the body


def test_a_write_through_the_cli_with_the_second_config(api, tmp_path):
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": 3, "weight_grams": 250}) + "\n")
    done = cli("write", "--credential", str(credential(api, tmp_path)), "--resource", "widgets", "--mode", "update",
               "--input", str(records), "--rejects", str(tmp_path / "rejects.jsonl"))
    assert done.returncode == 0, done.stderr + done.stdout
    assert api.get("widgets", 3)["weight_grams"] == 250


def test_a_read_answer_declared_fail_fails_its_resource_and_the_run_reads_the_rest(api, tmp_path):
    out, state = tmp_path / "out", tmp_path / "state.json"
    api.fail_next(400, 1)  # widgets' first page: `read: fail` in widgets_api.yaml
    done = cli("read", "--credential", str(credential(api, tmp_path)), "--output", str(out), "--state", str(state))
    assert done.returncode == 1, done.stderr
    assert lines(out / "widgets.jsonl") == []
    assert len(lines(out / "gadgets.jsonl")) == len(api.records("gadgets"))
    saved = json.loads(state.read_text())["resources"]
    assert "cursor" in saved["gadgets"] and "cursor" not in saved.get("widgets", {})
