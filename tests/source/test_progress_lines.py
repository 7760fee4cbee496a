"""Progress on stderr: live line on a TTY, plain lines otherwise, warnings even when quiet."""

import io

from insightly_connector.protocols.progress import Progress
from insightly_connector.redaction import Redactor


def test_plain_lines_when_not_a_tty_with_incremental_wording_and_quota():
    out = io.StringIO()
    progress = Progress(out, tty=False, log_interval=0)
    progress.resource_started("contacts", since="2025-05-01 12:00:00")
    progress.page("contacts", 500, 1, 59000)
    progress.resource_finished("contacts", "complete", 500, 1, 1, 58999)
    text = out.getvalue()
    assert "\r" not in text
    assert text.splitlines() == [
        "contacts: incremental since 2025-05-01 12:00:00",
        text.splitlines()[1],
        "contacts: complete: 500 records, 1 page, 1 request, 58,999 requests left today",
    ]
    assert text.splitlines()[1].startswith("contacts: 500 records, 1 page, ")
    assert text.splitlines()[1].endswith(", 59,000 requests left today")


def test_a_tty_gets_one_line_redrawn_in_place():
    out = io.StringIO()
    progress = Progress(out, tty=True)
    progress.resource_started("contacts")
    progress.page("contacts", 500, 1, None)
    progress.resource_finished("contacts", "complete", 500, 1, 1)
    text = out.getvalue()
    assert text.startswith("contacts: full read\n\r\x1b[Kcontacts: 500 records")
    assert text.endswith("\ncontacts: complete: 500 records, 1 page, 1 request\n")


def test_quiet_keeps_warnings_only_and_everything_is_scrubbed():
    out = io.StringIO()
    progress = Progress(out, quiet=True, tty=False, redactor=Redactor(["s3cr3t-key"]))
    progress.resource_started("contacts")
    progress.page("contacts", 1, 1, 5)
    progress.warning("tickets: skipped: s3cr3t-key")
    assert out.getvalue() == "warning: tickets: skipped: ***\n"
