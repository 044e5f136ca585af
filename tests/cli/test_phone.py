"""``ivr phone``: refused in production, and what it calls (its page: tests/sim)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from ivr.cli import main
from ivr.cli.phone import line_called
from ivr.db import db
from ivr.sim.transport import HttpTransport
from models import Account
from tests.server_helpers import free_port


def accounts(app: Flask) -> int:
    with db.transaction(app) as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def test_it_refuses_to_start_in_production() -> None:
    result = CliRunner().invoke(main, ["phone"], env={"IVR_ENV": "production"})
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: ivr phone is for development only, and IVR_ENV is production\n"


def test_a_bad_environment_is_one_line() -> None:
    result = CliRunner().invoke(main, ["phone"], env={"IVR_ENV": "Production"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: IVR_ENV must be development or production")
    assert result.stderr.count("\n") == 1


def test_fresh_is_for_the_line_in_process(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["phone", "--url", "http://127.0.0.1:1", "--fresh"])
    assert result.exit_code == 2 and "--fresh is for the line in process" in result.stderr


def test_a_url_where_nothing_answers_is_one_line(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["phone", "--url", "http://127.0.0.1:1"])
    assert (result.exit_code, result.stderr) == (1, "error: no server answers at "
                                                    "http://127.0.0.1:1\n")


def test_a_busy_port_is_one_line(runner: FlaskCliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(args=["phone", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr == (f"error: port {port} on 127.0.0.1 is already in use; "
                             "choose another with --port\n")


def test_in_process_it_calls_the_configured_database_with_the_demo_accounts(
        app: Flask) -> None:
    assert accounts(app) == 0
    with line_called(app, fresh=False) as (line, description):
        assert line is app and description.startswith("in process, database ")
    assert accounts(app) == 6


def test_fresh_calls_a_copy_of_the_demo_data_and_leaves_the_database_alone(
        app: Flask) -> None:
    with line_called(app, fresh=True) as (line, description):
        assert isinstance(line, Flask) and line is not app
        assert description == "in process, a fresh copy of the demo data"
        assert accounts(line) == 6
    assert accounts(app) == 0


def test_with_a_url_it_calls_that_server() -> None:
    transport = HttpTransport("http://127.0.0.1:5000")
    with line_called(transport, fresh=False) as (line, description):
        assert (line, description) == (transport, "http://127.0.0.1:5000")



def test_stopped_by_sigterm_it_still_deletes_its_fresh_copy(tmp_path: Path) -> None:
    """``kill``, a process manager or a container's stop sends SIGTERM, not Ctrl-C: the copy
    of the demo data made for --fresh must go all the same."""
    port = free_port()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "IVR_TODAY": "2026-11-21",
           "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'configured.sqlite3'}"}
    ivr = Path(sys.executable).parent / "ivr"
    phone = subprocess.Popen([str(ivr), "phone", "--fresh", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            assert time.monotonic() < deadline and phone.poll() is None, "it never served"
            time.sleep(0.2)
        # The copy, and the template it was copied from (ivr.sim.scratch); tempfile adds 8
        # random characters to each prefix.
        made = sorted(path.name[:-8] for path in scratch.iterdir())
        assert made == ["ivr-call-", "ivr-call-templates-"]
        phone.send_signal(signal.SIGTERM)
        assert phone.wait(20) == 0
    finally:
        phone.kill()
    assert list(scratch.iterdir()) == []


def answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False
