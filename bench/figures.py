"""Figures (median, min and max over runs) and the sections of `results.md` they make up.

The machine is shared and noisy, so every figure keeps all its runs and shows their median with the
spread; a target is judged by the bench that owns it (on the median, or on the worst run for counts
such as 429s, which must be zero in every run)."""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str
    values: list[float]
    unit: str = ""
    decimals: int = 1
    target: str = ""
    met: bool | None = None  # None: no target for this figure

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self, value: float) -> str:
        return f"{value:,.{self.decimals}f}"

    @property
    def verdict(self) -> str:
        return {None: "", True: "met", False: "**missed**"}[self.met]

    def row(self) -> list[str]:
        low, high = min(self.values), max(self.values)
        return [self.name, f"{self.cell(self.median)} {self.unit}".strip(), self.cell(low), self.cell(high),
                str(len(self.values)), self.target, self.verdict]


@dataclass
class Section:
    """One benchmark's part of the results: setup, a table of figures, notes."""

    title: str
    setup: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headline: str = ""  # one sentence for the summary at the top of the results (and the README)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  {' | '.join(figure.row())}", flush=True)
        return figure

    def markdown(self, previous: dict[str, str] | None = None, previous_label: str = "previous") -> str:
        """The section; with `previous` (figure name -> its median in the results before), a column beside
        each figure's median, so that a regression shows."""
        header = ["figure", "median", "min", "max", "runs", "target", "verdict"]
        if previous is not None:
            header.insert(2, previous_label)
        lines = [f"## {self.title}", "", self.setup, "", _table_row(header),
                 _table_row(["---"] * len(header))]
        for figure in self.figures:
            row = figure.row()
            if previous is not None:
                row.insert(2, previous.get(figure.name, "new"))
            lines.append(_table_row(row))
        if self.notes:
            lines.append("")
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def run_alone(run, default_runs: int | None = None) -> int:
    """Run one benchmark by itself (`python bench/X.py [runs]`) and print its section."""
    if default_runs is None:
        print(run().markdown())
    else:
        print(run(int(sys.argv[1]) if len(sys.argv) > 1 else default_runs).markdown())
    return 0
