"""One API answer, read whole: what the client and its callers use of it, and nothing to keep a socket open."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from typing import Any

import orjson


@dataclass(frozen=True)
class Response:
    """The status, the headers (looked up without regard to case) and the decoded body bytes."""

    status_code: int
    headers: Message
    content: bytes

    def json(self) -> Any:
        """The body as JSON (a `ValueError` when it is not)."""
        return orjson.loads(self.content)

    @property
    def text(self) -> str:
        """The body as text, in the charset the answer names (UTF-8 when it names none)."""
        charset = self.headers.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know
            return self.content.decode("utf-8", errors="replace")
