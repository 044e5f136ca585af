"""The scale database: :mod:`tests.scale_data` loaded into a PostgreSQL database of its own.

It is ``<test database>_scale``, next to the one ``IVR_TEST_DATABASE_URL`` names, and is kept
after the session: a later session reuses it when it was built for the same migrations and
the same generator within :data:`REUSE_FOR` (the data is placed around the time it was built,
and the queries read "the last hour", "due now"), and builds it afresh otherwise. The build is
timed and its steps' durations kept, to be reported.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, TextClause, create_engine, make_url, text
from sqlalchemy.engine import URL

from ivr.ops.migrate import MIGRATIONS_DIR, upgrade
from ivr.security.pins import PinHasher
from ivr.settings_production import DEV_PIN_PEPPER
from models import utcnow
from tests import scale_data

REUSE_FOR = timedelta(hours=12)
BUILD_LOCK = 0x5CA1E  # an advisory lock held while one session checks or builds it
# Settings of the loading sessions only (never the server's): no commit waits for the disk,
# and each index build gets memory (two run at once, one a core). Foreign keys are not
# checked row by row (the generator makes them hold); they stay declared.
LOADING = ("SET synchronous_commit = off", "SET maintenance_work_mem = '256MB'",
           "SET max_parallel_maintenance_workers = 0", "SET session_replication_role = replica")
WORKERS = 2  # connections loading and indexing at once: CI's cores


@dataclass
class Build:
    """How the scale database came to be: reused, or built (with each step's seconds)."""

    url: URL
    reused: bool
    built_at: datetime
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """The build's duration; 0 when reused."""
        return sum(self.steps.values())


def scale_url(test_url: str) -> URL:
    """The scale database's URL: the test database's with ``_scale`` added to its name."""
    url = make_url(test_url)
    return url.set(database=f"{url.database}_scale")


def fingerprint() -> str:
    """What the database is built from: the migrations (their head, and what they say), the
    generator and this module."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    migrations = sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    sources = b"".join(path.read_bytes() for path in
                       [*migrations, Path(scale_data.__file__), Path(__file__)])
    return f"{head}:{hashlib.sha256(sources).hexdigest()[:16]}"


def ensure(test_url: str) -> Build:
    """The scale database, reused when fit (see the module), else built now."""
    url = scale_url(test_url)
    admin = create_engine(make_url(test_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": BUILD_LOCK})
            found = _reusable(connection, url.database or "")
            if found is not None:
                return Build(url, reused=True, built_at=found)
            return _build(connection, url)
    finally:
        admin.dispose()


def _reusable(connection: Connection, name: str) -> datetime | None:
    """When the database ``name`` was built, if it is there, complete and fit to reuse."""
    comment = connection.scalar(text(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
        {"name": name})
    if not comment:
        return None
    marker = json.loads(comment)
    built_at = datetime.fromisoformat(marker["built_at"])
    if marker["fingerprint"] != fingerprint() or utcnow() - built_at > REUSE_FOR:
        return None
    return built_at


def _build(admin: Connection, url: URL) -> Build:
    """Create the database afresh, migrate it, load it, index it, analyse it, mark it."""
    name = url.database
    build = Build(url, reused=False, built_at=utcnow())
    started = time.monotonic()
    admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    # The C collation sorts text byte by byte: index builds over millions of keys are several
    # times faster, and no plan of an equality or range lookup depends on it.
    admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 LC_COLLATE "C" '
                       f'LC_CTYPE "C" ENCODING UTF8'))
    engine = create_engine(url, pool_size=WORKERS)
    try:
        upgrade(engine)
        build.steps["create and migrate"] = time.monotonic() - started
        _load(engine, build)
    finally:
        engine.dispose()
    marker = {"fingerprint": fingerprint(), "built_at": build.built_at.isoformat()}
    admin.execute(text(f"COMMENT ON DATABASE \"{name}\" IS '{json.dumps(marker)}'"))
    return build


def _load(engine: Engine, build: Build) -> None:
    """Rows in without their indexes, then the indexes from their own definitions, then stats;
    each step on :data:`WORKERS` connections at once, the largest pieces first."""
    with engine.connect() as connection:
        _unlogged(connection)
        indexes = _drop_indexes(connection)
    values = {"t0": build.built_at, "today": build.built_at.date(),
              "pin_hash": PinHasher(DEV_PIN_PEPPER).hash("1234"),
              "authorization": scale_data.AUTHORIZATION}
    rows = [(text(statement), values | extra)
            for statement, _, extra in sorted(scale_data.ROWS, key=lambda row: -row[1])]
    _timed(build, "rows", lambda: _on_workers(engine, rows))
    _timed(build, "indexes", lambda: _on_workers(engine, [(text(sql), {}) for sql in indexes]))
    with engine.connect() as connection:
        _timed(build, "sequences and analyze", lambda: _analyse(connection))


def _timed(build: Build, step: str, work: Callable[[], None]) -> None:
    started = time.monotonic()
    work()
    build.steps[step] = time.monotonic() - started


def _on_workers(engine: Engine, statements: list[tuple[TextClause, dict[str, Any]]]) -> None:
    """Run ``statements`` (in the order given) on :data:`WORKERS` connections at once, each
    committed on its own."""
    waiting = list(reversed(statements))
    lock = threading.Lock()

    def work() -> None:
        with engine.connect() as connection:
            for setting in LOADING:
                connection.execute(text(setting))
            while True:
                with lock:
                    if not waiting:
                        return
                    statement, values = waiting.pop()
                connection.execute(statement, values)
                connection.commit()

    with ThreadPoolExecutor(WORKERS) as pool:
        for done in [pool.submit(work) for _ in range(WORKERS)]:
            done.result()


def _analyse(connection: Connection) -> None:
    _advance_sequences(connection)
    connection.execute(text("ANALYZE"))
    connection.commit()


def _unlogged(connection: Connection) -> None:
    """Every table unlogged: the load writes no WAL (this database is rebuilt, never restored
    after a crash). The planner costs an unlogged table as any other. A table goes once every
    table whose foreign keys reference it has (a logged table may not reference an unlogged
    one)."""
    references = connection.execute(text(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE c.contype = 'f' AND n.nspname = current_schema()")).all()
    tables = set(connection.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")))
    while tables:
        ready = {table for table in tables
                 if not any(parent == table and child in tables and child != table
                            for child, parent in references)}
        for table in sorted(ready):
            connection.execute(text(f"ALTER TABLE {table} SET UNLOGGED"))
        tables -= ready
    connection.commit()


def _drop_indexes(connection: Connection) -> list[str]:
    """Drop every index but the primary keys foreign keys need (unique constraints and other
    primary keys too); the statements that make them again, as the migrations made them."""
    # Unique constraints, and primary keys no foreign key needs (those stay).
    constraints = connection.execute(text(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = current_schema() AND (c.contype = 'u' OR c.contype = 'p' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' "
        "AND f.confrelid = c.conrelid))")).all()
    indexes = connection.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() AND NOT EXISTS ("
        "SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)")).all()
    again = [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
             for table, name, definition in constraints]
    again += [str(definition) for _, definition in indexes]
    for table, name, _ in constraints:
        connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        connection.execute(text(f"DROP INDEX {name}"))
    connection.commit()
    return again


def _advance_sequences(connection: Connection) -> None:
    """Each serial id's sequence past the ids the generator gave, so new rows get new ids."""
    sequences = connection.execute(text(
        "SELECT t.relname, a.attname, pg_get_serial_sequence(t.relname, a.attname) "
        "FROM pg_class t JOIN pg_attribute a ON a.attrelid = t.oid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() "
        "AND t.relkind = 'r' AND pg_get_serial_sequence(t.relname, a.attname) IS NOT NULL")).all()
    for table, column, sequence in sequences:
        connection.execute(text(
            f"SELECT setval('{sequence}', GREATEST((SELECT max({column}) FROM {table}), 1))"))
