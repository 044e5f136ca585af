"""Reading an accounts CSV twice in constant memory, whatever the caller hands in."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from ivr.db import db
from ivr.ops.accounts_import import ImportSummary, import_accounts
from ivr.ops.csv_source import TwoReadings
from tests.import_helpers import (
    HEADER,
    PINS,
    ROW_A,
    ROW_B,
    accounts,
    count_accounts,
    generated_rows,
)

LINES = [HEADER + "\n", ROW_A + "\n", ROW_B + "\n"]


def both_readings(source: Path | Iterable[str]) -> tuple[list[str], list[str]]:
    """The lines of the first reading of ``source``, then of the second."""
    with TwoReadings(source) as readings:
        return list(readings.first()), list(readings.again())


def test_a_path_is_opened_again_and_its_byte_order_mark_dropped(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("\ufeff" + "".join(LINES), encoding="utf-8")

    assert both_readings(path) == (LINES, LINES)
    with TwoReadings(path) as readings:
        assert readings.size == path.stat().st_size
        lines = readings.first()
        next(lines)
        assert 0 < readings.position <= readings.size  # how far the first reading is


def test_a_seekable_file_is_read_again_from_where_it_was(tmp_path: Path) -> None:
    text = io.StringIO("a preamble the caller read past\n" + "".join(LINES))
    text.readline()

    assert both_readings(text) == (LINES, LINES)


def test_a_list_is_iterated_again() -> None:
    assert both_readings(LINES) == (LINES, LINES)


def test_an_iterator_read_once_is_copied_as_it_goes_line_for_line() -> None:
    # Lines given without their newline stay apart; a quoted field may span lines.
    lines = [HEADER, '10001234,"Jordan', 'Rivera",,1234,1.00,2026-12-05,', ROW_B]

    assert both_readings(iter(lines)) == (lines, lines)


def test_an_import_reads_an_iterator_once(app: Flask) -> None:
    taken: list[str] = []

    def lines() -> Iterator[str]:
        for line in LINES:
            taken.append(line)
            yield line

    with db.transaction(app) as session:
        summary = import_accounts(session, lines(), PINS)

    assert summary == ImportSummary(created=2, updated=0, unchanged=0)
    assert taken == LINES  # not asked for again
    assert accounts(app)["20005678"].balance_cents == 8910


@pytest.mark.parametrize("row", ["30000999,Not Checked,,12,x,y,",
                                 "30000001,Twice,,1234,1.00,2026-12-05,"])
@pytest.mark.parametrize("when", ["before the second reading", "during it"])
def test_a_file_written_to_while_it_is_imported_imports_nothing(
        app: Flask, tmp_path: Path, when: str, row: str) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join([HEADER, *generated_rows(300)]) + "\n")

    def append() -> None:
        with path.open("a") as f:
            f.write(row + "\n")

    @contextmanager
    def meddling(label: str, total: int | None) -> Iterator[Callable[[int, int], None]]:
        def advance(rows: int, position: int) -> None:
            if label == "Importing" and rows == 100 and when == "during it":
                append()

        if label == "Importing" and when == "before the second reading":
            append()
        yield advance

    with pytest.raises(OSError, match="changed while"), db.transaction(app) as session:
        import_accounts(session, path, PINS, batch_size=100, progress=meddling)
    assert count_accounts(app) == 0


def peak_bytes(app: Flask, path: Path) -> int:
    """The most memory Python allocated at once while importing ``path``."""
    tracemalloc.start()
    try:
        with db.transaction(app) as session:
            import_accounts(session, path, PINS, batch_size=500)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_file_but_for_the_numbers_seen(
        app: Flask, tmp_path: Path) -> None:
    """Four times the rows: the peak grows by the account numbers seen (about 120 bytes
    each), not by the rows (an account object of the ORM is several kilobytes)."""
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    small.write_text("\n".join([HEADER, *generated_rows(3000)]) + "\n")
    large.write_text("\n".join([HEADER, *generated_rows(12000, pin="1357")]) + "\n")
    peak_bytes(app, small)  # the first import warms caches (compiled statements, regexes)

    growth = peak_bytes(app, large) - peak_bytes(app, small)

    assert growth < 9000 * 300, f"{growth:,} bytes more for 9,000 more rows"
