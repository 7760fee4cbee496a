"""`insightly-connector read --format airbyte|singer` is the same read as the platform commands: a STATE for
every stream (one-request ones too) without a state file, typed dates, and Singer's last STATE at the end."""

from __future__ import annotations

import gc
import json

import pytest

from insightly_connector.cli import main


@pytest.fixture(autouse=True)
def collector_settings_restored():
    """The CLI's read tunes the collector for its own process; the test process gets its settings back."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_cli_read_formats_share_the_platform_behaviour(run_main, harness, tmp_path):
    credential = tmp_path / "credential.json"
    credential.write_text(json.dumps({"name": "t", "api_key": harness.api_key, "base_url": harness.base_url}))
    common = ("read", "--credential", credential, "--resources", "contacts,countries", "--quiet", "--format")
    airbyte = run_main(main, *common, "airbyte").json_lines()
    stated = {m["state"]["stream"]["stream_descriptor"]["name"] for m in airbyte if m["type"] == "STATE"}
    assert stated == {"contacts", "countries"}
    dates = [m["record"]["data"]["DATE_UPDATED_UTC"] for m in airbyte
             if m["type"] == "RECORD" and m["record"]["stream"] == "contacts"]
    assert dates and all(d.endswith("Z") for d in dates)
    singer = run_main(main, *common, "singer").json_lines()
    assert singer[-1]["type"] == "STATE" and set(singer[-1]["value"]["resources"]) == {"contacts"}
    jsonl = run_main(main, *common, "jsonl").json_lines()  # jsonl keeps the API's own spelling
    assert all(" " in r["DATE_UPDATED_UTC"] for r in jsonl if "CONTACT_ID" in r)
