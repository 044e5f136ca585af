"""What the export commands share: their options, atomic output files, and date options."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TextIO

import click
from sqlalchemy.orm import Session

from ivr.cli.audit import CommandFailed, OutputClosed, fail
from ivr.db import db


@contextlib.contextmanager
def output_to(path: Path | None) -> Iterator[TextIO]:
    """Stdout, or a file that appears only once completely written."""
    if path is None:
        yield sys.stdout
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def export(writer: Callable[[Session, TextIO], int], output: Path | None, what: str) -> str:
    """Run one CSV export to ``output`` (or stdout); return a summary for the audit trail."""
    try:
        with db.transaction() as session:
            session.connection()  # an unreachable database fails here, before any output
            with output_to(output) as out:
                count = writer(session, out)
                out.flush()  # so a reader that went away shows here, not at exit
    except BrokenPipeError:
        raise OutputClosed() from None
    except OSError as exc:
        fail(f"{output or 'standard output'}: {exc.strerror or exc}")
    if output is not None:
        click.echo(f"Exported {count} {what} to {output}", err=True)
    return f"{count} {what} to {output or 'standard output'}"


format_option = click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv",
                              show_default=True, help="Output format.")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                              default=None, help="Write to FILE instead of standard output.")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadDate(CommandFailed):
    """A malformed date option: one error line and exit status 2, like other usage errors."""

    exit_code = 2


def parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Parse a date option (--date, --since) as YYYY-MM-DD."""
    if value is None:
        return None
    # fromisoformat alone would also take "20261201"; operators' scripts should say one thing.
    if _ISO_DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    raise BadDate(f'{param.opts[0]}: "{value}" is not a date in the form YYYY-MM-DD')
