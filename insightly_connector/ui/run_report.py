"""The sync report of one run, from the run's own files (see `run_files`).

From the request log: per resource the requests, the 429s and the time from its first request to the end of
its last; the request rate per second against the run's limit, the 429s per second and the quota left over
time (the chart's series); the exit code. From the state file, each resource's cursor or unfinished read;
from the record files, how many records a read wrote; from the journals and rejects files, a write's
outcomes per resource and each reject with its reason. A request log without its `end` line is reported as
unfinished (the run is still going, or was killed)."""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import orjson

from insightly_connector.ui.run_files import RunFiles, first_object

RATE_LIMITED = 429
MAX_REJECTS_SHOWN = 500
MESSAGE_TYPES = ("RECORD", "STATE", "SCHEMA", "LOG", "TRACE", "CATALOG", "SPEC", "CONNECTION_STATUS")
MESSAGE_BODIES = ("record", "schema", "state", "value", "log", "trace", "catalog", "spec", "connectionStatus")
CHART_STEPS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)
MAX_CHART_POINTS = 400


def report(run: RunFiles, root: Path) -> dict[str, Any]:
    head, requests, end = _request_log(run.request_log)
    per_resource = _per_resource(requests)
    result: dict[str, Any] = {
        "id": run_id(run, root),
        "folder": str(run.folder),
        "verb": head.get("verb"),
        "started_at": head.get("started_at"),
        "requests_per_second": head.get("requests_per_second"),
        "daily_quota": head.get("daily_quota"),
        "finished": end is not None,
        "exit_code": end.get("exit_code") if end else None,
        "duration_seconds": _duration(requests, end),
        "requests": len(requests),
        "rate_limited": sum(1 for r in requests if r.get("status") == RATE_LIMITED),
        "network_errors": sum(1 for r in requests if r.get("status") is None),
        "statuses": dict(sorted(Counter(str(r.get("status")) for r in requests).items())),
        "quota_remaining": _last_quota(requests),
        "chart": chart(requests, head.get("requests_per_second"), end),
        "files": {"request_log": str(run.request_log), "state": str(run.state) if run.state else None,
                  "journals": [str(p) for p in run.journals], "rejects": [str(p) for p in run.rejects],
                  "results": [str(p) for p in run.results],
                  "records": [str(p) for p in run.records]},
    }
    if head.get("verb") == "write" or run.journals or run.results:
        result["resources"] = _write_resources(run, per_resource)
        result["rejects"], result["rejects_total"] = _rejects(run.rejects)
    else:
        result["resources"] = _read_resources(run, per_resource)
    return result


def summary(run: RunFiles, root: Path) -> dict[str, Any]:
    """One entry of the runs list: what kind of run, and when it started."""
    head = first_object(run.request_log) or {}
    return {"id": run_id(run, root), "verb": head.get("verb"), "started_at": head.get("started_at"),
            "folder": str(run.folder)}


def run_id(run: RunFiles, root: Path) -> str:
    relative = run.folder.relative_to(root).as_posix()
    return "." if relative in ("", ".") else relative


def chart(requests: list[dict], limit: float | None, end: dict | None) -> dict[str, Any]:
    """The request rate over the run, measured as the limiter measures it: requests sent in the trailing
    window (one second, or the sampling step on long runs), per second, at every step; the 429s answered
    within each step; the quota left as last reported; the limit as a constant line."""
    times = sorted(r["t"] for r in requests)
    last = max([end["t"]] if end and isinstance(end.get("t"), int | float) else [], default=0.0)
    last = max([last, *times], default=0.0)
    step = next((s for s in CHART_STEPS if last / s <= MAX_CHART_POINTS), CHART_STEPS[-1])
    window = max(1.0, step)
    limited = sorted(r["t"] for r in requests if r.get("status") == RATE_LIMITED)
    quotas = sorted((r["t"], r["quota_remaining"]) for r in requests if isinstance(r.get("quota_remaining"), int))
    points = math.ceil(last / step) + 1
    series: dict[str, list] = {"t": [], "rate": [], "rate_limited": [], "quota": [], "limit": []}
    for k in range(points):
        t = round(k * step, 3)
        series["t"].append(t)
        series["rate"].append(round(_between(times, t - window, t) / window, 2))
        series["rate_limited"].append(_between(limited, t - step, t))
        known = bisect.bisect_right(quotas, (t, math.inf))
        series["quota"].append(quotas[known - 1][1] if known else None)
        series["limit"].append(limit if isinstance(limit, int | float) else None)
    return {"step_seconds": step, "window_seconds": window, **series}


def _between(sorted_times: list[float], low: float, high: float) -> int:
    """How many of the times fall in (low, high]."""
    return bisect.bisect_right(sorted_times, high) - bisect.bisect_right(sorted_times, low)


def _request_log(path: Path) -> tuple[dict, list[dict], dict | None]:
    head: dict = {}
    requests: list[dict] = []
    end = None
    for event in _json_lines(path):
        kind = event.get("event")
        if kind == "run" and not head:
            head = event
        elif kind == "request" and isinstance(event.get("t"), int | float):
            requests.append(event)
        elif kind == "end":
            end = event
    return head, requests, end


def _per_resource(requests: list[dict]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for r in requests:
        grouped[r.get("resource") or ""].append(r)
    return {name: {"requests": len(rs), "rate_limited": sum(1 for r in rs if r.get("status") == RATE_LIMITED),
                   "duration_seconds": round(max(r["t"] + (r.get("ms") or 0) / 1000 for r in rs)
                                             - min(r["t"] for r in rs), 3)}
            for name, rs in grouped.items()}


def _read_resources(run: RunFiles, per_resource: dict[str, dict]) -> list[dict[str, Any]]:
    state = (first_object(run.state) or {}).get("resources", {}) if run.state else {}
    records = {path.stem: _count_records(path) for path in run.records}
    names = list(dict.fromkeys([*(n for n in per_resource if n), *state, *records]))
    rows = []
    for name in names:
        entry = state.get(name) if isinstance(state.get(name), dict) else {}
        rows.append({"name": name, "records": records.get(name), **_requests_of(per_resource, name),
                     "cursor": entry.get("cursor"), "unfinished": "in_progress" in entry})
    if "" in per_resource:
        rows.append({"name": "(no resource named)", "records": None, **_requests_of(per_resource, "")})
    return rows


def _write_resources(run: RunFiles, per_resource: dict[str, dict]) -> list[dict[str, Any]]:
    """Per resource, each input line's last outcome: from the journals; else from the results file (a write
    has one resource, which its requests and rejects name); else only the requests and the rejects."""
    rows = []
    for path in run.journals:
        resource, mode, outcomes = _journal(path)
        rows.append({"name": resource, "mode": mode, "outcomes": outcomes, "records": sum(outcomes.values()),
                     **_requests_of(per_resource, resource)})
    if rows:
        return rows
    rejects, _ = _rejects(run.rejects)
    names = list(dict.fromkeys([*(n for n in per_resource if n), *(r["resource"] for r in rejects if r["resource"])]))
    modes = {r["resource"]: r["mode"] for r in rejects}
    if run.results:
        outcomes = _results(run.results)
        name = names[0] if len(names) == 1 else ""
        return [{"name": name or ", ".join(names) or "(no resource named)", "mode": modes.get(name, ""),
                 "outcomes": outcomes, "records": sum(outcomes.values()), **_requests_of(per_resource, name)}]
    for name in names:
        rejected = sum(1 for r in rejects if r["resource"] == name)
        rows.append({"name": name, "mode": modes.get(name, ""), "outcomes": {"rejected": rejected} if rejected else {},
                     "records": None, **_requests_of(per_resource, name)})
    return rows


def _results(paths: list[Path]) -> dict[str, int]:
    """Each input line's outcome in `write --results` files (the last line about it wins)."""
    last: dict[Any, str] = {}
    for path in paths:
        for entry in _json_lines(path):
            last[entry.get("inputLine")] = str(entry.get("outcome"))
    return dict(sorted(Counter(last.values()).items()))


def _json_lines(path: Path):
    """The JSON objects of a JSON-lines file; a torn or foreign line (a killed run's last) is passed over."""
    with path.open("rb") as file:
        for line in file:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                yield entry


def _requests_of(per_resource: dict[str, dict], name: str) -> dict[str, Any]:
    return per_resource.get(name, {"requests": 0, "rate_limited": 0, "duration_seconds": None})


def _journal(path: Path) -> tuple[str, str, dict[str, int]]:
    """The journal's resource and mode, and each input line's last outcome (sent lines still in flight too)."""
    resource = mode = ""
    last: dict[int, str] = {}
    for entry in _json_lines(path):
        event = entry.get("event")
        if event == "run":
            resource, mode = entry.get("resource", resource), entry.get("mode", mode)
        elif event in ("sent", "confirmed", "rejected"):
            outcome = {"sent": "in flight", "rejected": "rejected"}.get(event) or str(entry.get("outcome"))
            for pair in entry.get("lines", []):
                last[pair[0]] = outcome
    return resource, mode, dict(sorted(Counter(last.values()).items()))


def _rejects(paths: list[Path]) -> tuple[list[dict[str, Any]], int]:
    shown: list[dict[str, Any]] = []
    total = 0
    for path in paths:
        for entry in _json_lines(path):
            total += 1
            if len(shown) < MAX_REJECTS_SHOWN:
                meta, error = entry.get("nexlaMetaData", {}), entry.get("error", {})
                shown.append({"resource": meta.get("resource"), "mode": meta.get("mode"),
                              "line": meta.get("inputLine"), "category": error.get("category"),
                              "status": error.get("status"), "message": error.get("message")})
    return shown, total


def _count_records(path: Path) -> int:
    """Records in a `read --output` file: every line of plain JSON lines; only the RECORD messages of the
    airbyte and singer formats (whose first line is a message: a `type` and the message's own object)."""
    first = first_object(path) or {}
    if not (first.get("type") in MESSAGE_TYPES and any(isinstance(first.get(k), dict) for k in MESSAGE_BODIES)):
        with path.open("rb") as file:
            return sum(1 for line in file if line.strip())
    return sum(1 for message in _json_lines(path) if message.get("type") == "RECORD")


def _duration(requests: list[dict], end: dict | None) -> float | None:
    if end and isinstance(end.get("t"), int | float):
        return round(end["t"], 3)
    if requests:
        return round(max(r["t"] + (r.get("ms") or 0) / 1000 for r in requests), 3)
    return None


def _last_quota(requests: list[dict]) -> int | None:
    for r in reversed(requests):
        if isinstance(r.get("quota_remaining"), int):
            return r["quota_remaining"]
    return None
