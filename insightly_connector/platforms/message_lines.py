"""The message stream a platform pipes into a destination: one JSON object per line.

A line that is not a JSON object is skipped with a warning, as the Airbyte CDK and Singer targets do:
one garbled line must not cost the records around it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson


def messages(lines: Iterable[bytes], skipped: Callable[[int], None]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(input line number, message) for every line holding a JSON object; `skipped(line)` hears of the rest."""
    for position, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            message = None
        if isinstance(message, dict):
            yield position, message
        else:
            skipped(position)
