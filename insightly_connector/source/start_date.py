"""Where a first incremental sync starts: a `start_date` given by the user (CLI, Python API,
platform config). A resource with a saved cursor ignores it; a resource without one reads only the
records updated after it instead of everything."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from insightly_connector.errors import ConfigError

#: How far ahead of the local clock a start date may be (clocks and time zones differ by less).
FUTURE_ALLOWANCE = timedelta(days=1)


def parse_start_date(value: Any, label: str = "start_date") -> datetime | None:
    """`2024-01-01` or an RFC 3339 / ISO 8601 time (any offset) as naive UTC; None when not given. A date
    more than a day ahead is refused, as a state file's cursor is."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ConfigError(f"{label}: {text[:40]!r} is not a date such as 2024-01-01 "
                              "or 2024-01-01T00:00:00Z") from None
    else:
        raise ConfigError(f"{label}: expected a date such as 2024-01-01 or 2024-01-01T00:00:00Z")
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    if moment > datetime.now(timezone.utc).replace(tzinfo=None) + FUTURE_ALLOWANCE:
        raise ConfigError(f"{label}: {moment:%Y-%m-%d %H:%M:%S} is in the future: the first sync would read "
                          "nothing, and the cursor it saves would skip every record updated before it")
    return moment
