"""``ivr call``: place a simulated call, interactively or from YAML scripts."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from flows.speech import languages
from ivr.cli.audit import CommandFailed
from ivr.cli.verbosity import verbose
from ivr.errors import ConfigError, ScriptFailure, ServerUnreachable
from ivr.logs import console_logging
from ivr.ops.server import prepare
from ivr.sim.callers import run_interactive
from ivr.sim.coverage import Run, measuring
from ivr.sim.pay_connectors import CONNECTORS as PAY_CONNECTORS
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.script import (
    ScriptError,
    run_script,
    run_script_dir,
)
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO, CallResult
from ivr.sim.transport import HttpTransport, Transport

FAILED_OUTCOMES = ("application-error", "loop")


class NotAvailable(CommandFailed):
    """An option that cannot work with the others given: one ``error:`` line, exit status 2."""

    exit_code = 2


def _target(ctx: click.Context, url: str | None) -> Flask | Transport:
    """The remote server for ``--url``, else the app this command runs in."""
    if url:
        try:
            transport = HttpTransport(url)
            transport.ensure_answering()
        except ConfigError as exc:
            raise CommandFailed(f"--url: {exc}") from None
        except ServerUnreachable as exc:
            raise CommandFailed(str(exc)) from None
        return transport
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    return ctx.ensure_object(ScriptInfo).load_app()


def _echo(line: str) -> None:
    click.echo(line)


def _prompt(text: str) -> None:
    click.echo(text, nl=False)


def run_fresh(target: Flask | Transport, path: Path, **options: object) -> CallResult:
    """Run one script; in-process, on a fresh demo database so every replay starts alike."""
    if isinstance(target, Flask) and "ivr_db" in target.extensions:
        with scratch_demo_app(target) as app:
            return run_script(app, path, **options)  # type: ignore[arg-type]
    return run_script(target, path, **options)  # type: ignore[arg-type]


def _interactive(target: Flask | Transport, from_number: str | None,
                 to_number: str | None, pay_connector: str | None) -> None:
    """Keys from stdin; exits 1 when the app failed during the call."""
    if isinstance(target, Flask) and "ivr_db" in target.extensions:
        prepare(target, load_demo_data=True)  # as `ivr serve` would: schema and demo data
    result = run_interactive(target, stream=sys.stdin, echo=_echo,
                             prompt=_prompt, from_number=from_number or DEFAULT_FROM,
                             to_number=to_number or DEFAULT_TO, pay_connector=pay_connector)
    if result.outcome in FAILED_OUTCOMES:
        raise click.exceptions.Exit(1)


def _scripted(target: Flask | Transport, path: Path, quiet: bool, run: Run = run_fresh,
              **numbers: str | None) -> None:
    """One script file, or every script in a folder, each by ``run``; exits 1 on any failure.
    ``numbers``: ``from_number``, ``to_number``, ``pay_connector`` and ``language`` for every
    script."""
    if path.is_dir():
        outcomes = run_script_dir(target, path, echo=_echo, quiet=quiet, run=run, **numbers)
        if not outcomes:
            raise CommandFailed(f"no *.yaml scripts in {path}")
        if any(failure is not None for failure in outcomes.values()):
            raise click.exceptions.Exit(1)
        return
    try:
        run(target, path, echo=_echo, quiet=quiet, **numbers)
    except ScriptError as exc:
        raise click.UsageError(f"{path}: {exc}") from None
    except ScriptFailure as exc:
        click.echo(f"FAIL {path.name}\n{exc}", err=True)
        raise click.exceptions.Exit(1) from None


def _measured(target: Flask | Transport, path: Path, quiet: bool, minimum: float | None,
              **numbers: str | None) -> None:
    """The scripts (see ``_scripted``), then what they reached of the flow's table; exits 1
    when they reach less than ``minimum`` percent of its transitions."""
    with measuring(run_fresh, _echo) as run:
        _scripted(target, path, quiet, run, **numbers)
    short = run.coverage().short_of(minimum) if minimum is not None else None
    if short is not None:
        raise CommandFailed(short)


@click.command("call")
@click.option("--url", metavar="URL",
              help="Base URL of a running server (http://host:port); default: in-process.")
@click.option("--from", "from_number", metavar="NUMBER",
              help=f"Caller's number (default {DEFAULT_FROM}, or the script's 'from').")
@click.option("--to", "to_number", metavar="NUMBER",
              help=f"Number called (default {DEFAULT_TO}, or the script's 'to').")
@click.option("--script", "script_path", type=click.Path(exists=True, path_type=Path),
              help="A YAML call script, or a folder whose *.yaml scripts all run.")
@click.option("-q", "--quiet", is_flag=True, help="With --script: print only PASS/FAIL lines.")
@click.option("--pay-connector", type=click.Choice(PAY_CONNECTORS),
              help="The Pay Connector <Pay> emulates (default: the script's 'pay_connector', "
                   "else the in-process line's gateway, else sandbox).")
@click.option("--language", type=click.Choice(sorted(languages())),
              help="With --script: play it in this language (the script's 'language' "
                   "otherwise), choosing it at the greeting if the call is in another.")
@click.option("--coverage", is_flag=True,
              help="With --script: then report the steps, transitions and menu options of "
                   "the flow the scripts reached, and list the rest (in process only).")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --script: exit 1 when the scripts reach less than PERCENT of the "
                   "flow's transitions (implies --coverage).")
@click.pass_context
def call_command(ctx: click.Context, url: str | None, from_number: str | None,
                 to_number: str | None, script_path: Path | None, quiet: bool,
                 pay_connector: str | None, language: str | None, coverage: bool,
                 min_coverage: float | None) -> None:
    """Place a simulated call that speaks Twilio's webhook protocol to the app.

    Without --script, type keys at each prompt: digits, * or #; an empty line
    stays silent; h (or end of input) hangs up. In-process, an interactive call
    uses the configured database (schema and demo data created if missing);
    each script runs on a fresh copy of the demo data, so replays start alike.
    """
    if url and (coverage or min_coverage is not None):
        raise NotAvailable("--coverage: a server at --url keeps its call log to itself; "
                           "measure coverage in process (leave --url out)")
    target = _target(ctx, url)
    if not verbose(ctx) and console_logging() is not False:
        # What the caller hears is the output; the server's own log lines would only interleave
        # (under ``flask``, whose app logs to stderr). ``ivr`` without -v logs only to a file.
        # (After loading the app: its logging set-up would otherwise turn them back on.)
        logging.getLogger().setLevel(logging.WARNING)
    if script_path is None:
        if language is not None:
            raise click.UsageError("--language is for --script: an interactive caller "
                                   "chooses at the greeting")
        if coverage or min_coverage is not None:
            raise click.UsageError("--coverage and --min-coverage are for --script")
        _interactive(target, from_number, to_number, pay_connector)
    elif coverage or min_coverage is not None:
        _measured(target, script_path, quiet, min_coverage, from_number=from_number,
                  to_number=to_number, pay_connector=pay_connector, language=language)
    else:
        _scripted(target, script_path, quiet, from_number=from_number, to_number=to_number,
                  pay_connector=pay_connector, language=language)
