"""The progress bar of a long command: drawn on a terminal, silent anywhere else."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from ivr.cli.progress import TerminalProgress
from ivr.config import settings_of
from ivr.db import db
from ivr.ops.accounts_import import import_accounts
from tests.import_helpers import HEADER, PINS, accounts, generated_rows

IVR = Path(sys.executable).parent / "ivr"


class Terminal(io.StringIO):
    """What a terminal is shown: text that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock that moves a second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def write_accounts(tmp_path: Path, count: int) -> Path:
    """A CSV of ``count`` accounts."""
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join([HEADER, *generated_rows(count)]) + "\n")
    return path


def test_both_readings_show_rows_rate_percent_and_time_left(app: Flask, tmp_path: Path) -> None:
    terminal = Terminal()
    with db.transaction(app) as session:
        import_accounts(session, write_accounts(tmp_path, 2500), PINS, batch_size=500,
                        progress=TerminalProgress(terminal, Clock()))

    frames = terminal.getvalue().split("\r")
    checking = [frame for frame in frames if "Checking" in frame]
    importing = [frame for frame in frames if "Importing" in frame]
    assert checking and importing, frames
    assert any("rows/s" in f and "ETA 0:00:0" in f and "%" in f for f in checking), checking
    assert any("1,000 rows" in f and "ETA 0:00:0" in f for f in importing), importing
    assert "100%" in importing[-1] and "2,500 rows" in importing[-1]


def test_nothing_is_drawn_where_no_one_looks(app: Flask, tmp_path: Path) -> None:
    not_a_terminal = io.StringIO()
    with db.transaction(app) as session:
        import_accounts(session, write_accounts(tmp_path, 1200), PINS, batch_size=500,
                        progress=TerminalProgress(not_a_terminal, Clock()))

    assert not_a_terminal.getvalue() == ""
    assert len(accounts(app)) == 1200


def test_the_command_is_silent_in_a_pipe(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["accounts", "import", str(write_accounts(tmp_path, 1200))])

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("Imported 1200 accounts (1200 created")


def test_the_command_draws_its_bar_on_a_terminal(app: Flask, tmp_path: Path) -> None:
    """The real ``ivr`` with its standard error on a pseudo-terminal, its output in a pipe."""
    path = write_accounts(tmp_path, 1200)
    environ = {**os.environ, "IVR_DATABASE_URL": settings_of(app).database_url}
    environ.pop("IVR_LOG_FILE", None)
    screen, terminal = pty.openpty()
    try:
        result = subprocess.run([str(IVR), "accounts", "import", str(path)], env=environ,
                                stdout=subprocess.PIPE, stderr=terminal, text=True,
                                timeout=120, check=False)
    finally:
        os.close(terminal)
    shown = read_all(screen)

    assert result.returncode == 0
    assert result.stdout == f"Imported 1200 accounts (1200 created, 0 updated, 0 unchanged) " \
                            f"from {path}\n"
    assert "Checking" in shown and "Importing" in shown, shown
    assert "100%" in shown and "1,200 rows" in shown and "rows/s" in shown, shown


def read_all(fd: int) -> str:
    """Everything written to a pseudo-terminal whose other end is closed."""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:  # EIO: nothing more, the writer is gone
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode()
