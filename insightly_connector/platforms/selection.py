"""What a platform's catalog asks a read for: which streams, and which of them in full."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StreamSelection:
    """`names` None means every stream; `full_refresh` names streams to read in full (no saved cursor used)."""

    names: list[str] | None = None
    full_refresh: frozenset[str] = field(default_factory=frozenset)
