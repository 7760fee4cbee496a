"""What a write did: counts per outcome, why it stopped (if it did), its exit code, and its summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from insightly_connector.errors import ExitCode
from insightly_connector.protocols.summary import table

CONFIRMED_OUTCOMES = ("created", "updated", "deleted", "unchanged", "collapsed")
#: How a dry run names what it would do: it confirms nothing, so it never says "created".
DRY_RUN_WORDS = {"created": "would create", "updated": "would update", "deleted": "would delete",
                 "unchanged": "would leave unchanged", "collapsed": "would collapse"}


def outcome_word(outcome: str, dry_run: bool) -> str:
    """An outcome as a run reports it: `created`, or in a dry run `would_create`."""
    return DRY_RUN_WORDS.get(outcome, outcome).replace(" ", "_") if dry_run else outcome


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
    metadata_reads: list[str] = field(default_factory=list)  # custom-field metadata paths read by this run
    lookups: int = 0  # upsert and lost-create lookups sent
    results_path: str | None = None

    @property
    def confirmed(self) -> int:
        return sum(self.counts[name] for name in CONFIRMED_OUTCOMES)

    def summary_table(self) -> str:
        """The end-of-run summary, one outcome per row."""
        title = f"write {self.resource} ({self.mode}{', dry run' if self.dry_run else ''}), run {self.run_id}"
        rows = [(DRY_RUN_WORDS[name] if self.dry_run else name, self.counts[name]) for name in CONFIRMED_OUTCOMES]
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
            where = "the plan lists them" if self.dry_run else "--dry-run lists them"
            lines.append(f"  warnings: {self.warnings} (fields dropped, references kept; {where})")
        lines.append(f"  requests: {self.requests}, {self.elapsed_seconds:.1f} s")
        if self.dry_run:
            lines.append(f"  reads made to decide: {len(self.metadata_reads)} custom-field metadata "
                         f"({', '.join(self.metadata_reads) or 'none'}), {self.lookups} "
                         f"{'lookup' if self.lookups == 1 else 'lookups'}; no write sent")
        if self.results_path:
            lines.append(f"  results: {self.results_path}")
        if self.stop_reason:
            lines.append(f"  stopped: {self.stop_reason}")
        if self.counts["pending"]:
            hint = "re-run with the same input and journal to resume" if self.journal_path else \
                "a journal (--journal) would have made this resumable"
            lines.append(f"  {hint}")
        lines.append(f"  exit code {int(self.exit_code)} ({ExitCode(self.exit_code).name})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The machine-readable summary (`write --format json`)."""
        counts = {outcome_word(name, self.dry_run): self.counts[name] for name in CONFIRMED_OUTCOMES}
        counts.update(rejected=self.counts["rejected"], already_done=self.counts["already_done"],
                      pending=self.counts["pending"])
        summary: dict[str, Any] = {
            "resource": self.resource, "mode": self.mode, "runId": self.run_id, "dryRun": self.dry_run,
            "records": self.records, "counts": counts, "warnings": self.warnings, "requests": self.requests,
            "reads": {"metadata": list(self.metadata_reads), "lookups": self.lookups},
            "elapsedSeconds": round(self.elapsed_seconds, 3), "exitCode": int(self.exit_code),
            "stopReason": self.stop_reason, "rejectsPath": self.rejects_path, "journalPath": self.journal_path,
            "resultsPath": self.results_path}
        if self.dry_run:
            summary["plan"] = self.plan
        return summary
