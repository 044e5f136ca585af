"""Writing checked account rows in batches, and only the accounts that change.

Each batch reads what is stored of its accounts in one query, by account number. A PIN is
hashed again only when it changed: a stored hash under the current pepper that the imported
PIN verifies (HMAC, microseconds) is kept; any other (a new account, a changed PIN, a hash
under an earlier pepper or the scrypt of earlier versions, never verified here: 30 ms each)
is replaced by a new hash of the imported PIN. A row identical to what is stored is counted
as unchanged and goes no further. The rest go to the ledger's upsert (:func:`ledger.bill_many`,
which owns the balance column and writes only accounts where a column differs): on
PostgreSQL, COPYed into a temporary table, then one ``INSERT ... SELECT ... ON CONFLICT``;
on SQLite, one executemany of ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol, cast

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ivr.ops.accounts_csv import AccountRow
from ivr.payments import ledger
from ivr.security.pins import PinHasher
from models import Account, utcnow

BATCH_SIZE = 5000  # rows a batch: one query reads them, one statement (or COPY) writes them
ACCOUNTS = cast(Table, Account.__table__)
# What a row sets, in this order: the account number, then the columns compared with it.
COMPARED = ("name", "phone_e164", "pin_hash", "balance_cents", "due_date", "billing_zip",
            "language")
WRITTEN = ("account_number", *COMPARED)
Staged = tuple[Any, ...]  # WRITTEN's values; language None: the file gave none
_STAGING = "account_import"
_ANALYZE_AFTER = 10_000  # accounts written on PostgreSQL that are worth an ANALYZE


@dataclass(frozen=True)
class ImportSummary:
    """How many accounts an import created, updated, and found as they were."""

    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        """Accounts in the file."""
        return self.created + self.updated + self.unchanged


class _Writer(Protocol):
    pending: bool  # rows staged that finish() writes

    def stage(self, rows: Sequence[Staged]) -> None: ...
    def finish(self) -> int: ...  # accounts written


class AccountWriter:
    """Creates or updates the account of each row, in batches of ``batch_size``.

    A new account without a language takes ``default_language``; an existing one keeps its
    own. :meth:`write` goes through the rows; :meth:`finish` writes what is still staged
    (:attr:`pending`: PostgreSQL's one upsert) and counts.
    """

    def __init__(self, session: Session, pins: PinHasher, default_language: str,
                 batch_size: int = BATCH_SIZE) -> None:
        self.session = session
        self.pins = pins
        self.batch_size = batch_size
        self.writer = _writer(session, default_language)
        self.created = self.unchanged = self.done = 0

    @property
    def pending(self) -> bool:
        """Whether :meth:`finish` has rows to write."""
        return self.writer.pending

    def write(self, rows: Iterable[AccountRow],
              on_rows: Callable[[int], None] = lambda _: None) -> None:
        """Read what is stored, batch by batch, and stage the rows that change something;
        ``on_rows`` is told how many rows are done after each batch."""
        rows = iter(rows)
        while batch := list(islice(rows, self.batch_size)):
            stored = _stored(self.session, [row.account_number for row in batch])
            staged: list[Staged] = []
            for row in batch:
                old = stored.get(row.account_number)
                new = _staged(row, old, self.pins)
                if old is None:
                    self.created += 1
                elif _unchanged(new, old):
                    self.unchanged += 1
                    continue
                staged.append(new)
            self.writer.stage(staged)
            self.done += len(batch)
            on_rows(self.done)

    def finish(self) -> ImportSummary:
        """Write what is staged; how many accounts were created, updated, left as they were."""
        written = self.writer.finish()
        return ImportSummary(created=self.created, updated=written - self.created,
                             unchanged=self.done - written)


def _staged(row: AccountRow, old: Staged | None, pins: PinHasher) -> Staged:
    """The values to write for ``row``, given what is stored (COMPARED's values, or None)."""
    pin_hash = old[2] if old is not None else None
    if pin_hash is None or not (pins.is_current(pin_hash) and pins.verify(row.pin, pin_hash)):
        pin_hash = pins.hash(row.pin)
    return (row.account_number, row.name, row.phone_e164, pin_hash, row.balance_cents,
            row.due_date, row.billing_zip, row.language)


def _unchanged(new: Staged, old: Staged) -> bool:
    """Whether writing ``new`` (WRITTEN's values) would leave ``old`` (COMPARED's) as it is:
    every column equal, the language too unless the file gave none."""
    return new[1:-1] == old[:-1] and new[-1] in (None, old[-1])


def _stored(session: Session, numbers: list[str]) -> dict[str, Staged]:
    """COMPARED's stored values of the accounts among ``numbers``, by account number."""
    number = ACCOUNTS.c.account_number
    columns = select(*(ACCOUNTS.c[name] for name in WRITTEN))
    if session.get_bind().dialect.name != "postgresql":
        return {row[0]: tuple(row[1:])
                for row in session.execute(columns.where(number.in_(numbers)))}
    # One array parameter: psycopg would take seconds to parse a query with 5,000. Its rows
    # are read from psycopg's cursor, as it made them: SQLAlchemy has nothing to convert in
    # these columns' types, and its rows would cost more than the rest of the reading.
    found = number == any_(bindparam("numbers", numbers, postgresql.ARRAY(String)))
    with session.connection().execute(columns.where(found)) as result:
        return {row[0]: row[1:] for row in result.cursor.fetchall()}


def _writer(session: Session, default_language: str) -> _Writer:
    if session.get_bind().dialect.name == "postgresql":
        return _CopyWriter(session, default_language)
    return _ExecutemanyWriter(session, default_language)


class _ExecutemanyWriter:
    """SQLite: each batch is one executemany of the ledger's upsert."""

    def __init__(self, session: Session, default_language: str) -> None:
        self.session = session
        self.default_language = default_language
        now = utcnow()
        self.insert = sqlite.insert(ACCOUNTS).values(failed_pin_attempts=0, created_at=now,
                                                     updated_at=now)
        excluded = self.insert.excluded
        self.update: dict[str, Any] = {name: excluded[name] for name in COMPARED}
        # The file's language, or the account's own when it gave none.
        self.update["language"] = func.coalesce(bindparam("language_given", type_=String),
                                                ACCOUNTS.c.language)
        self.written = 0
        self.pending = False  # each batch is written as it comes

    def stage(self, rows: Sequence[Staged]) -> None:
        if not rows:
            return
        params = [dict(zip(WRITTEN, row, strict=True)) for row in rows]
        for values in params:
            values["language_given"] = values["language"]
            values["language"] = values["language"] or self.default_language
        self.written += ledger.bill_many(self.session, self.insert, self.update, params)

    def finish(self) -> int:
        return self.written


class _CopyWriter:
    """PostgreSQL: each batch is COPYed into a temporary table; one upsert writes them all.

    The table is made when a first row is to be written: an import that changes nothing
    makes none, and writes nothing.
    """

    def __init__(self, session: Session, default_language: str) -> None:
        self.session = session
        self.default_language = default_language
        # The accounts' own column types, and no constraint but one row an account.
        self.staging = Table(
            _STAGING, MetaData(),
            *(Column(name, ACCOUNTS.c[name].type, primary_key=name == "account_number")
              for name in WRITTEN),
            prefixes=["TEMPORARY"], postgresql_on_commit="DROP")
        self.pending = False  # the table made, rows in it

    def stage(self, rows: Sequence[Staged]) -> None:
        if not rows:
            return
        connection = self.session.connection()
        if not self.pending:
            self.staging.drop(connection, checkfirst=True)  # one a transaction: imported twice
            self.staging.create(connection)
            self.pending = True
        driver = connection.connection.driver_connection
        with (driver.cursor() as cursor,  # type: ignore[union-attr]
              cursor.copy(f"COPY {_STAGING} ({', '.join(WRITTEN)}) FROM STDIN") as copy):
            for row in rows:
                copy.write_row(row)

    def finish(self) -> int:
        if not self.pending:
            return 0
        written = ledger.bill_many(self.session, *self._upsert())
        connection = self.session.connection()
        self.staging.drop(connection)
        self.pending = False
        if written >= _ANALYZE_AFTER:
            # As after any bulk load: the planner learns the table's new size, or it may
            # scan all of it where an index would find one account.
            connection.execute(text("ANALYZE accounts"))
        return written

    def _upsert(self) -> tuple[postgresql.Insert, dict[str, Any]]:
        """The INSERT of the staged rows, and what it sets in an account already there."""
        staged = self.staging.c
        now = utcnow()
        source = select(*(staged[name] for name in WRITTEN[:-1]),
                        func.coalesce(staged.language, self.default_language),
                        literal(0), literal(now, ACCOUNTS.c.created_at.type),
                        literal(now, ACCOUNTS.c.updated_at.type))
        insert = postgresql.insert(ACCOUNTS).from_select(
            [*WRITTEN, "failed_pin_attempts", "created_at", "updated_at"], source)
        update: dict[str, Any] = {name: insert.excluded[name] for name in COMPARED}
        # The file's language, or the account's own as it is when written (not as read).
        # The row proposed: named as text, or SQLAlchemy would add "excluded" to the FROM.
        proposed: ColumnElement[str] = literal_column("excluded.account_number")
        update["language"] = func.coalesce(
            select(staged.language).where(staged.account_number == proposed).scalar_subquery(),
            ACCOUNTS.c.language)
        return insert, update
