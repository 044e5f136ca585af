"""Scratch databases for a run, and accounts by the thousand made in the database itself.

On PostgreSQL every part of the run gets a database of its own, created on the server the
URL names and dropped at the end (``CREATE DATABASE``: the URL's user needs that right), so
a million accounts never land in a database anyone uses. On SQLite, a file in the run's
temporary folder.

Accounts are copied from the demo account 10001234 (Jordan: PIN 2468, no cards on file) by
one ``INSERT ... SELECT`` over ``generate_series`` (a recursive CTE on SQLite), so the
PIN's hash is whatever the line under test wrote for the demo data, and a million rows take
seconds rather than the hours hashing a million PINs would. Account ``n`` has the number
``60000000 + n`` and the telephone ``+16502`` and ``n`` in six digits, so a caller ID drawn
from ``+1650200XXXX`` is one of the first 10,000 accounts.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, make_url, text

from ivr.app import create_app
from ivr.db import db
from ivr.ops.server import prepare
from ivr.settings_values import normalise_database_url

TODAY = "2026-11-21"  # the day the shipped call scripts are written for
TEMPLATE_ACCOUNT = "10001234"  # Jordan, whose PIN is 2468
PIN = "2468"
FIRST_NUMBER = 60_000_000
BALANCE_CENTS = 100_000_000  # a balance no run of $10.50 payments uses up
CHUNK = 250_000  # accounts per statement: a million in four transactions
# Every setting an in-process line needs here; its log goes where a server's would, but to
# /dev/null, so writing it costs what it costs a server.
LINE_SETTINGS = {"IVR_TODAY": TODAY, "IVR_LOG_FILE": "/dev/null"}


def phone_of(number: int) -> str:
    """The telephone of generated account ``number``."""
    return f"+16502{number:06d}"


def caller_ids(count: int) -> str:
    """A mix's ``from`` pattern drawing from the first ``count`` generated accounts' phones
    (``count`` a power of ten, at most a million)."""
    digits = len(str(count)) - 1
    if count != 10 ** digits or not 1 <= digits <= 6:
        raise ValueError(f"caller IDs come in powers of ten up to a million, not {count}")
    return phone_of(0)[: len(phone_of(0)) - digits] + "X" * digits


@contextlib.contextmanager
def scratch_database(postgres_url: str | None, folder: Path, purpose: str) -> Iterator[str]:
    """An empty database for one part of the run: its URL (PostgreSQL, else SQLite)."""
    if not postgres_url:
        yield f"sqlite:///{folder / f'{purpose}-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"ivr_capacity_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_database_url(postgres_url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(normalise_database_url(postgres_url)).set(database=name) \
            .render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare_line(url: str) -> None:
    """Migrate ``url`` and load the demo accounts, as ``ivr serve`` does on an empty one."""
    app = create_app({"IVR_DATABASE_URL": url, **LINE_SETTINGS})
    prepare(app, load_demo_data=True)
    db.engine(app).dispose()


def _expressions(engine: Engine) -> tuple[list[str], list[str]]:
    """The accounts table's columns (but the key) and, for each, what a copy of the template
    account holds: its own number, telephone and a large balance, the rest the template's."""
    postgres = engine.dialect.name == "postgresql"
    own = {
        "account_number": f"CAST({FIRST_NUMBER} + g.n AS TEXT)",
        "phone_e164": ("'+16502' || lpad(CAST(g.n AS TEXT), 6, '0')" if postgres
                       else "printf('+16502%06d', g.n)"),
        "balance_cents": str(BALANCE_CENTS),
    }
    columns = [column["name"] for column in inspect(engine).get_columns("accounts")
               if column["name"] != "id"]
    return columns, [own.get(column, f"a.{column}") for column in columns]


def add_accounts(url: str, first: int, count: int) -> None:
    """Add generated accounts ``first`` to ``first + count - 1`` (copies of the template),
    then refresh the planner's statistics, as a nightly import would be followed by."""
    engine = create_engine(url)
    columns, values = _expressions(engine)
    postgres = engine.dialect.name == "postgresql"
    series = ("generate_series(CAST(:low AS INTEGER), CAST(:high AS INTEGER)) AS g(n)"
              if postgres else "g")
    recursive = ("" if postgres else
                 "WITH RECURSIVE g(n) AS (SELECT :low UNION ALL SELECT n + 1 FROM g "
                 "WHERE n < :high) ")
    statement = text(
        f"{recursive}INSERT INTO accounts ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM accounts AS a CROSS JOIN {series} "
        f"WHERE a.account_number = '{TEMPLATE_ACCOUNT}'")
    try:
        for low in range(first, first + count, CHUNK):
            high = min(low + CHUNK, first + count) - 1
            with engine.begin() as connection:
                connection.execute(statement, {"low": low, "high": high})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def count_accounts(url: str) -> int:
    """How many accounts ``url`` holds."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM accounts")).scalar_one())
    finally:
        engine.dispose()

