"""Progress of a run on stderr: a read's resource i of N, its records of the list's reported total
(percentage and time left), pages, and requests left in the daily quota; or a write's counts so far.

On a terminal it is one live line redrawn in place; in a log (not a TTY) it is a plain line per
resource event and at most one line every few seconds in between, so logs stay readable. Warnings
(skipped resources) are always printed, even when quiet. Everything passes the redactor."""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING

from insightly_connector.redaction import Redactor
from insightly_connector.wording import count_of

if TYPE_CHECKING:
    from insightly_connector.destination.report import WriteReport

_TTY_REDRAW_SECONDS = 0.1
_LOG_LINE_SECONDS = 5.0


class Progress:
    """Reports one run's progress; cheap to call once per page."""

    def __init__(self, stream: IO[str] | None = None, *, quiet: bool = False, tty: bool | None = None,
                 redactor: Redactor | None = None, log_interval: float = _LOG_LINE_SECONDS):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty() if tty is None else tty
        self.redactor = redactor or Redactor()
        self.interval = _TTY_REDRAW_SECONDS if self.tty else log_interval
        self._last_draw = float("-inf")
        self._live = False  # a TTY line is drawn and not yet ended
        self._started = time.monotonic()
        self._last_wait = float("-inf")
        self._last_count = self._started  # a write's first line after one interval: a short write needs none
        self._resources = 0  # how many resources the read will take turns on (0: not told)
        self._turn = 0

    def run_started(self, resources: int) -> None:
        """How many resources the read takes turns on, so each can say "i of N"."""
        self._resources, self._turn = resources, 0

    def resource_started(self, name: str, *, since: str | None = None, resumed: bool = False) -> None:
        """`since` is the incremental cursor; None means a full read."""
        what = f"incremental since {since}" if since else "full read"
        self._started = time.monotonic()
        self._turn += 1
        turn = f"resource {self._turn} of {self._resources}: " if self._resources > 1 else ""
        self._line(f"{turn}{name}: {what}{' (resuming)' if resumed else ''}")

    def page(self, name: str, records: int, pages: int, quota_remaining: int | None, total: int | None = None) -> None:
        """`total` is the list's reported size (its total-count header), when it reports one."""
        now = time.monotonic()
        if self.quiet or now - self._last_draw < self.interval:
            return
        self._last_draw = now
        rate = records / max(now - self._started, 1e-9)
        done = count_of(records, "record")
        if total:
            share = min(records / total, 1.0)
            left = f", about {_duration((total - records) / rate)} left" if rate > 0 and records < total else ""
            done = f"{records:,} of {count_of(total, 'record')} ({share:.0%}){left}"
        self._draw(f"{name}: {done}, {count_of(pages, 'page')}, {rate:,.0f} rec/s{_quota(quota_remaining)}")

    def write_counts(self, report: WriteReport) -> None:
        """A write's records done so far (confirmed, rejected, or done by an earlier run)."""
        now = time.monotonic()
        if self.quiet or now - self._last_count < self.interval:
            return
        self._last_count = now
        counts = report.counts
        done = report.confirmed + counts["rejected"] + counts["already_done"]
        rate = done / max(now - self._started, 1e-9)
        self._draw(f"write {report.resource}: {done}/{report.records} records, {report.confirmed} confirmed, "
                   f"{counts['rejected']} rejected, {rate:.1f} rec/s")

    def probed(self, done: int, total: int) -> None:
        """A check's access probe: how many resources of how many have answered."""
        now = time.monotonic()
        if self.quiet or (done < total and now - self._last_draw < self.interval):
            return
        self._last_draw = now
        self._draw(f"probed {done} of {total} resources")
        if done == total:
            self._end_live()

    def resource_finished(self, name: str, status: str, records: int, pages: int, requests: int,
                          quota_remaining: int | None = None) -> None:
        self._line(f"{name}: {status}: {count_of(records, 'record')}, {count_of(pages, 'page')}, "
                   f"{count_of(requests, 'request')}{_quota(quota_remaining)}")

    def waiting(self, reason: str) -> None:
        """A long wait (a slow pace, a 429): said at most once per interval, so a log shows it."""
        now = time.monotonic()
        if self.quiet or now - self._last_wait < self.interval:
            return
        self._last_wait = now
        self._line(reason)

    def note(self, message: str) -> None:
        """A plain line worth reading before the run goes on (what a costly stream will take)."""
        self._line(message)

    def warning(self, message: str) -> None:
        self._end_live()
        self._write(f"warning: {message}\n")

    def close(self) -> None:
        self._end_live()

    def _draw(self, text: str) -> None:
        """The live line on a terminal; a plain line in a log."""
        if self.tty:
            self._write(f"\r\x1b[K{text}")
            self._live = True
        else:
            self._line(text)

    def _line(self, text: str) -> None:
        if self.quiet:
            return
        self._end_live()
        self._write(text + "\n")

    def _end_live(self) -> None:
        if self._live:
            self._write("\n")
            self._live = False

    def _write(self, text: str) -> None:
        self.stream.write(self.redactor.scrub(text))
        self.stream.flush()


def _quota(remaining: int | None) -> str:
    return f", {count_of(remaining, 'request')} left today" if remaining is not None else ""


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
