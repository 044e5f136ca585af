"""A progress bar for a long command, on standard error, drawn only on a terminal.

Under cron, in a pipe or in a test there is no terminal: nothing is drawn, and the
command's output is its one summary line as ever.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import click

_REDRAW_SECONDS = 0.2  # at most five frames a second: a terminal is slow to write to


class TerminalProgress:
    """``label [#####-----]  42%  420,000 rows  35,012 rows/s  ETA 0:00:12`` for each stage.

    ``file`` is standard error unless given; ``clock`` a monotonic clock in seconds. It is
    an :class:`ivr.ops.accounts_import.Progress`.
    """

    def __init__(self, file: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.file = file or sys.stderr
        self.clock = clock

    @contextmanager
    def __call__(self, label: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
        """A stage: yields ``advance(rows, position)``, ``position`` counted in ``total``."""
        stage = _Stage(total, self.clock)
        bar = click.progressbar(
            # A stage of unknown size bounces to and fro, and ends when the stage does.
            itertools.repeat(None) if total is None else None, length=total, label=label,
            file=self.file, hidden=not _is_terminal(self.file), show_eta=False,
            show_percent=total is not None, item_show_func=lambda _item: stage.info(),
            width=24)
        with bar:
            def advance(rows: int, position: int) -> None:
                steps = stage.advance(rows, position)
                if steps is not None:
                    bar.update(steps)

            yield advance


class _Stage:
    """Rows and position of a stage as last drawn, and when."""

    def __init__(self, total: int | None, clock: Callable[[], float]) -> None:
        self.total = total
        self.clock = clock
        self.started = self.drawn = clock()
        self.rows = self.position = 0

    def advance(self, rows: int, position: int) -> int | None:
        """The steps to move the bar by, or None when it was drawn a moment ago."""
        now = self.clock()
        last = self.total is not None and position >= self.total
        if now - self.drawn < _REDRAW_SECONDS and not last:
            return None
        steps = position - self.position
        self.rows, self.position, self.drawn = rows, position, now
        return steps

    def info(self) -> str:
        """``420,000 rows  35,012 rows/s  ETA 0:00:12`` (the ETA when the total is known)."""
        if not self.rows and self.total is None:
            return ""  # nothing to count yet, nor an end to count to
        seconds = self.clock() - self.started
        parts = [f"{self.rows:,} rows"]
        if seconds > 0 and self.rows:
            parts.append(f"{self.rows / seconds:,.0f} rows/s")
            if self.total and 0 < self.position < self.total:
                left = round(seconds * (self.total - self.position) / self.position)
                parts.append(f"ETA {left // 3600}:{left // 60 % 60:02}:{left % 60:02}")
        return "  ".join(parts)


def _is_terminal(file: TextIO) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):  # no such method, or closed
        return False

