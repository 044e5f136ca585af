"""Import billing accounts from a CSV file: check every row, then upsert them in batches.

One bad row aborts the whole import. The file is read twice, one row at a time (memory
does not grow with it, but for the account numbers seen): first every row is checked
(:mod:`ivr.ops.accounts_csv`), before anything is written; then the rows are written in
batches (:mod:`ivr.ops.accounts_upsert`), only the accounts that change, and a PIN hashed
again only when it changed. The caller's transaction is the guarantee that a failure while
writing leaves the database untouched too.

The optional ``language`` column names the prompt catalog of the account's calls and
texts (``en-US``, ``es-US``). Left empty (or absent), a new account takes the line's
language and an existing one keeps its own: a caller's choice on the line is not undone
by the next import of the billing file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from sqlalchemy.orm import Session

from flows.speech import DEFAULT_LANGUAGE
from ivr.ops.accounts_csv import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    check_rows,
    parse_balance,
    parse_cents,
    parse_iso_date,
    read_rows,
)
from ivr.ops.accounts_upsert import BATCH_SIZE, AccountWriter, ImportSummary
from ivr.ops.csv_source import CsvSource, TwoReadings
from ivr.security.pins import PinHasher

__all__ = ["BATCH_SIZE", "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "ImportSummary", "Progress",
           "import_accounts", "no_progress", "parse_balance", "parse_cents", "parse_iso_date"]

CHECKING = "Checking"  # the stage of the first reading
IMPORTING = "Importing"  # of the second
WRITING = "Writing"  # of PostgreSQL's one upsert of the rows that change
_REPORT_EVERY = 1000  # rows between two reports of progress while checking

# Told how far a stage has gone: rows done, and the position in the stage's total.
Advance = Callable[[int, int], None]


class Progress(Protocol):
    """Shows how an import goes: a stage is opened with its label and total (the file's
    size in bytes while checking, when known; the rows while importing)."""

    def __call__(self, label: str, total: int | None) -> AbstractContextManager[Advance]: ...


@contextmanager
def no_progress(label: str, total: int | None) -> Iterator[Advance]:
    """Shows nothing."""
    yield lambda rows, position: None


def import_accounts(session: Session, source: CsvSource, pins: PinHasher,
                    default_language: str = DEFAULT_LANGUAGE, *,
                    batch_size: int = BATCH_SIZE, progress: Progress = no_progress
                    ) -> ImportSummary:
    """Check every row of an accounts CSV, then create or update each account.

    ``source`` is a path (read as UTF-8), or the CSV's lines: a file, a list, any iterable
    (one that can be read only once is copied to a temporary file, see
    :mod:`ivr.ops.csv_source`). Raises ImportRowError for the first invalid row, before
    writing anything. PINs are hashed by ``pins`` (the line's, ``IVR_PIN_PEPPER``). A new
    account without a language takes ``default_language`` (the line's, ``IVR_LANGUAGE``).
    """
    with TwoReadings(source) as readings:
        with progress(CHECKING, readings.size) as advance:
            def checked(rows: int) -> None:
                if rows % _REPORT_EVERY == 0:
                    advance(rows, readings.position)

            count = check_rows(readings.first(), checked)
            advance(count, readings.size or readings.position)
        writer = AccountWriter(session, pins, default_language, batch_size)
        with progress(IMPORTING, count) as advance:
            try:
                writer.write(read_rows(readings.again()), lambda rows: advance(rows, rows))
            finally:  # a row the check did not see: say why (nothing is committed yet)
                readings.check_unchanged()
    if not writer.pending:
        return writer.finish()
    with progress(WRITING, None) as advance:
        summary = writer.finish()
        advance(summary.created + summary.updated, 0)
    return summary
