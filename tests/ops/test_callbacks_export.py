"""`ivr callbacks export` and `ivr callbacks done`: the requests callers left, as operators
see and close them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from ivr.db import db
from ivr.ops.callbacks import CALLBACK_COLUMNS, export_callbacks_csv
from models import CallbackRequest
from tests.agent_helpers import callback_requests
from tests.app_helpers import account
from tests.export_helpers import export


def _requests(app: Flask) -> None:
    """Two requests: a verified caller's, then one from a call that chose no account."""
    with db.transaction(app) as session:
        at = datetime(2026, 11, 21, 15, tzinfo=UTC)
        session.add_all([
            CallbackRequest(call_sid="CA1", account_id=account(session).id, verified=True,
                            phone="+14155550100", created_at=at),
            CallbackRequest(call_sid="CA2", account_id=None, verified=False, phone="+13125550142",
                            created_at=at.replace(hour=16))])


def test_the_export_lists_every_request_oldest_first(demo_app: Flask) -> None:
    _requests(demo_app)
    assert export(demo_app, export_callbacks_csv, CALLBACK_COLUMNS) == [
        {"created_at": "2026-11-21T15:00:00+00:00", "account_number": "10001234",
         "number": "+14155550100", "call_sid": "CA1", "status": "open", "verified": "yes"},
        {"created_at": "2026-11-21T16:00:00+00:00", "account_number": "",
         "number": "+13125550142", "call_sid": "CA2", "status": "open", "verified": "no"}]


def test_done_closes_a_request_once(demo_app: Flask, runner: FlaskCliRunner) -> None:
    _requests(demo_app)
    result = runner.invoke(args=["callbacks", "done", "CA1"])
    assert (result.exit_code, result.output) == (0, "Callback request from call CA1 marked "
                                                    "done\n")
    again = runner.invoke(args=["callbacks", "done", "CA1"])
    assert again.output == "Callback request from call CA1 was already done\n"
    done = callback_requests(demo_app)[0]
    assert (done.status, done.done_at is not None) == ("done", True)
    only_open = functools.partial(export_callbacks_csv, status="open")
    assert [row["call_sid"] for row in export(demo_app, only_open, CALLBACK_COLUMNS)] == ["CA2"]


def test_done_for_a_call_with_no_request_is_an_error(demo_app: Flask,
                                                     runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["callbacks", "done", "CA404"])
    assert result.exit_code == 1
    assert result.output == "error: no callback request from call CA404\n"


def test_the_command_filters_by_status_and_writes_a_file(demo_app: Flask, runner: FlaskCliRunner,
                                                         tmp_path: Path) -> None:
    _requests(demo_app)
    runner.invoke(args=["callbacks", "done", "CA2"])
    out = tmp_path / "callbacks.csv"
    result = runner.invoke(args=["callbacks", "export", "--format", "csv", "--status", "done",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == ",".join(CALLBACK_COLUMNS) and len(lines) == 2 and ",CA2,done," in lines[1]
    bad = runner.invoke(args=["callbacks", "export", "--status", "closed"])
    assert bad.exit_code == 2 and "'closed' is not one of 'open', 'done'" in bad.output
