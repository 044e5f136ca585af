"""The audit trail for operators: its CSV export, unlocking accounts, and audited commands."""

from __future__ import annotations

import csv
import io
import socket
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, select

from ivr.cli import audit as cli_audit
from ivr.cli import payments as cli_payments
from ivr.db import db
from ivr.ops.exports import AUDIT_COLUMNS, export_audit_csv
from ivr.security.audit import operator_origin, record
from models import Account, AuditEvent, utcnow
from tests.export_helpers import export as export_rows
from tests.schedule_helpers import JORDAN, SAM, make_accounts

HOST = "ops-box-7.example"
T0 = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
Row = tuple[str, str, str, int | None, str | None, str | None]


@pytest.fixture
def hostname(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pretend this machine is called ``HOST``."""
    monkeypatch.setattr(socket, "gethostname", lambda: HOST)
    return HOST


def add_event(app: Flask, at: datetime, action: str, account_id: int | None = None,
              detail: str | None = None, origin: str | None = None) -> None:
    """Write one audit event with a chosen time."""
    with db.transaction(app) as session:
        event = record(session, "caller:+14155550100", action, "ok", account_id=account_id,
                       origin=origin, detail=detail)
        event.at = at


def events(app: Flask) -> list[Row]:
    """Every audit event in the order written: (actor, action, outcome, account, origin, detail)."""
    with db.transaction(app) as session:
        rows = session.execute(select(
            AuditEvent.actor, AuditEvent.action, AuditEvent.outcome, AuditEvent.account_id,
            AuditEvent.origin, AuditEvent.detail).order_by(AuditEvent.id)).all()
        return list(rows)


def export(app: Flask, since: date | None = None) -> list[dict[str, str]]:
    """Run the audit export and parse it back with the csv module."""
    return export_rows(app, partial(export_audit_csv, since=since), AUDIT_COLUMNS)


def test_audit_export_orders_by_time_and_names_the_account(app: Flask) -> None:
    ids = make_accounts(app)
    add_event(app, T0 + timedelta(hours=2), "payment", ids[SAM], "approved 12.50", "CA2")
    add_event(app, T0, "pin", ids[JORDAN], origin="CA1")
    add_event(app, T0 + timedelta(hours=1), "lookup", detail='said "hi", then\nhung up')
    add_event(app, T0, "tie", ids[SAM])  # same time as "pin": written later, listed later

    rows = export(app)

    assert [r["action"] for r in rows] == ["pin", "tie", "lookup", "payment"]
    assert rows[0] == {"at": "2026-11-01T00:00:00+00:00", "actor": "caller:+14155550100",
                       "action": "pin", "outcome": "ok", "account_number": JORDAN,
                       "origin": "CA1", "detail": ""}
    assert (rows[2]["account_number"], rows[2]["origin"]) == ("", "")
    assert rows[2]["detail"] == 'said "hi", then\nhung up'
    assert (rows[3]["account_number"], rows[3]["detail"]) == (SAM, "approved 12.50")


def test_audit_export_since_starts_at_midnight_utc(app: Flask) -> None:
    for at, action in [(T0 - timedelta(seconds=1), "before"), (T0, "midnight"),
                       (T0 + timedelta(days=1, hours=23), "later")]:
        add_event(app, at, action)

    assert [r["action"] for r in export(app, date(2026, 11, 1))] == ["midnight", "later"]
    assert [r["action"] for r in export(app, date(2026, 11, 2))] == ["later"]
    assert export(app, date(2026, 11, 3)) == []
    assert len(export(app)) == 3


def test_audit_export_empty_has_header(app: Flask) -> None:
    out = io.StringIO()
    with db.transaction(app) as session:
        assert export_audit_csv(session, out) == 0
    assert out.getvalue().strip() == ",".join(AUDIT_COLUMNS)


def test_audit_export_streams_more_rows_than_one_batch(app: Flask) -> None:
    with db.transaction(app) as session:
        session.execute(insert(AuditEvent), [
            {"at": T0 + timedelta(seconds=1203 - i), "actor": "operator", "action": f"a{i}",
             "outcome": "ok"} for i in range(1203)])

    rows = export(app)

    assert [r["action"] for r in rows] == [f"a{i}" for i in reversed(range(1203))]


def test_audit_export_never_holds_a_pin(app: Flask, runner: FlaskCliRunner,
                                        tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("account_number,name,phone,pin,balance,due_date,zip\n"
                    "10001234,Jordan Rivera,,8642,1.00,2026-12-05,\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("account_number,name,phone,pin,balance,due_date,zip\n"
                   "10001234,Jordan Rivera,,97531,1.00,2026-12-05,\n", encoding="utf-8")
    for args in (["accounts", "import", str(path)], ["accounts", "import", str(bad)],
                 ["accounts", "unlock", JORDAN], ["accounts", "export"]):
        runner.invoke(args=args)

    result = runner.invoke(args=["audit", "export"])

    assert result.exit_code == 0, result.output
    assert len(list(csv.DictReader(io.StringIO(result.stdout)))) == 5
    with db.transaction(app) as session:
        pin_hash = session.scalars(select(Account.pin_hash)).one()
    assert "8642" not in result.stdout and "97531" not in result.stdout
    assert pin_hash not in result.stdout


def test_audit_export_command_since_and_file(app: Flask, runner: FlaskCliRunner,
                                             tmp_path: Path) -> None:
    add_event(app, T0 - timedelta(days=1), "old")
    add_event(app, T0, "new")
    out = tmp_path / "audit.csv"

    result = runner.invoke(args=["audit", "export", "--format", "csv", "--since", "2026-11-01",
                                 "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("", f"Exported 1 events to {out}\n")
    with out.open(newline="", encoding="utf-8") as f:
        assert [r["action"] for r in csv.DictReader(f)] == ["new"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_audit_export_rejects_a_malformed_since(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["audit", "export", "--since", "2026-11-1"])

    assert result.exit_code == 2
    assert result.stderr == 'error: --since: "2026-11-1" is not a date in the form YYYY-MM-DD\n'
    assert events(app) == []  # a usage error: the command never ran


def lock(app: Flask, number: str, until: datetime | None, failures: int) -> int:
    """Set an account's lockout fields; return its id."""
    with db.transaction(app) as session:
        account = session.scalars(select(Account).where(Account.account_number == number)).one()
        account.locked_until, account.failed_pin_attempts = until, failures
        account.pin_failure_window_start = utcnow() - timedelta(minutes=5)
        return account.id


def lockout(app: Flask, number: str) -> tuple[datetime | None, int, datetime | None]:
    """An account's (locked_until, failed_pin_attempts, pin_failure_window_start)."""
    with db.transaction(app) as session:
        account = session.scalars(select(Account).where(Account.account_number == number)).one()
        return account.locked_until, account.failed_pin_attempts, account.pin_failure_window_start


@pytest.mark.parametrize(("until", "outcome", "message"), [
    (timedelta(minutes=30), "unlocked", "Unlocked account ending 1234"),
    (None, "not_locked", "Account ending 1234 was not locked"),
    (timedelta(minutes=-1), "not_locked", "Account ending 1234 was not locked"),  # expired
])
def test_accounts_unlock(app: Flask, runner: FlaskCliRunner, hostname: str,
                         until: timedelta | None, outcome: str, message: str) -> None:
    make_accounts(app)
    account_id = lock(app, JORDAN, utcnow() + until if until else None, 2)
    other_id = lock(app, SAM, utcnow() + timedelta(minutes=30), 1)

    result = runner.invoke(args=["accounts", "unlock", JORDAN])

    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == (message + "\n", "")
    assert lockout(app, JORDAN) == (None, 0, None)
    assert lockout(app, SAM)[1] == 1 and other_id != account_id
    assert events(app) == [
        ("operator", "unlock", outcome, account_id, hostname, "account ending 1234"),
        ("operator", "command:accounts unlock", "ok", None, hostname, message)]


def test_accounts_unlock_unknown_account(app: Flask, runner: FlaskCliRunner,
                                         hostname: str) -> None:
    make_accounts(app)

    result = runner.invoke(args=["accounts", "unlock", "99999"])

    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("", "error: no account 99999\n")
    assert events(app) == [
        ("operator", "command:accounts unlock", "error", None, hostname, "no account 99999")]


GOOD = ("account_number,name,phone,pin,balance,due_date,zip\n"
        "10001234,Jordan Rivera,(415) 555-0100,1234,120.45,2026-12-05,94105\n")

# Each operator command, as run on the demo data, and the summary its audit event keeps.
COMMANDS = [
    ("db upgrade", [], "schema up to date"),
    ("accounts import", ["{file}"], "1 account (0 created, 1 updated, 0 unchanged) from {file}"),
    ("accounts export", [], "6 accounts to standard output"),
    ("accounts export", ["-o", "{out}"], "6 accounts to {out}"),
    ("accounts unlock", [JORDAN], "Account ending 1234 was not locked"),
    ("payments export", [], "4 payments to standard output"),
    ("payments settle", [], "Settled 0, returned 0, still pending 0"),
    ("payments run-scheduled", ["--date", "2026-11-20"],
     "2026-11-20: Approved 0, declined 0, pending bank debits 0, outcome unknown 0, skipped 0"),
    ("payments reconcile", [], "Approved 0, declined 0, pending bank debits 0, not charged 0, "
                               "still unknown 0, needing an operator 0"),
    ("sms send", [], "Sent 0, failed 0, will retry 0"),
    ("sms export", [], "0 messages to standard output"),
    ("audit export", ["--since", "2026-11-01"], "0 events to standard output since 2026-11-01"),
]


@pytest.mark.parametrize(("name", "args", "detail"), COMMANDS)
def test_each_operator_command_leaves_one_audit_event(
        demo_app: Flask, tmp_path: Path, hostname: str, name: str, args: list[str],
        detail: str) -> None:
    paths = {"file": str(tmp_path / "accounts.csv"), "out": str(tmp_path / "out.csv")}
    Path(paths["file"]).write_text(GOOD, encoding="utf-8")
    argv = name.split() + [a.format(**paths) for a in args]

    result = demo_app.test_cli_runner().invoke(args=argv)

    assert result.exit_code == 0, result.output
    commands = [e for e in events(demo_app) if e[1].startswith("command:")]
    assert commands == [("operator", f"command:{name}", "ok", None, hostname,
                         detail.format(**paths))]


def test_a_failed_import_is_audited_although_it_rolled_back(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path, hostname: str) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(GOOD + "30009012,Alex Kim,,9012,12.345,2026-12-12,60601\n", encoding="utf-8")

    result = runner.invoke(args=["accounts", "import", str(path)])

    assert result.exit_code == 1
    reason = f'{path}: line 3, field "balance": "12.345" is not an amount in dollars and cents'
    assert result.stderr == f"error: {reason}\n"
    with db.transaction(app) as session:
        assert session.scalars(select(Account)).all() == []
    assert events(app) == [("operator", "command:accounts import", "error", None, hostname,
                            reason)]


def test_an_unexpected_failure_is_audited_by_type_only(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch, hostname: str) -> None:
    def broken(session: Any, out: Any) -> int:
        raise RuntimeError("card 4242424242424242 exp 1230")

    monkeypatch.setattr(cli_payments, "export_payments_csv", broken)

    result = demo_app.test_cli_runner().invoke(args=["payments", "export"])

    assert isinstance(result.exception, RuntimeError)
    assert events(demo_app) == [("operator", "command:payments export", "error", None,
                                 hostname, "RuntimeError")]


def test_a_failure_to_audit_a_failure_keeps_the_first_error(
        app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def unwritable(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cli_audit, "record_command", unwritable)

    result = runner.invoke(args=["accounts", "unlock", "99999"])

    assert (result.exit_code, result.stderr) == (1, "error: no account 99999\n")


def test_serve_is_not_an_audited_command(app: Flask, runner: FlaskCliRunner,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from ivr.ops import server

    monkeypatch.setattr(server.GunicornServer, "run", lambda self: None)
    monkeypatch.setattr(server, "check_port_free", lambda host, port: None)  # nothing listens

    assert runner.invoke(args=["serve", "--no-demo"]).exit_code == 0
    assert events(app) == []


def test_the_ivr_script_names_commands_the_same_way(
        database_url: str, monkeypatch: pytest.MonkeyPatch, hostname: str,
        app: Flask) -> None:
    from click.testing import CliRunner

    from ivr.cli import main

    monkeypatch.setenv("IVR_DATABASE_URL", database_url)

    result = CliRunner().invoke(main, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert events(app) == [("operator", "command:db upgrade", "ok", None, hostname,
                            "schema up to date")]


def test_operator_origin_is_the_host_name() -> None:
    assert operator_origin() == socket.gethostname()
