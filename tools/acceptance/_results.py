"""The results table every acceptance script writes under bench/ (a helper, not a case: `make platforms`
runs only the scripts whose names do not start with `_`)."""

from __future__ import annotations

from pathlib import Path


def write_results(path: Path, heading: list[str], results: list[dict]) -> int:
    """One row per case after `heading`; 0 when every case is ok, else 1 (the script's exit code)."""
    lines = [*heading, "", "| case | ok | figures |", "| --- | --- | --- |"]
    for result in results:
        figures = ", ".join(f"{k}={v}" for k, v in result.items() if k not in ("case", "ok", "stderr_tail"))
        lines.append(f"| {result['case']} | {'yes' if result['ok'] else 'NO'} | {figures} |")
    path.write_text("\n".join(lines) + "\n")
    return 0 if all(r["ok"] for r in results) else 1
