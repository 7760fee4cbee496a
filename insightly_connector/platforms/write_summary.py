"""What a destination says when its input ends: per stream, the records and their outcomes, where the
rejects are, and which fields were dropped because no write can send them (platform adapters only)."""

from __future__ import annotations

from collections.abc import Iterator

from insightly_connector.destination.report import WriteReport
from insightly_connector.destination.stream_write import StreamingWrite
from insightly_connector.redaction import process_redactor


def summary_lines(run: StreamingWrite, reports: list[WriteReport]) -> Iterator[tuple[str, str]]:
    """(level, line) pairs: INFO per stream, WARN for rejects and dropped fields."""
    for report in reports:
        counts = ", ".join(f"{name} {count}" for name, count in report.counts.items() if count)
        line = f"{report.resource} ({report.mode}): {report.records} records: {counts or 'nothing written'}"
        if report.counts["rejected"] and report.rejects_path:
            yield "WARN", process_redactor.scrub(f"{line}; rejects in {report.rejects_path}")
        else:
            yield "INFO", process_redactor.scrub(line)
    for name, sink in run.sinks.items():
        dropped = sorted(getattr(sink, "dropped_fields", ()))
        if dropped:
            yield "WARN", f"{name}: fields no write can send were dropped: {', '.join(dropped)}"
