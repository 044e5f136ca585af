"""Account import at bulk speed: batches of a few statements, unchanged accounts left alone,
PINs hashed again only when they changed, the balance written by the ledger, and all or
nothing (counts, never seconds)."""

from __future__ import annotations

import base64
import hashlib
import traceback
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from ivr.db import db
from ivr.ops import accounts_upsert
from ivr.ops.accounts_import import ImportSummary
from ivr.payments import ledger
from ivr.security.pins import PinHasher
from models import Account
from tests.import_helpers import (
    HEADER,
    PINS,
    ROW_A,
    ROW_B,
    accounts,
    count_accounts,
    generated_rows,
    row_versions,
    run_import,
    statements,
)

LEDGER = str(Path(ledger.__file__).resolve())


def writes(seen: list[str]) -> list[str]:
    """The statements among ``seen`` that write accounts."""
    return [s for s in seen if s.startswith(("INSERT INTO accounts", "UPDATE accounts"))]


def reads(seen: list[str]) -> list[str]:
    """The statements among ``seen`` that read accounts' stored values, by account number."""
    return [s for s in seen if s.startswith("SELECT accounts.account_number")]


def test_each_batch_is_one_read_and_the_writes_a_statement_or_two(app: Flask) -> None:
    rows = generated_rows(1000)
    with statements(app) as seen:
        summary = run_import(app, HEADER, *rows, batch_size=100)

    assert summary == ImportSummary(created=1000, updated=0, unchanged=0)
    assert len(reads(seen)) == 10  # one a batch, whatever its size
    postgresql = db.engine(app).dialect.name == "postgresql"
    # PostgreSQL COPYs each batch into a temporary table and upserts them all at once;
    # SQLite runs one executemany a batch.
    assert len(writes(seen)) == (1 if postgresql else 10)
    assert len(seen) <= 10 + 10 + 4  # reads, writes, the temporary table made and dropped


def test_twice_the_rows_twice_the_batches_not_twice_the_statements_a_batch(
        app: Flask) -> None:
    with statements(app) as small:
        run_import(app, HEADER, *generated_rows(300), batch_size=100)
    with statements(app) as large:
        run_import(app, HEADER, *generated_rows(600, pin="1357"), batch_size=100)

    assert len(reads(small)) == 3 and len(reads(large)) == 6


def test_reimporting_unchanged_rows_writes_no_row(app: Flask) -> None:
    rows = generated_rows(250)
    run_import(app, HEADER, *rows, batch_size=100)
    before = row_versions(app)
    hashes = {number: account.pin_hash for number, account in accounts(app).items()}

    with statements(app) as seen:
        summary = run_import(app, HEADER, *rows, batch_size=100)

    assert summary == ImportSummary(created=0, updated=0, unchanged=250)
    assert writes(seen) == [] and len(reads(seen)) == 3
    assert not [s for s in seen if "account_import" in s]  # no temporary table either
    assert row_versions(app) == before  # no row written, not even to the same values
    assert {n: a.pin_hash for n, a in accounts(app).items()} == hashes


def test_only_the_changed_rows_are_written(app: Flask) -> None:
    rows = generated_rows(200)
    run_import(app, HEADER, *rows)
    before = row_versions(app)
    changed = [rows[7].replace("Customer 7", "Customer Seven"), rows[150].replace("2468", "1111")]

    summary = run_import(app, HEADER, *rows[:7], changed[0], *rows[8:150], changed[1],
                         *rows[151:], batch_size=64)

    assert summary == ImportSummary(created=0, updated=2, unchanged=198)
    after = row_versions(app)
    assert {n for n in after if after[n] != before[n]} == {"30000007", "30000150"}
    assert accounts(app)["30000007"].name == "Customer Seven"


def test_a_changed_pin_is_hashed_again_and_an_unchanged_one_kept_byte_for_byte(
        app: Flask) -> None:
    run_import(app, HEADER, ROW_A, ROW_B)
    before = accounts(app)

    summary = run_import(app, HEADER, ROW_A, ROW_B.replace(",5678,", ",8765,"))

    after = accounts(app)
    assert summary == ImportSummary(created=0, updated=1, unchanged=1)
    assert after["10001234"].pin_hash == before["10001234"].pin_hash
    assert after["20005678"].pin_hash != before["20005678"].pin_hash
    assert PINS.verify("8765", after["20005678"].pin_hash)
    assert not PINS.verify("5678", after["20005678"].pin_hash)


def test_a_scrypt_hash_is_replaced_without_being_checked(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    run_import(app, HEADER, ROW_A)
    salt = b"0123456789abcdef"  # Jordan's PIN as versions before the pepper stored it
    digest = hashlib.scrypt(b"1234", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = "$".join(["scrypt", "16384", "8", "1", base64.b64encode(salt).decode(),
                       base64.b64encode(digest).decode()])
    with db.transaction(app) as session:
        session.execute(update(Account).values(pin_hash=legacy))
    assert PINS.verify("1234", accounts(app)["10001234"].pin_hash)

    def no_scrypt(*args: Any, **kwargs: Any) -> bytes:
        raise AssertionError("scrypt costs 30 ms a row: an import never checks one")

    monkeypatch.setattr(hashlib, "scrypt", no_scrypt)
    summary = run_import(app, HEADER, ROW_A)

    stored = accounts(app)["10001234"].pin_hash
    assert summary == ImportSummary(created=0, updated=1, unchanged=0)
    assert PINS.is_current(stored) and PINS.verify("1234", stored)


def test_a_hash_under_an_earlier_pepper_is_replaced_by_one_under_the_current(
        app: Flask) -> None:
    old = PinHasher("an earlier pepper of thirty-two characters")
    run_import(app, HEADER, ROW_A, pins=old)
    rotated = PinHasher("the current pepper, also thirty-two chars", previous=[
        "an earlier pepper of thirty-two characters"])

    summary = run_import(app, HEADER, ROW_A, pins=rotated)

    stored = accounts(app)["10001234"].pin_hash
    assert summary.updated == 1 and rotated.is_current(stored)
    assert rotated.verify("1234", stored) and not old.is_current(stored)


@pytest.mark.parametrize("where", ["while hashing the second batch", "after an upsert"])
def test_a_failure_while_writing_leaves_the_database_untouched(
        app: Flask, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    run_import(app, HEADER, ROW_A)
    before = row_versions(app)
    if where == "after an upsert":  # SQLite's first batch, PostgreSQL's one upsert: written
        real = ledger.bill_many

        def then_fail(*args: Any) -> int:
            real(*args)
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(accounts_upsert.ledger, "bill_many", then_fail)
    else:  # the first batch is written (SQLite) or staged (PostgreSQL)
        real_hash, calls = PinHasher.hash, []

        def flaky_hash(hasher: PinHasher, pin: str) -> str:
            calls.append(pin)
            if len(calls) > 60:
                raise RuntimeError("disk on fire")
            return real_hash(hasher, pin)

        monkeypatch.setattr(PinHasher, "hash", flaky_hash)

    with pytest.raises(RuntimeError, match="disk on fire"):
        run_import(app, HEADER, ROW_A.replace("Jordan", "Jo"), *generated_rows(100),
                   batch_size=50)

    assert count_accounts(app) == 1 and row_versions(app) == before
    assert accounts(app)["10001234"].name == "Jordan Rivera"
    monkeypatch.undo()  # the next import, in a new transaction, works
    assert run_import(app, HEADER, *generated_rows(3)).created == 3


def test_a_language_chosen_while_the_import_runs_is_kept(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import read the account's stored row, then the caller chose Spanish on a call:
    the row written keeps the caller's choice (the file gives no language)."""
    run_import(app, HEADER, ROW_A)
    real = accounts_upsert._stored

    def then_a_caller_chooses(session: Any, numbers: list[str]) -> Any:
        stored = real(session, numbers)
        session.execute(update(Account).values(language="es-US"))
        return stored

    monkeypatch.setattr(accounts_upsert, "_stored", then_a_caller_chooses)
    summary = run_import(app, HEADER, ROW_A.replace("1204.10", "99.00"))

    jordan = accounts(app)["10001234"]
    assert summary.updated == 1
    assert (jordan.balance_cents, jordan.language) == (9900, "es-US")


def test_balances_are_written_only_by_the_ledger(app: Flask) -> None:
    """Money has one owner: every statement that writes an account's balance runs in
    ``ivr/payments/ledger.py``."""
    outside: list[str] = []

    def check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        writes_a_balance = statement.lstrip().startswith(("INSERT", "UPDATE")) \
            and "balance_cents" in statement
        if writes_a_balance and LEDGER not in (f.filename for f in traceback.extract_stack()):
            outside.append(statement.split("\n")[0])

    engine = db.engine(app)
    event.listen(engine, "before_cursor_execute", check)
    try:
        run_import(app, HEADER, ROW_A, ROW_B, batch_size=1)
        run_import(app, HEADER, ROW_A.replace("1204.10", "5.00"), ROW_B, batch_size=1)
    finally:
        event.remove(engine, "before_cursor_execute", check)
    assert accounts(app)["10001234"].balance_cents == 500
    assert outside == []


def test_an_account_that_is_as_imported_when_written_is_not_written(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import read an account as different from the file (another transaction changed
    it since), so it goes to the upsert; the upsert finds it as the file says, and leaves
    it alone (its WHERE: some column IS DISTINCT FROM)."""
    run_import(app, HEADER, ROW_A)
    before = row_versions(app)
    real = accounts_upsert._stored

    def read_before_a_change(session: Any, numbers: list[str]) -> Any:
        return {number: (row[0], row[1], row[2], 1, *row[4:])  # a balance of one cent
                for number, row in real(session, numbers).items()}

    monkeypatch.setattr(accounts_upsert, "_stored", read_before_a_change)
    summary = run_import(app, HEADER, ROW_A)

    assert summary == ImportSummary(created=0, updated=0, unchanged=1)
    assert row_versions(app) == before
