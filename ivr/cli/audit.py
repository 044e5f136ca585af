"""Auditing operator commands (PCI DSS 10.2): one audit event per run, success or failure.

Every ``ivr`` command that changes or reads sensitive data is wrapped in
:func:`audited`. The event is written in a transaction of its own once the
command has finished, so a failure is on record even though the failing
command's own transaction rolled back. Summaries are counts and file names:
never a PIN, card number or security code.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import IO, Any, NoReturn, ParamSpec

import click

from ivr.db import db
from ivr.security.audit import OPERATOR, operator_origin, record

P = ParamSpec("P")
OK = "ok"
ERROR = "error"

log = logging.getLogger(__name__)


class CommandFailed(click.ClickException):
    """An operator command failed: one ``error:`` line on stderr and exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the reason as ``error: ...`` (no traceback, no usage text)."""
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class OutputClosed(click.ClickException):
    """The reader of standard output went away (``ivr ... export | head``): exit quietly.

    The status is 141, as for any program a closed pipe stops (128 + SIGPIPE), so a
    pipeline under ``set -o pipefail`` can tell a cut-short export from a whole one.
    """

    exit_code = 141

    def __init__(self) -> None:
        super().__init__("standard output was closed before the end (broken pipe)")
        # Python flushes stdout again at exit; with the pipe gone that would print an error.
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)

    def show(self, file: IO[Any] | None = None) -> None:
        """Say nothing: the reader stopped on purpose, and stderr is no place for noise."""


def fail(message: str) -> NoReturn:
    """Stop the command: it prints ``error: message`` and exits 1 (audited as ``error``)."""
    raise CommandFailed(message)


def command_name(ctx: click.Context) -> str:
    """A command's name below the ``ivr`` (or ``flask``) root, e.g. ``accounts import``."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def record_command(name: str, outcome: str, detail: str) -> None:
    """Write one ``command:<name>`` event by the operator on this host, in its own transaction."""
    with db.transaction() as session:
        record(session, OPERATOR, f"command:{name}", outcome, origin=operator_origin(),
               detail=detail)


def audited(command: Callable[P, str]) -> Callable[P, None]:
    """Audit every run of a click callback, which returns a one-line summary of what it did.

    A :class:`click.ClickException` is recorded with its message; any other
    exception only by its type, since its text may quote SQL parameters.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        name = command_name(click.get_current_context())
        try:
            detail = command(*args, **kwargs)
        except click.ClickException as exc:
            _record_failure(name, exc.format_message())
            raise
        except BaseException as exc:
            _record_failure(name, type(exc).__name__)
            raise
        record_command(name, OK, detail)

    return run


def _record_failure(name: str, reason: str) -> None:
    """Record a failed command; if even that fails (database down), log it and go on."""
    lines = reason.strip().splitlines()
    try:
        record_command(name, ERROR, lines[0] if lines else "failed")
    except Exception as exc:
        log.warning("could not audit failed command %s: %s", name, type(exc).__name__)
