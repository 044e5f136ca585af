"""``ivr disputes export`` and ``ivr disputes close``: the cases callers opened, for operators."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from ivr.db import db
from models import AuditEvent, Dispute, utcnow
from tests.app_helpers import account, dispute_cases
from tests.menu_helpers import JORDAN_MAIN_MENU
from tests.twilio_helpers import TwilioCaller, recording_status, recording_url

SID = "RE" + "e" * 32


def opened_on_a_call(app: Flask) -> Dispute:
    """A case opened the way callers open one: a message recorded, then Twilio's callback."""
    caller = TwilioCaller(app, call_sid="CA" + "5" * 32)
    caller.record(caller.walk(*JORDAN_MAIN_MENU, "7"), seconds=44, sid=SID)
    recording_status(caller, SID, seconds=41)
    [case] = dispute_cases(app)
    return case


def add_case(app: Flask, number: str, sid: str, **columns: object) -> None:
    """A case of account 20005678, written directly (after any other)."""
    with db.transaction(app) as session:
        session.add(Dispute(case_number=number, account_id=account(session, "20005678").id,
                            call_sid="CA" + "6" * 32, recording_sid=sid, status="open",
                            created_at=utcnow(), **columns))


def export_rows(app: Flask, *args: str) -> list[dict[str, str]]:
    result = app.test_cli_runner().invoke(args=["disputes", "export", *args])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_export_lists_each_case_with_its_recording(demo_app: Flask) -> None:
    case = opened_on_a_call(demo_app)
    add_case(demo_app, "12345678", "RE" + "f" * 32)
    rows = export_rows(demo_app, "--format", "csv")
    assert list(rows[0]) == ["account_number", "case_number", "recording_sid", "recording_url",
                             "duration_seconds", "created_at", "status", "recording_status",
                             "closed_at"]
    first = rows[0]
    assert (first["account_number"], first["case_number"], first["recording_sid"]) == (
        "10001234", case.case_number, SID)
    assert (first["recording_url"], first["duration_seconds"]) == (recording_url(SID), "41")
    assert (first["status"], first["recording_status"], first["closed_at"]) == (
        "open", "completed", "")
    assert first["created_at"].endswith("+00:00")
    assert rows[1]["duration_seconds"] == "" and rows[1]["account_number"] == "20005678"


def test_export_to_a_file(demo_app: Flask, tmp_path: Path) -> None:
    opened_on_a_call(demo_app)
    out = tmp_path / "disputes.csv"
    result = demo_app.test_cli_runner().invoke(args=["disputes", "export", "-o", str(out)])
    assert (result.exit_code, result.stderr) == (0, f"Exported 1 cases to {out}\n")
    assert len(list(csv.DictReader(out.open(newline="")))) == 1


def test_an_exported_url_cannot_run_as_a_formula(demo_app: Flask) -> None:
    add_case(demo_app, "12345678", "RE" + "f" * 32, recording_url="=HYPERLINK(\"x\")")
    [row] = export_rows(demo_app)
    assert row["recording_url"] == "'=HYPERLINK(\"x\")"


def test_close_a_case_then_again(demo_app: Flask) -> None:
    case = opened_on_a_call(demo_app)
    runner = demo_app.test_cli_runner()
    first = runner.invoke(args=["disputes", "close", case.case_number])
    assert (first.exit_code, first.stdout) == (0, f"Closed case {case.case_number}\n")
    [closed] = dispute_cases(demo_app)
    assert closed.status == "closed" and closed.closed_at is not None
    again = runner.invoke(args=["disputes", "close", case.case_number])
    assert (again.exit_code, again.stdout) == (
        0, f"Case {case.case_number} was already closed\n")
    assert dispute_cases(demo_app)[0].closed_at == closed.closed_at
    [row] = export_rows(demo_app)
    assert row["status"] == "closed" and row["closed_at"]
    with db.transaction(demo_app) as session:
        events = session.execute(select(AuditEvent.actor, AuditEvent.outcome, AuditEvent.detail,
                                        AuditEvent.account_id)
                                 .where(AuditEvent.action == "dispute_close")
                                 .order_by(AuditEvent.id)).all()
        commands = session.scalars(select(AuditEvent.outcome).where(
            AuditEvent.action == "command:disputes close")).all()
        owner = account(session).id
    detail = f"case {case.case_number}"
    assert [tuple(e) for e in events] == [("operator", "closed", detail, owner),
                                          ("operator", "already_closed", detail, owner)]
    assert commands == ["ok", "ok"]


@pytest.mark.parametrize("number", ["99999999", "1234", "12345678x", "'; drop table"])
def test_closing_an_unknown_case_is_one_error_line(demo_app: Flask, number: str) -> None:
    add_case(demo_app, "12345678", "RE" + "f" * 32)
    result = demo_app.test_cli_runner().invoke(args=["disputes", "close", number])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: no dispute case {number}\n"
    assert dispute_cases(demo_app)[0].status == "open"
    with db.transaction(demo_app) as session:
        assert session.scalars(select(AuditEvent.outcome).where(
            AuditEvent.action == "command:disputes close")).all() == ["error"]
