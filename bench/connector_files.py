"""The files a benchmark hands the connector: a credential for the harness, and an unthrottled spec.

The runner-cost and incremental benchmarks run against a harness without a rate limit. The
connector would still pace itself at the spec's 10 requests a second, so those benchmarks pass
`--config` with a copy of `connector.yaml` whose only change is the highest rate the meta-schema
allows; everything else (page size, in-flight cap, retries) stays as shipped."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
UNTHROTTLED_REQUESTS_PER_SECOND = 1000


def write_credential(directory: Path, base_url: str, api_key: str) -> Path:
    path = directory / "credential.json"
    credential = {"name": "bench", "api_key": api_key, "password": "", "pod": "na1", "base_url": base_url}
    path.write_text(json.dumps(credential), encoding="utf-8")
    path.chmod(0o600)
    return path


def shipped_rate_limit() -> dict:
    """The shipped `http.rate_limit` block, to explain a figure with the pacing actually in force."""
    return yaml.safe_load((REPO_ROOT / "connector.yaml").read_text(encoding="utf-8"))["http"]["rate_limit"]


def write_unthrottled_spec(directory: Path) -> Path:
    """A copy of connector.yaml paced at the meta-schema's maximum; schemas/ is linked beside it."""
    document = yaml.safe_load((REPO_ROOT / "connector.yaml").read_text(encoding="utf-8"))
    document["http"]["rate_limit"]["requests_per_second"] = UNTHROTTLED_REQUESTS_PER_SECOND
    path = directory / "connector.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    link = directory / "schemas"
    if not link.exists():
        link.symlink_to(REPO_ROOT / "schemas", target_is_directory=True)
    return path
