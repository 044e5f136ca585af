"""Operator commands behave like good command-line tools.

An error is one line on stderr and a non-zero exit, with no log lines mixed in (they go to
stderr only with ``-v``, or to ``IVR_LOG_FILE``); an export whose reader goes away exits
quietly; ``ivr serve`` on a busy port says so before anything listens; ``ivr --version``.
Some run the real ``ivr`` script, since what a process prints at exit is part of the answer.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, select

from ivr.cli import main
from ivr.config import settings_of
from ivr.db import db
from ivr.ops import server
from models import AuditEvent

IVR = Path(sys.executable).parent / "ivr"


def run_ivr(app: Flask, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real ``ivr`` script on ``app``'s database."""
    environ = {name: value for name, value in os.environ.items() if name != "IVR_LOG_FILE"}
    environ.update({"IVR_DATABASE_URL": settings_of(app).database_url, **env})
    return subprocess.run([str(IVR), *args], env=environ, capture_output=True, text=True,
                          timeout=60, check=False)


def audit_outcomes(app: Flask, action: str) -> list[tuple[str, str | None]]:
    """(outcome, detail) of every audit event named ``action``, oldest first."""
    with db.transaction(app) as session:
        rows = session.execute(select(AuditEvent.outcome, AuditEvent.detail)
                               .where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [(outcome, detail) for outcome, detail in rows]


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Leave the root logger as the test found it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_version_comes_from_the_package_metadata() -> None:
    result = CliRunner().invoke(main, ["--version"])

    assert (result.exit_code, result.output) == (0, f"ivr {version('ivr-paybyphone')}\n")
    assert version("ivr-paybyphone")


def test_an_error_is_one_line_with_no_log_lines(app: Flask) -> None:
    result = run_ivr(app, "accounts", "unlock", "99999")

    assert (result.returncode, result.stdout, result.stderr) == (1, "", "error: no account 99999\n")
    assert audit_outcomes(app, "command:accounts unlock") == [("error", "no account 99999")]


def test_verbose_adds_the_log_lines_to_stderr(app: Flask) -> None:
    result = run_ivr(app, "-v", "accounts", "unlock", "99999")

    assert result.returncode == 1
    *log_lines, last = result.stderr.splitlines()
    assert last == "error: no account 99999"
    assert any(" INFO ivr.security.audit: operator command:accounts unlock error" in line
               for line in log_lines)


def test_log_file_takes_the_log_lines(app: Flask, tmp_path: Path) -> None:
    log_file = tmp_path / "ivr.log"

    result = run_ivr(app, "accounts", "unlock", "99999", IVR_LOG_FILE=str(log_file))

    assert (result.returncode, result.stderr) == (1, "error: no account 99999\n")
    assert "operator command:accounts unlock error" in log_file.read_text(encoding="utf-8")


def test_an_unexpected_failure_is_one_line(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                           clean_logging: None) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire\nand more detail")

    monkeypatch.setattr("ivr.cli.ops.unlock_account", broken)
    monkeypatch.setenv("IVR_DATABASE_URL", settings_of(app).database_url)

    result = CliRunner().invoke(main, ["accounts", "unlock", "99999"])

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: unexpected RuntimeError: disk on fire\n"
    assert audit_outcomes(app, "command:accounts unlock") == [("error", "RuntimeError")]


def test_the_command_puts_logging_back(app: Flask, monkeypatch: pytest.MonkeyPatch,
                                       clean_logging: None) -> None:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    monkeypatch.setenv("IVR_DATABASE_URL", settings_of(app).database_url)

    assert CliRunner().invoke(main, ["-v", "db", "upgrade"]).exit_code == 0

    assert (list(root.handlers), root.level) == before


def test_export_into_a_closed_pipe_exits_quietly(app: Flask) -> None:
    # Far more than a pipe and Python's buffer hold, so the export is still writing.
    events = [{"at": datetime.now(UTC), "actor": "operator", "action": "command:test",
               "outcome": "ok", "detail": "x" * 60} for _ in range(4000)]
    with db.transaction(app) as session:
        session.execute(insert(AuditEvent), events)
    environ = {**os.environ, "IVR_DATABASE_URL": settings_of(app).database_url}
    with subprocess.Popen([str(IVR), "audit", "export"], env=environ, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("at,actor,action")
        process.stdout.close()  # as `| head -1` does
        stderr = process.stderr.read()
        code = process.wait(60)

    assert (code, stderr) == (141, "")
    assert audit_outcomes(app, "command:audit export") == [
        ("error", "standard output was closed before the end (broken pipe)")]


def test_serve_on_a_busy_port_says_so_before_listening(
        app: Flask, runner: FlaskCliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(server.GunicornServer, "run", lambda self: started.append(self))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = runner.invoke(args=["serve", "--port", str(port)])

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"error: port {port} on 127.0.0.1 is already in use; "
                             f"choose another with --port\n")
    assert started == []


def test_an_export_from_an_unreachable_database_writes_nothing(app: Flask) -> None:
    result = run_ivr(app, "payments", "export",
                     IVR_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")

    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("error: cannot use the database") \
        and result.stderr.count("\n") == 1, result.stderr
