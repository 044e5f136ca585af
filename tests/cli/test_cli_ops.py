"""Operator commands: output, exit codes, and what they leave in the database."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from app import create_app
from ivr.config import override_settings
from ivr.db import db
from ivr.ops import server
from ivr.ops.background import OutboxWorker
from ivr.ops.cpus import usable_cpus
from ivr.payments import ledger
from ivr.security.pins import pins_of
from ivr.sms.outbox import queue_text
from models import Account, Payment, SmsMessage
from tests.app_helpers import make_app
from tests.schedule_helpers import (
    JORDAN,
    CountingGateway,
    get,
    make_accounts,
    save_bank,
    save_card,
    schedule,
)

HEADER = "account_number,name,phone,pin,balance,due_date,zip\n"
GOOD = HEADER + ("10001234,Jordan Rivera,(415) 555-0100,1234,120.45,2026-12-05,94105\n"
                 "20005678,Sam Patel,212-555-0199,5678,89.10,2026-11-01,10001\n")


def count(app: Flask, model: type) -> int:
    """Rows of ``model`` in the database."""
    with db.transaction(app) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def write(tmp_path: Path, text: str, name: str = "accounts.csv") -> Path:
    """Write a file under tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_db_upgrade_is_idempotent(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_accounts_import(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)

    result = runner.invoke(args=["accounts", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Imported 2 accounts (2 created, 0 updated, 0 unchanged) from {path}\n"
    with db.transaction(app) as session:
        jordan = session.scalars(select(Account).where(Account.account_number == "10001234")).one()
        assert (jordan.balance_cents, jordan.phone_e164) == (12045, "+14155550100")
        assert pins_of(app).verify("1234", jordan.pin_hash)

    again = runner.invoke(args=["accounts", "import", str(path)])
    assert again.stdout == f"Imported 2 accounts (0 created, 0 updated, 2 unchanged) from {path}\n"


def test_accounts_import_gives_new_accounts_the_lines_language(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    override_settings(app, IVR_LANGUAGE="es-US")
    result = runner.invoke(args=["accounts", "import", str(write(tmp_path, GOOD))])
    assert result.exit_code == 0, result.output
    with db.transaction(app) as session:
        assert set(session.scalars(select(Account.language))) == {"es-US"}


def test_accounts_import_names_the_line_and_field_of_an_unknown_language(
        runner: FlaskCliRunner, tmp_path: Path) -> None:
    header, *rows = GOOD.splitlines()
    path = write(tmp_path, "\n".join([header + ",language", rows[0] + ",pt-BR"]) + "\n")
    result = runner.invoke(args=["accounts", "import", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f'error: {path}: line 2, field "language": "pt-BR" is not')


def test_accounts_import_bad_row_exits_1_and_writes_nothing(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "30009012,Alex Kim,,9012,12.345,2026-12-12,60601\n")

    result = runner.invoke(args=["accounts", "import", str(path)])

    assert result.exit_code == 1
    assert result.stderr == (f'error: {path}: line 4, field "balance": "12.345" is not an '
                             "amount in dollars and cents\n")
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert count(app, Account) == 0


def test_accounts_import_bad_pin_not_echoed(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "10001234,Jo,,98765,1.00,2026-12-05,\n")

    result = runner.invoke(args=["accounts", "import", str(path)])

    assert result.exit_code == 1
    assert 'line 2, field "pin": must be exactly 4 digits' in result.stderr
    assert "98765" not in result.output


@pytest.mark.parametrize(("content", "expected"), [
    (None, "No such file or directory"),
    (b"\xff\xfe\x00bad", "not a UTF-8 text file"),
])
def test_accounts_import_unreadable_file(runner: FlaskCliRunner, tmp_path: Path,
                                         content: bytes | None, expected: str) -> None:
    path = tmp_path / "accounts.csv"
    if content is not None:
        path.write_bytes(content)

    result = runner.invoke(args=["accounts", "import", str(path)])

    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {expected}\n"


def test_payments_export_to_stdout(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["payments", "export", "--format", "csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["account_number"], r["amount"], r["method"]) for r in rows] == [
        ("10001234", "101.00", "bank"), ("10001234", "110.20", "card"),
        ("20005678", "60.00", "check"), ("10001234", "95.00", "card")]


def test_payments_export_to_file(demo_app: Flask, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "payments.csv"
    out.parent.mkdir()

    result = demo_app.test_cli_runner().invoke(args=["payments", "export", "-o", str(out)])

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"Exported 4 payments to {out}\n"
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["confirmation_number"] == "5120348818"
    assert [p.name for p in out.parent.iterdir()] == ["payments.csv"]  # no temp file left


def test_export_to_missing_directory_fails_cleanly(runner: FlaskCliRunner,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "nope" / "payments.csv"

    result = runner.invoke(args=["payments", "export", "--output", str(out)])

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {out}: ")


def test_export_rejects_other_formats(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["payments", "export", "--format", "xlsx"])

    assert result.exit_code == 2
    assert "'xlsx' is not 'csv'" in result.output


def test_payments_settle(app: Flask, runner: FlaskCliRunner) -> None:
    jordan = make_accounts(app)[JORDAN]
    for number in ("000123456789", "000111111116", "000222222227"):
        schedule(app, jordan, save_bank(app, jordan, number), 1000, method="saved_bank")
    assert runner.invoke(args=["payments", "run-scheduled"]).exit_code == 0

    result = runner.invoke(args=["payments", "settle"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "Settled 1, returned 2, still pending 0\n"
    again = runner.invoke(args=["payments", "settle"])
    assert again.stdout == "Settled 0, returned 0, still pending 0\n"


def test_payments_run_scheduled_on_a_date(app: Flask, runner: FlaskCliRunner) -> None:
    jordan = make_accounts(app)[JORDAN]
    gateway = CountingGateway()
    app.extensions["ivr_gateway"] = gateway
    card = save_card(app, jordan)
    approved = schedule(app, jordan, card, 1000, on=date(2026, 11, 25))
    declined = schedule(app, jordan, save_card(app, jordan, "4000000000000002"), 2000,
                        on=date(2026, 11, 25))
    schedule(app, jordan, save_bank(app, jordan), 3000, on=date(2026, 11, 25))
    schedule(app, make_accounts(app)["40007890"], card, 500, on=date(2026, 11, 25))

    override_settings(app, IVR_TODAY="2026-11-26")  # a missed day is run the day after
    early = runner.invoke(args=["payments", "run-scheduled", "--date", "2026-11-24"])
    result = runner.invoke(args=["payments", "run-scheduled", "--date", "2026-11-25"])

    assert early.stdout == ("Approved 0, declined 0, pending bank debits 0, outcome unknown 0, "
                            "skipped 0\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Approved 1, declined 1, pending bank debits 1, outcome unknown 0, "
                             "skipped 1\n")
    assert (get(app, approved).status, get(app, declined).status) == ("approved", "declined")
    assert len(gateway.calls) == 3


def test_payments_run_scheduled_defaults_to_today(app: Flask, runner: FlaskCliRunner) -> None:
    jordan = make_accounts(app)[JORDAN]
    card = save_card(app, jordan)
    today = schedule(app, jordan, card, 1000, on=date(2026, 11, 21))  # IVR_TODAY in tests
    tomorrow = schedule(app, jordan, card, 1000, on=date(2026, 11, 22))

    result = runner.invoke(args=["payments", "run-scheduled"])

    assert result.stdout == ("Approved 1, declined 0, pending bank debits 0, outcome unknown 0, "
                             "skipped 0\n")
    assert (get(app, today).status, get(app, tomorrow).status) == ("approved", "scheduled")


def test_payments_run_scheduled_works_a_cut_amounts_fee_out_by_the_setting(
        app: Flask, runner: FlaskCliRunner) -> None:
    """$120.45 scheduled with the 10% fee heard ($12.05); $20.00 is owed by the run: it
    charges $20.00 and IVR_CONVENIENCE_FEE on it, $2.00."""
    jordan = make_accounts(app)[JORDAN]
    app.extensions["ivr_gateway"] = gateway = CountingGateway()
    pid = schedule(app, jordan, save_card(app, jordan), 12045, on=date(2026, 11, 21),
                   fee_cents=1205)
    with db.transaction(app) as session:
        ledger.bill(session.get_one(Account, jordan), 2000)
    override_settings(app, IVR_CONVENIENCE_FEE="10%")
    result = runner.invoke(args=["payments", "run-scheduled"])
    assert result.exit_code == 0, result.output
    assert [cents for _, _, cents in gateway.calls] == [2200]
    assert get(app, pid).fee_cents == 200


@pytest.mark.parametrize("value", ["2026-13-01", "20261125", "tomorrow", "2026-11-5"])
def test_payments_run_scheduled_rejects_a_malformed_date(
        app: Flask, runner: FlaskCliRunner, value: str) -> None:
    jordan = make_accounts(app)[JORDAN]
    schedule(app, jordan, save_card(app, jordan), 1000, on=date(2026, 11, 1))

    result = runner.invoke(args=["payments", "run-scheduled", "--date", value])

    assert result.exit_code == 2
    assert result.stderr == (f'error: --date: "{value}" is not a date in the form '
                             "YYYY-MM-DD\n")
    assert result.stdout == ""
    with db.transaction(app) as session:
        assert session.scalars(select(Payment.status)).all() == ["scheduled"]


def test_accounts_export_to_stdout_and_file(demo_app: Flask, tmp_path: Path) -> None:
    runner = demo_app.test_cli_runner()

    result = runner.invoke(args=["accounts", "export", "--format", "csv"])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["account_number"], r["balance"], r["autopay"]) for r in rows][:2] == [
        ("10001234", "120.45", "off"), ("20005678", "89.10", "off")]
    assert "pin" not in result.stdout.splitlines()[0]
    out = tmp_path / "accounts.csv"
    to_file = runner.invoke(args=["accounts", "export", "-o", str(out)])
    assert to_file.stderr == f"Exported 6 accounts to {out}\n"
    assert {r["account_number"]: r["language"] for r in rows}["50002468"] == "es-US"
    with out.open(newline="", encoding="utf-8") as f:
        assert list(csv.DictReader(f)) == rows


def queue(app: Flask, *bodies: str) -> None:
    """Queue texts to one number."""
    with db.transaction(app) as session:
        for body in bodies:
            queue_text(session, "+14155550100", body)


def test_sms_send_and_export(app: Flask, runner: FlaskCliRunner) -> None:
    queue(app, "first", "second")

    result = runner.invoke(args=["sms", "send"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "Sent 2, failed 0, will retry 0\n"
    exported = runner.invoke(args=["sms", "export"])
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["to"], r["body"], r["status"]) for r in rows] == [
        ("+14155550100", "first", "sent"), ("+14155550100", "second", "sent")]
    assert all(r["sent_at"] for r in rows)


def test_sms_send_with_bad_config(app: Flask, runner: FlaskCliRunner) -> None:
    queue(app, "first")
    override_settings(app, IVR_SMS_BACKEND="twilio")

    result = runner.invoke(args=["sms", "send"])

    assert result.exit_code == 1
    assert result.stderr.startswith("error: IVR_SMS_BACKEND=twilio needs IVR_SMS_FROM")
    with db.transaction(app) as session:
        assert session.scalars(select(SmsMessage.status)).all() == ["queued"]


@pytest.fixture
def gunicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stop serve() short of starting gunicorn; record the options it would have used."""
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: runs.append(self.options))
    # Nothing will listen, so a port in use elsewhere on this machine must not matter.
    monkeypatch.setattr(server, "check_port_free", lambda host, port: None)
    return runs


def test_serve_no_demo_leaves_empty_database_empty(
        app: Flask, runner: FlaskCliRunner, gunicorn_runs: list[dict[str, Any]]) -> None:
    result = runner.invoke(args=["serve", "--no-demo", "--port", "5055", "--workers", "3"])

    assert result.exit_code == 0, result.output
    assert count(app, Account) == 0
    [options] = gunicorn_runs
    assert (options["bind"], options["workers"], options["threads"]) == ("127.0.0.1:5055", 3, 4)
    assert (options["timeout"], options["accesslog"]) == (30, "-")
    assert "listening on http://127.0.0.1:5055" in result.stderr
    assert "try: .venv/bin/ivr call --url http://127.0.0.1:" in result.stderr


def test_serve_runs_one_worker_per_usable_cpu_by_default(
        app: Flask, runner: FlaskCliRunner, gunicorn_runs: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    result = runner.invoke(args=["serve", "--no-demo"])

    assert result.exit_code == 0, result.output
    [options] = gunicorn_runs
    assert options["workers"] == usable_cpus() >= 1
    assert f"({usable_cpus()} workers)" in result.stderr


def test_serve_loads_demo_into_empty_database(
        app: Flask, runner: FlaskCliRunner, gunicorn_runs: list[dict[str, Any]]) -> None:
    result = runner.invoke(args=["serve"])

    assert result.exit_code == 0, result.output
    assert count(app, Account) == 6
    assert "loaded the demo accounts" in result.stderr


# Production on a real gateway that needs no biller phone (Stripe, cards by <Pay>).
PRODUCTION = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "prod-token",
              "IVR_FINGERPRINT_KEY": "f" * 32, "IVR_PIN_PEPPER": "test-pin-pepper-" + "p" * 16,
              "IVR_CARD_DATA_KEY": "a2V5" * 10 + "a2U=",
              "IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": "sk_test_x",
              "IVR_CARD_CAPTURE": "pay"}


@pytest.fixture
def production_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """A production app on an empty, migrated database."""
    app = make_app(database_url, tmp_path, **PRODUCTION)
    yield app
    db.engine(app).dispose()


@pytest.mark.parametrize("flags", [[], ["--no-demo"]])
def test_serve_in_production_never_loads_demo_accounts(
        production_app: Flask, gunicorn_runs: list[dict[str, Any]], flags: list[str]) -> None:
    result = production_app.test_cli_runner().invoke(args=["serve", *flags])

    assert result.exit_code == 0, result.output
    assert count(production_app, Account) == 0
    assert len(gunicorn_runs) == 1, "it serves, as with --no-demo"
    said = [line for line in result.stderr.splitlines() if "demo" in line]
    assert said == ([] if flags else [
        "ivr: IVR_ENV=production: demo accounts are never loaded (as with --no-demo); "
        "import accounts with ivr accounts import FILE"])


def test_preparing_a_production_database_never_loads_demo_accounts(
        production_app: Flask) -> None:
    # What `ivr call` does in-process before an interactive call.
    assert server.prepare(production_app, load_demo_data=True) is False
    assert count(production_app, Account) == 0


def test_serve_keeps_existing_accounts(app: Flask, runner: FlaskCliRunner,
                                       gunicorn_runs: list[dict[str, Any]],
                                       tmp_path: Path) -> None:
    assert runner.invoke(args=["accounts", "import", str(write(tmp_path, GOOD))]).exit_code == 0

    result = runner.invoke(args=["serve"])

    assert result.exit_code == 0, result.output
    assert count(app, Account) == 2
    assert "demo" not in result.stderr


def test_serve_refuses_bad_sms_config(app: Flask, runner: FlaskCliRunner,
                                      gunicorn_runs: list[dict[str, Any]]) -> None:
    override_settings(app, IVR_SMS_BACKEND="twilio")

    result = runner.invoke(args=["serve"])

    assert result.exit_code == 1
    assert "IVR_SMS_FROM" in result.stderr
    assert gunicorn_runs == []


def test_worker_hooks_start_and_stop_the_outbox(app: Flask) -> None:
    options = server.gunicorn_options(app, "127.0.0.1", 5000, 2)
    worker = type("FakeWorker", (), {})()

    options["post_fork"](None, worker)
    options["post_worker_init"](worker)
    outbox = worker.ivr_outbox
    assert isinstance(outbox, OutboxWorker)
    assert outbox._thread is not None and outbox._thread.is_alive()
    options["worker_exit"](None, worker)
    assert not outbox._thread.is_alive()


def test_banner_hides_the_database_password(tmp_path: Path) -> None:
    app = create_app({"TESTING": True,
                      "IVR_DATABASE_URL": "postgresql+psycopg://ivr:s3cret@db.example/ivr"})

    line = server.banner(app, "0.0.0.0", 8080, 2)

    assert "s3cret" not in line and "ivr:***@db.example/ivr" in line
    assert "\n" not in line
    assert "gateway sandbox" in line and "sms console" in line


def test_payments_run_scheduled_never_charges_ahead_of_today(app: Flask,
                                                           runner: FlaskCliRunner) -> None:
    jordan = make_accounts(app)[JORDAN]
    app.extensions["ivr_gateway"] = gateway = CountingGateway()
    waiting = schedule(app, jordan, save_bank(app, jordan), 3000, on=date(2026, 11, 25))
    override_settings(app, IVR_TODAY="2026-11-24")
    result = runner.invoke(args=["payments", "run-scheduled", "--date", "2026-11-25"])
    assert result.exit_code == 1
    assert result.output == ("error: --date 2026-11-25 is after today (2026-11-24 in "
                             "IVR_TIMEZONE): nothing is charged before its date\n")
    assert gateway.calls == [] and get(app, waiting).status == "scheduled"
