"""Progress lines of the write command (stderr): counts so far, never more often than the interval."""

import io

from insightly_connector.commands.write import _ProgressLine
from insightly_connector.destination.report import WriteReport


def test_progress_lines_show_counts_and_respect_the_interval():
    stream = io.StringIO()
    report = WriteReport("contacts", "create", "run", records=10)
    report.counts.update(created=3, rejected=1)
    _ProgressLine(stream, quiet=False, interval=0)(report)
    assert stream.getvalue().startswith("write contacts: 4/10 records, 3 confirmed, 1 rejected")
    slow = io.StringIO()
    progress = _ProgressLine(slow, quiet=False, interval=3600)
    progress(report)
    assert slow.getvalue() == ""
    quiet = io.StringIO()
    _ProgressLine(quiet, quiet=True, interval=0)(report)
    assert quiet.getvalue() == ""


def test_the_summary_names_every_outcome_the_rejects_file_and_the_exit_code():
    report = WriteReport("contacts", "upsert", "run-1", records=5, rejects_path="r.jsonl", exit_code=3)
    report.counts.update(created=2, updated=1, unchanged=1, rejected=1)
    table = report.summary_table()
    for text in ("write contacts (upsert), run run-1", "created", "updated", "unchanged", "rejected",
                 "rejects: r.jsonl", "exit code 3 (REJECTED)"):
        assert text in table
