"""Counting what requests ask of the database: SQL statements, transactions, pool checkouts and
liveness pings, and from them the round trips to the server.

Counts, never seconds: a test keeps a budget of them per kind of turn, so a query added to a
turn's path fails it on any machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class DatabaseCounts:
    """What the database was asked while counting."""

    dialect: str
    statements: list[str] = field(default_factory=list)  # each SQL statement sent, as sent
    transactions: int = 0  # transactions begun
    ends: int = 0  # commits and rollbacks of a begun transaction
    checkouts: int = 0  # connections taken from the pool
    pings: int = 0  # liveness checks of a pooled connection ("pre-ping")

    @property
    def round_trips(self) -> int:
        """Requests to the server, each waiting for its answer: every statement, ping and
        commit or rollback; on PostgreSQL also the BEGIN psycopg sends on its own before a
        transaction's first statement (SQLite's BEGIN IMMEDIATE is one of the statements)."""
        begins = self.transactions if self.dialect == "postgresql" else 0
        return len(self.statements) + self.pings + self.ends + begins

    def summary(self) -> str:
        """The counts and the statements, one a line, for a failure message."""
        listed = "\n".join(f"  {' '.join(sql.split())[:160]}" for sql in self.statements)
        return (f"{len(self.statements)} statements, {self.round_trips} round trips, "
                f"{self.transactions} transactions, {self.checkouts} checkouts, "
                f"{self.pings} pings:\n{listed}")


@contextmanager
def counting(engine: Engine) -> Iterator[DatabaseCounts]:
    """Count what ``engine`` is asked inside the ``with`` block."""
    counts = DatabaseCounts(engine.dialect.name)

    def statement(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        counts.statements.append(sql)

    def begin(conn: Any) -> None:
        counts.transactions += 1

    def end(conn: Any) -> None:
        counts.ends += 1

    def checkout(*args: Any) -> None:
        counts.checkouts += 1

    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        counts.pings += 1
        return ping(dbapi_connection)

    listeners: list[tuple[Any, str, Callable[..., Any]]] = [
        (engine, "before_cursor_execute", statement), (engine, "begin", begin),
        (engine, "commit", end), (engine, "rollback", end), (engine.pool, "checkout", checkout)]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    # The pool pings through its dialect's do_ping; counted there, as no event reports it.
    engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        del engine.dialect.do_ping
        for target, name, listener in listeners:
            event.remove(target, name, listener)
