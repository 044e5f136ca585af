"""The figures a capacity run reports: each measured value beside its target, and the tables.

A :class:`Figure` is one line of issue 12's Targets (or a number shown for context, with no
target): what was measured, the target it is judged by, and so whether it was met. A figure
that could not be measured (a size skipped for time, a run that produced no requests) has
no value and a note saying why; it does not pass.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

PASS, FAIL, INFO, NOT_RUN = "pass", "FAIL", "-", "not measured"
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq}
_SHOWN = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "="}


@dataclass(frozen=True)
class Target:
    """What a measured value must be: ``<= 1.5``, ``>= 10000``, ``== 0``."""

    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS:
            raise ValueError(f"unknown comparison {self.op!r}")

    def met(self, measured: float) -> bool:
        """Whether ``measured`` meets the target."""
        return _OPERATORS[self.op](measured, self.value)


@dataclass(frozen=True)
class Figure:
    """One reported number: ``section`` (turns, scale, import, load), its ``name``, the value
    in ``unit`` (None: not measured, ``note`` says why) and the target it is judged by."""

    section: str
    name: str
    measured: float | None
    unit: str
    target: Target | None = None
    note: str = ""

    @property
    def result(self) -> str:
        """pass, FAIL, - (no target) or "not measured"."""
        if self.measured is None:
            return NOT_RUN
        if self.target is None:
            return INFO
        return PASS if self.target.met(self.measured) else FAIL

    def as_json(self) -> dict[str, object]:
        """The figure as a JSON object, its result included."""
        return {**asdict(self), "result": self.result}


def amount(value: float | None, unit: str) -> str:
    """A value with its unit, as a reader expects it: ``2.31x``, ``12,034 rows/s``."""
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    if unit in ("ms", "MB", "s"):
        return f"{value:,.1f} {unit}"
    return f"{value:,.0f} {unit}".rstrip()


def target_text(figure: Figure) -> str:
    """The target as written in the table: ``≤ 1.50x``; empty when there is none."""
    if figure.target is None:
        return ""
    return f"{_SHOWN[figure.target.op]} {amount(figure.target.value, figure.unit)}"


def aligned(rows: Sequence[Sequence[str]], right_from: int = 1) -> list[str]:
    """Rows as text columns: the first ``right_from`` columns left-aligned, the rest right."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) if column < right_from else cell.rjust(width)
                      for column, (cell, width) in enumerate(zip(row, widths, strict=True)))
            .rstrip() for row in rows]


def figure_table(figures: Iterable[Figure], notes: bool = True) -> list[str]:
    """The figures as a table: figure, measured, target, result, and (``notes``) the notes
    below."""
    listed = list(figures)
    rows = [("figure", "measured", "target", "result")]
    rows += [(figure.name, amount(figure.measured, figure.unit), target_text(figure),
              figure.result) for figure in listed]
    lines = aligned(rows, right_from=1)
    below = [f"  {figure.name}: {figure.note}" for figure in listed if figure.note and notes]
    return lines + (["", *below] if below else [])


@dataclass
class Section:
    """One part of the run: its figures, the tables printed above them, and the details
    kept in the JSON."""

    name: str
    title: str
    figures: list[Figure]
    lines: list[str]
    details: dict[str, object]

    def text(self) -> list[str]:
        """The section as printed: its title, its tables, then its figures."""
        return [f"== {self.title}", *self.lines, "", *figure_table(self.figures), ""]
