"""How the connector says a count: every message, progress line and summary says `1 record`, `2 records`."""


def count_of(number: int, noun: str) -> str:
    """`1 record`, `2 records`, `12,500 records` (a noun that takes an s)."""
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
