"""``ivr call --script``: a script file or a folder of them, one at a time or several at once
(``--jobs``), with a JUnit report for CI (``--junit``)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from ivr.cli.audit import CommandFailed
from ivr.cli.options import output_to
from ivr.sim.coverage import measure
from ivr.sim.junit import junit_xml
from ivr.sim.suite import (
    Options,
    ScriptRun,
    SuiteRun,
    fresh_per_script,
    run_script_dir,
    run_suite,
)
from ivr.sim.transport import Transport


def _echo(line: str) -> None:
    click.echo(line)


def run_scripts(target: Flask | Transport, path: Path, *, quiet: bool, jobs: int,
                junit: Path | None, options: Options, coverage: bool = False,
                minimum: float | None = None) -> None:
    """One script file, or every script in a folder (``jobs`` at a time); exits 1 on any
    failure. ``options``: ``from_number``, ``to_number``, ``pay_connector`` and ``language``
    for every script. ``junit``: where the JUnit report goes, written whatever the outcome.
    ``coverage``: then what they reached of the flow; exits 1 below ``minimum`` percent of
    its transitions."""
    if jobs > 1 and not fresh_per_script(target):
        # Against --url (or an app that is not the line's), every call uses the same data.
        raise CommandFailed("--jobs: the scripts share the server's data here, so they run "
                            "one at a time (leave --jobs out)")
    if junit is not None and not junit.parent.is_dir():
        raise CommandFailed(f"--junit: no folder {junit.parent}")
    if path.is_dir():
        suite = run_script_dir(target, path, echo=_echo, quiet=quiet, jobs=jobs,
                               options=options)
        if not suite.runs:
            raise CommandFailed(f"no *.yaml scripts in {path}")
    else:  # its verdict is told below, once the report is written
        suite = run_suite(target, [path], echo=_echo, verdict=_ignore, quiet=quiet,
                          options=options)
    if junit is not None:
        _write_junit(junit, suite, (path if path.is_dir() else path.parent).resolve().name)
    if not path.is_dir():
        _tell_verdict(path, suite.runs[0])
    if coverage:
        _tell_coverage(suite, minimum)
    if suite.passed < len(suite.runs):
        raise click.exceptions.Exit(1)


def _tell_coverage(suite: SuiteRun, minimum: float | None) -> None:
    """What the scripts' calls reached of the flow (nothing when none made a call, a server
    at a URL say); one error line when short of ``minimum``."""
    logged = [run.turns for run in suite.runs if run.turns is not None]
    if not logged:
        return
    reached = measure(turn for turns in logged for turn in turns)
    for line in reached.lines():
        click.echo(line)
    short = reached.short_of(minimum) if minimum is not None else None
    if short is not None:
        raise CommandFailed(short)


def _ignore(_line: str) -> None:
    """Show nothing."""


def _tell_verdict(path: Path, run: ScriptRun) -> None:
    """A script file's failure on stderr; a malformed one is a usage error."""
    if run.error is not None:
        raise click.UsageError(f"{path}: {run.error}")
    if run.verdict is not None:
        click.echo(run.verdict, err=True)


def _write_junit(junit: Path, suite: SuiteRun, name: str) -> None:
    """Write the JUnit report whole (it appears only once complete)."""
    try:
        with output_to(junit) as out:
            out.write(junit_xml(suite, name))
    except OSError as exc:
        raise CommandFailed(f"--junit: {junit}: {exc.strerror or exc}") from None
