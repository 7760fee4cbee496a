"""The one end-of-run table printer, for reads (a row per resource) and writes (a row per outcome):
columns aligned, text left and counts right."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[str | int]], *, indent: str = "") -> list[str]:
    """Aligned lines; a column whose cells below the first row are all numbers is right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    body = rows[1:] or rows
    numeric = [all(isinstance(row[i], int) for row in body) for i in range(len(widths))]
    return [indent + "  ".join(cell.rjust(width) if right else cell.ljust(width)
                               for cell, width, right in zip(row, widths, numeric, strict=True)).rstrip()
            for row in cells]
