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
from ivr.cli.call_record import check_record_options, force_option, record_option, save_recording
from ivr.cli.call_scripts import run_scripts
from ivr.cli.verbosity import verbose
from ivr.errors import ConfigError, ServerUnreachable
from ivr.logs import console_logging
from ivr.ops.server import prepare
from ivr.sim.callers import run_interactive
from ivr.sim.pay_connectors import CONNECTORS as PAY_CONNECTORS
from ivr.sim.recorder import RecordingCaller
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.simulator import DEFAULT_FROM, DEFAULT_TO
from ivr.sim.suite import MAX_JOBS
from ivr.sim.transport import HttpTransport, Transport

FAILED_OUTCOMES = ("application-error", "loop")


class NotAvailable(CommandFailed):
    """An option that cannot work with the others given: one ``error:`` line, exit status 2."""

    exit_code = 2


def call_target(ctx: click.Context, url: str | None) -> Flask | Transport:
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


def _interactive(target: Flask | Transport, from_number: str | None,
                 to_number: str | None, pay_connector: str | None,
                 record_path: Path | None = None, force: bool = False) -> None:
    """Keys from stdin; exits 1 when the app failed during the call. With ``record_path``
    the call is saved there as a script, and in process it runs on a fresh copy of the
    demo data, as the script will."""
    numbers = {"from_number": from_number or DEFAULT_FROM, "to_number": to_number or DEFAULT_TO}
    if isinstance(target, Flask) and "ivr_db" in target.extensions:
        if record_path is not None:
            with scratch_demo_app(target) as app:
                _keyed_call(app, pay_connector, record_path, force, **numbers)
            return
        prepare(target, load_demo_data=True)  # as `ivr serve` would: schema and demo data
    _keyed_call(target, pay_connector, record_path, force, **numbers)


def _keyed_call(target: Flask | Transport, pay_connector: str | None, record_path: Path | None,
                force: bool, *, from_number: str, to_number: str) -> None:
    """The interactive call itself, recorded to ``record_path`` when given."""
    recorder = RecordingCaller() if record_path else None
    result = run_interactive(target, stream=sys.stdin, echo=_echo, prompt=_prompt,
                             from_number=from_number, to_number=to_number,
                             pay_connector=pay_connector,
                             keep=recorder.wrap if recorder else None)
    if recorder is not None and record_path is not None:
        save_recording(recorder, record_path, target, force=force, from_number=from_number,
                       to_number=to_number)
    if result.outcome in FAILED_OUTCOMES:
        raise click.exceptions.Exit(1)


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
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="With --script: also write a JUnit XML report (one test case a script).")
@click.option("--jobs", type=click.IntRange(1, MAX_JOBS), default=1, show_default=True,
              help="With --script DIR: run this many scripts at once, in process (each on "
                   "its own database); output and results are as with 1.")
@click.option("--coverage", is_flag=True,
              help="With --script: then report the steps, transitions and menu options of "
                   "the flow the scripts reached, and list the rest (in process only).")
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="With --script: exit 1 when the scripts reach less than PERCENT of the "
                   "flow's transitions (implies --coverage).")
@record_option
@force_option
@click.pass_context
def call_command(ctx: click.Context, url: str | None, from_number: str | None,
                 to_number: str | None, script_path: Path | None, quiet: bool,
                 pay_connector: str | None, language: str | None, junit: Path | None,
                 jobs: int, coverage: bool, min_coverage: float | None,
                 record_path: Path | None, force: bool) -> None:
    """Place a simulated call that speaks Twilio's webhook protocol to the app.

    Without --script, type keys at each prompt: digits, * or #; an empty line
    stays silent; h (or end of input) hangs up. In-process, an interactive call
    uses the configured database (schema and demo data created if missing);
    each script runs on a fresh copy of the demo data, so replays start alike.
    --record FILE.yaml saves an interactive call as a script.
    """
    check_record_options(record_path, force, scripted=script_path is not None)
    if url and (coverage or min_coverage is not None):
        raise NotAvailable("--coverage: a server at --url keeps its call log to itself; "
                           "measure coverage in process (leave --url out)")
    target = call_target(ctx, url)
    if not verbose(ctx) and console_logging() is not False:
        # What the caller hears is the output; the server's own log lines would only interleave
        # (under ``flask``, whose app logs to stderr). ``ivr`` without -v logs only to a file.
        # (After loading the app: its logging set-up would otherwise turn them back on.)
        logging.getLogger().setLevel(logging.WARNING)
    if script_path is None:
        if language is not None:
            raise click.UsageError("--language is for --script: an interactive caller "
                                   "chooses at the greeting")
        if junit is not None or jobs > 1:
            raise click.UsageError("--junit and --jobs are for --script")
        if coverage or min_coverage is not None:
            raise click.UsageError("--coverage and --min-coverage are for --script")
        _interactive(target, from_number, to_number, pay_connector, record_path, force)
    else:
        run_scripts(target, script_path, quiet=quiet, jobs=jobs, junit=junit,
                    coverage=coverage or min_coverage is not None, minimum=min_coverage,
                    options={"from_number": from_number, "to_number": to_number,
                             "pay_connector": pay_connector, "language": language})
