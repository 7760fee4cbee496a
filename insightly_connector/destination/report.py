"""What a write did: counts per outcome, why it stopped (if it did), its exit code, and its summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from insightly_connector.errors import ExitCode
from insightly_connector.protocols.summary import table

CONFIRMED_OUTCOMES = ("created", "updated", "deleted", "unchanged", "collapsed")


@dataclass
class WriteReport:
    """What a write did: counts per outcome, why it stopped (if it did) and its exit code."""

    resource: str
    mode: str
    run_id: str
    dry_run: bool = False
    records: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        (*CONFIRMED_OUTCOMES, "rejected", "already_done", "pending"), 0))
    exit_code: int = ExitCode.OK
    stop_reason: str | None = None
    rejects_path: str | None = None
    journal_path: str | None = None
    warnings: int = 0
    requests: int = 0
    elapsed_seconds: float = 0.0
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def confirmed(self) -> int:
        return sum(self.counts[name] for name in CONFIRMED_OUTCOMES)

    def summary_table(self) -> str:
        """The end-of-run summary, one outcome per row."""
        title = f"write {self.resource} ({self.mode}{', dry run' if self.dry_run else ''}), run {self.run_id}"
        rows = [(name, self.counts[name]) for name in CONFIRMED_OUTCOMES]
        rows.append(("rejected", self.counts["rejected"]))
        if self.counts["already_done"]:
            rows.append(("already done (journal)", self.counts["already_done"]))
        if self.counts["pending"]:
            rows.append(("pending (not sent)", self.counts["pending"]))
        rows.append(("total records", self.records))
        lines = [title, *table(rows, indent="  ")]
        if self.counts["rejected"] and self.rejects_path:
            lines.append(f"  rejects: {self.rejects_path}")
        if self.warnings:
            lines.append(f"  warnings: {self.warnings} (read-only fields dropped)")
        lines.append(f"  requests: {self.requests}, {self.elapsed_seconds:.1f} s")
        if self.stop_reason:
            lines.append(f"  stopped: {self.stop_reason}")
        if self.counts["pending"]:
            hint = "re-run with the same input and journal to resume" if self.journal_path else \
                "a journal (--journal) would have made this resumable"
            lines.append(f"  {hint}")
        lines.append(f"  exit code {int(self.exit_code)} ({ExitCode(self.exit_code).name})")
        return "\n".join(lines)
