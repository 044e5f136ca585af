"""The batch jobs' reads: a queue of rows read a slice at a time, never the whole at once.

A job over a large line (a million accounts, ten million payments) may have thousands of
rows to work through: every pending bank debit, every AutoPay due. Each query reads at most
:data:`BATCH` rows, in the order of an index, starting after the last row the previous one
read (keyset pagination): a row the job left as it was (a gateway that did not answer) is
not read again in the same run, and no query's cost grows with the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVarTuple

from sqlalchemy import Row, Select

from ivr.db import SessionFactory, transaction

BATCH = 500  # rows one query reads at most

Columns = TypeVarTuple("Columns")


def each_row(sessions: SessionFactory,
             batch: Callable[[Row[*Columns] | None], Select[*Columns]],
             size: int = BATCH) -> Iterator[Row[*Columns]]:
    """Every row selected by ``batch(after)``, the rows after ``after`` (the last row of the
    batch before; None for the first), ``size`` at a time (``batch`` limits itself to that).
    Each batch is read in a short transaction of its own, over before its rows are worked on.
    """
    after: Row[*Columns] | None = None
    while True:
        with transaction(sessions) as session:
            rows = session.execute(batch(after)).all()
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1]
