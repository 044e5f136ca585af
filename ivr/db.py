"""The database extension: one engine per app, short transactions per webhook."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, TypeVarTuple

from flask import Flask, current_app
from sqlalchemy import Engine, ExceptionContext, Select, create_engine, event, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from ivr.config import settings_of

log = logging.getLogger(__name__)

# What batch jobs take instead of the app: something that opens a new Session (a sessionmaker).
SessionFactory = Callable[[], Session]
Columns = TypeVarTuple("Columns")
Model = TypeVar("Model")
Value = TypeVar("Value")
# Where a session keeps what :func:`read_once` read (its ``info``), until it writes.
_READS = "ivr.read_once"
# In a pooled connection's ``info``: taken from the pool, no statement answered since.
_UNUSED = "ivr.unused"
# Set (True) on the disconnect error of a pooled connection's first statement: nothing of its
# transaction reached the database (:func:`run_transaction`).
STALE = "ivr_stale_connection"


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


def read_once(session: Session, key: Hashable, read: Callable[[], Value]) -> Value:
    """``read()``, read once for ``session`` under ``key`` while its transaction changes nothing:
    a turn's flow asks for the same account at every guard and every prompt.

    Read again once the session has written (a flush, or an UPDATE, DELETE or INSERT statement),
    read a row afresh under a lock (``populate_existing``, as :func:`locked` and :func:`lock` do)
    or ended a transaction; and while it holds changes not yet flushed, which the next read
    flushes. So a turn hears what it changed, and what a lock it took found.
    """
    reads = session.info.get(_READS)
    if reads is not None and key in reads and not (session.new or session.dirty or session.deleted):
        value: Value = reads[key]
        return value
    value = read()  # may flush first, which forgets every earlier read
    session.info.setdefault(_READS, {})[key] = value
    return value


def _forget_reads(session: Session) -> None:
    session.info.pop(_READS, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_reads_before_writing(execution: ORMExecuteState) -> None:
    """A statement that writes, or reads afresh, makes every remembered read stale."""
    if not execution.is_select or execution.execution_options.get("populate_existing"):
        _forget_reads(execution.session)


@event.listens_for(Session, "after_flush")
def _forget_reads_after_flush(session: Session, _flush_context: Any) -> None:
    _forget_reads(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_reads_at_the_end(session: Session, _transaction: Any) -> None:
    _forget_reads(session)


@contextmanager
def transaction(sessions: SessionFactory) -> Iterator[Session]:
    """A session from ``sessions`` whose work commits together on success, rolls back on error."""
    with sessions() as session, session.begin():
        yield session


def run_transaction(sessions: SessionFactory, work: Callable[[Session], Value]) -> Value:
    """``work(session)`` in a :func:`transaction` of its own; run once more, on a new
    connection, when its first statement found the pooled connection closed (see
    :func:`_mark_stale_connections`).

    Nothing of that first attempt reached the database, so running it again is as safe as
    running it once; ``work`` must do nothing outside the database before its first statement.
    A connection lost later in the transaction is an error, as it was: what was done (a
    gateway asked, rows written then rolled back) may not be done twice.
    """
    try:
        with transaction(sessions) as session:
            return work(session)
    except DBAPIError as error:
        if not getattr(error, STALE, False):
            raise
        log.warning("a pooled database connection had been closed (%s); "
                    "running the transaction again on a new one", type(error.orig).__name__)
    with transaction(sessions) as session:
        return work(session)


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


def _mark_stale_connections(engine: Engine) -> None:
    """Mark the disconnect error of a pooled connection found closed by its first statement
    (:data:`STALE`), for :func:`run_transaction` to run its transaction again.

    Instead of a ping at every checkout (``pool_pre_ping``: a round trip each transaction),
    the transaction's first statement finds a connection PostgreSQL closed (a restart, an
    idle timeout, ``pg_terminate_backend``, a cut network). The pool then drops all its
    connections made before (SQLAlchemy's "optimistic" disconnect handling).
    """

    @event.listens_for(engine, "checkout")
    def _unused(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info[_UNUSED] = True

    @event.listens_for(engine, "after_cursor_execute")
    def _used(connection: Any, *_args: Any) -> None:
        connection.info.pop(_UNUSED, None)

    @event.listens_for(engine, "handle_error")
    def _stale(context: ExceptionContext) -> None:
        connection, error = context.connection, context.sqlalchemy_exception
        if context.is_disconnect and connection is not None and error is not None \
                and not connection.invalidated and connection.info.get(_UNUSED):
            setattr(error, STALE, True)


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on.

    ``hide_parameters``: a database error's message (which gets logged) names the SQL but
    not its values, which may be a caller's keys or a name, number or token.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10}, hide_parameters=True)
        _make_sqlite_transactions_immediate(engine)
        return engine
    engine = create_engine(url, hide_parameters=True)
    _mark_stale_connections(engine)
    return engine


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

    def run(self, work: Callable[[Session], Value], app: Flask | None = None) -> Value:
        """``work(session)`` in a transaction, run again once if its pooled connection had been
        closed (:func:`run_transaction`)."""
        return run_transaction(self.sessions(app), work)


db = Database()
