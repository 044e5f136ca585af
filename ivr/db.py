"""The database extension: one engine per app, short transactions per webhook."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, TypeVarTuple

from flask import Flask, current_app
from sqlalchemy import BindParameter, Engine, Select, create_engine, event, func, literal, select
from sqlalchemy.orm import Session, sessionmaker

from ivr.config import settings_of

# What batch jobs take instead of the app: something that opens a new Session (a sessionmaker).
SessionFactory = Callable[[], Session]
Columns = TypeVarTuple("Columns")
Model = TypeVar("Model")


def locked(statement: Select[*Columns],
           skip_locked: bool = False) -> Select[*Columns]:
    """``statement`` as a locking read (SELECT ... FOR UPDATE) that also refreshes what it reads.

    A session hands back the object it already holds for a row, as it was first read: a
    FOR UPDATE alone locks the row but leaves that object's status or balance as it was
    before another transaction changed and committed it. ``populate_existing`` overwrites
    the object with the row just locked. (Pending changes are flushed before the read.)
    """
    return (statement.with_for_update(skip_locked=skip_locked)
            .execution_options(populate_existing=True))


def inline(value: str) -> BindParameter[str]:
    """``value`` written into the SQL instead of sent as a parameter, for a constant a partial
    index's predicate or the planner's statistics must see: a plan PostgreSQL makes once for
    any parameters (a generic plan, for a statement psycopg has prepared) cannot use an index
    for ``status IN ('processing', 'unknown')`` when the statuses are parameters, and guesses
    them common."""
    return literal(value, literal_execute=True)


def lock(session: Session, model: type[Model], ident: int) -> Model:
    """The row of ``model`` with primary key ``ident``, locked and read afresh (see
    :func:`locked`); raises when there is none."""
    return session.get_one(model, ident, with_for_update=True, populate_existing=True)


def serialise(session: Session, namespace: int, key: int) -> None:
    """Wait until no other transaction holds ``(namespace, key)``, then hold it to this
    transaction's end: work under it runs one transaction at a time, with no row locked.

    On PostgreSQL, a transaction-level advisory lock (released at commit or rollback, after
    the commit is visible, so the next holder reads what this one wrote). SQLite needs
    nothing: every write transaction there begins IMMEDIATE and runs alone.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(namespace, key)))


@contextmanager
def transaction(sessions: SessionFactory) -> Iterator[Session]:
    """A session from ``sessions`` whose work commits together on success, rolls back on error."""
    with sessions() as session, session.begin():
        yield session


def _make_sqlite_transactions_immediate(engine: Engine) -> None:
    """Take SQLite's write lock at BEGIN, so two workers never both read-then-write.

    pysqlite otherwise defers BEGIN until the first write, which turns a
    concurrent redelivery into "database is locked" instead of a clean wait.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # A deleted row (a card that was being keyed, encrypted) is overwritten with zeros
        # in the database file, not left in a free page until reused.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on.

    ``hide_parameters``: a database error's message (which gets logged) names the SQL but
    not its values, which may be a caller's keys or a name, number or token.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10}, hide_parameters=True)
        _make_sqlite_transactions_immediate(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class Database:
    """Flask extension holding the engine and a session factory."""

    def init_app(self, app: Flask, url: str | None = None) -> None:
        """Create the engine from ``url`` (the app's ``IVR_DATABASE_URL``); register on ``app``."""
        engine = make_engine(url or settings_of(app).database_url)
        app.extensions["ivr_db"] = sessionmaker(engine, expire_on_commit=False)
        app.extensions["ivr_engine"] = engine

    @staticmethod
    def engine(app: Flask | None = None) -> Engine:
        """The current app's engine."""
        return (app or current_app).extensions["ivr_engine"]

    @staticmethod
    def sessions(app: Flask | None = None) -> sessionmaker[Session]:
        """The current app's session factory, for batch jobs (see :data:`SessionFactory`)."""
        factory: sessionmaker[Session] = (app or current_app).extensions["ivr_db"]
        return factory

    @contextmanager
    def transaction(self, app: Flask | None = None) -> Iterator[Session]:
        """A session whose work commits together on success and rolls back on error."""
        with transaction(self.sessions(app)) as session:
            yield session


db = Database()
