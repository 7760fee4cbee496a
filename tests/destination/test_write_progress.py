"""Progress lines of the write command (stderr): counts so far, never more often than the interval."""

import io

from insightly_connector.destination.report import WriteReport
from insightly_connector.protocols.progress import Progress


def test_progress_lines_show_counts_and_respect_the_interval():
    stream = io.StringIO()
    report = WriteReport("contacts", "create", "run", records=10)
    report.counts.update(created=3, rejected=1)
    Progress(stream, quiet=False, log_interval=0).write_counts(report)
    assert stream.getvalue().startswith("write contacts: 4/10 records, 3 confirmed, 1 rejected")
    slow = io.StringIO()
    progress = Progress(slow, quiet=False, log_interval=3600)
    progress.write_counts(report)
    assert slow.getvalue() == ""
    quiet = io.StringIO()
    Progress(quiet, quiet=True, log_interval=0).write_counts(report)
    assert quiet.getvalue() == ""


def test_the_summary_names_every_outcome_the_rejects_file_and_the_exit_code():
    report = WriteReport("contacts", "upsert", "run-1", records=5, rejects_path="r.jsonl", exit_code=3)
    report.counts.update(created=2, updated=1, unchanged=1, rejected=1)
    table = report.summary_table()
    for text in ("write contacts (upsert), run run-1", "created", "updated", "unchanged", "rejected",
                 "rejects: r.jsonl", "exit code 3 (REJECTED)"):
        assert text in table
