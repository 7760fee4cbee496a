"""One API answer, read whole: what the client and its callers use of it, and nothing to keep a socket open."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


class Headers(dict):
    """Header values by name, looked up without regard to case; a header sent more than once has its
    values joined with ", " as HTTP allows (and requests did), so a second `Link` line is not lost."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()):
        super().__init__()
        for name, value in pairs:
            key = name.lower()
            super().__setitem__(key, f"{super().__getitem__(key)}, {value}" if key in self else value)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class Response:
    """The status, the headers and the decoded body bytes."""

    status_code: int
    headers: Headers
    content: bytes

    def json(self) -> Any:
        """The body as JSON (a `ValueError` when it is not)."""
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 when it names none)."""
        found = _CHARSET.search(self.headers.get("Content-Type", ""))
        try:
            return self.content.decode(found.group(1) if found else "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")
