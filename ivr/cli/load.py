"""``ivr load``: many simulated callers at once against a running server (:mod:`ivr.sim.load`)."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import click

from ivr.cli.audit import CommandFailed
from ivr.cli.options import output_to
from ivr.errors import ConfigError, ScriptError, ServerUnreachable
from ivr.sim.load.callers import (
    DEFAULT_GRACE,
    MAX_CALLERS,
    MAX_DURATION,
    REQUEST_TIMEOUT,
    LoadPlan,
    LoadRun,
    Progress,
    Silent,
    is_loopback,
)
from ivr.sim.load.mix import DEFAULT_MIX, Mix, load_mix
from ivr.sim.load.report import html_report, summary_text, svg_report
from ivr.sim.load.stats import LoadSummary
from ivr.sim.transport import HttpTransport, http_base_url, token_from_env

REPORT_KINDS = (".html", ".svg")
BAR_STEPS_PER_SECOND = 10


class BadOption(CommandFailed):
    """A bad option value: one error line and exit status 2, like other usage errors."""

    exit_code = 2


def _number(option: str, text: str, whole: bool = False) -> float:
    """An option's value as a number (a whole one when ``whole``), or one error line."""
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number of seconds"
        raise BadOption(f"{option}: {text!r} is not {kind}") from None
    if not math.isfinite(value):
        raise BadOption(f"{option}: {text!r} is not a number of seconds")
    return value


def _mix(path: Path | None) -> Mix:
    """The mix named, or the checkout's default one."""
    try:
        return load_mix(path or DEFAULT_MIX)
    except ScriptError as exc:
        hint = "" if path or DEFAULT_MIX.exists() else " (the default mix is in the " \
                                                      "checkout: run from there, or give --mix)"
        raise BadOption(f"--mix: {exc}{hint}") from None


def _report_path(report: Path | None) -> None:
    """Refuse a report that could not be written, before the run rather than after it."""
    if report is None:
        return
    if report.suffix.lower() not in REPORT_KINDS:
        raise BadOption(f"--report: {report} must end in {' or '.join(REPORT_KINDS)}")
    if not report.parent.is_dir():
        raise BadOption(f"--report: no directory {report.parent}")


def _base_url(url: str | None, allow_remote: bool) -> str:
    """The server's base URL; one that is not this machine only with --allow-remote."""
    if not url:
        raise BadOption("--url is required: the base URL of a running server, such as "
                        "http://127.0.0.1:5000")
    if "@" in urlsplit(url if "//" in url else f"//{url}").netloc:
        # It would be printed in the title and the report; Twilio's webhooks carry none.
        raise BadOption("--url: leave the user name and password out (the line's webhooks are "
                        "signed, not logged in to)")
    try:
        base = http_base_url(url)
    except ConfigError as exc:
        raise BadOption(f"--url: {exc}") from None
    if not allow_remote and not is_loopback(base):
        raise BadOption(f"--url: {base} is not this machine; to load another server, name "
                        "it and add --allow-remote")
    return base


def _plan(base: str, mix: Mix, options: dict[str, str | None]) -> LoadPlan:
    """The run the options (as typed) ask for, within the bounds (else one error line)."""
    def number(name: str) -> float:
        return _number(f"--{name.replace('_', '-')}", options[name] or "")

    def whole(name: str) -> int:
        return int(_number(f"--{name.replace('_', '-')}", options[name] or "", whole=True))

    try:
        return LoadPlan(base, whole("callers"), number("think"), number("duration"), mix,
                        grace=number("grace"), seed=whole("seed"), timeout=number("timeout"),
                        max_calls=None if options["max_calls"] is None else whole("max_calls"),
                        ramp=None if options["ramp"] is None else number("ramp"))
    except ValueError as exc:
        raise BadOption(str(exc)) from None


def _signing_token(base: str) -> str:
    """The auth token to sign with, once a server is known to answer at ``base``."""
    try:
        HttpTransport(base, token="").ensure_answering()
        return token_from_env()
    except (ServerUnreachable, ConfigError) as exc:
        raise CommandFailed(str(exc)) from None


class _ProgressBar(Protocol):
    """What of click's progress bar is used here."""

    pos: int

    def update(self, n_steps: int, current_item: str | None = None) -> None: ...

    def render_finish(self) -> None: ...


class _Bar:
    """The run's progress on a terminal: seconds elapsed, with requests, calls and errors."""

    def __init__(self, bar: _ProgressBar, steps: int, grace: float) -> None:
        self.bar = bar
        self.steps = steps
        self.grace = grace

    def running(self, elapsed: float, counts: tuple[int, int, int]) -> None:
        """Move the bar to ``elapsed``."""
        requests, calls, errors = counts
        done = min(self.steps, int(elapsed * BAR_STEPS_PER_SECOND))
        self.bar.update(done - self.bar.pos,
                        f"{requests} requests, {calls} calls, {errors} errors")

    def finishing(self, in_progress: int) -> None:
        """Fill the bar; say how many calls are still to end."""
        self.bar.update(self.steps - self.bar.pos)
        self.bar.render_finish()
        if in_progress:
            click.echo(f"waiting up to {self.grace:g} s for {in_progress} calls in progress",
                       err=True)


@contextlib.contextmanager
def _progress(duration: float, grace: float) -> Iterator[Progress]:
    """A progress bar on standard error when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield Silent()
        return
    steps = max(1, math.ceil(duration * BAR_STEPS_PER_SECOND))
    with click.progressbar(length=steps, label="calling", file=sys.stderr, show_eta=False,
                           item_show_func=lambda text: text) as bar:
        yield _Bar(bar, steps, grace)


def _write_report(report: Path, summary: LoadSummary, title: str) -> None:
    page = html_report(summary, title) if report.suffix.lower() == ".html" \
        else svg_report(summary)
    try:
        with output_to(report) as out:
            out.write(page)
    except OSError as exc:
        raise CommandFailed(f"--report: {report}: {exc.strerror or exc}") from None
    click.echo(f"Report written to {report}", err=True)


@click.command("load")
@click.option("--url", metavar="URL", help="Base URL of the running server (required).")
@click.option("--callers", default="10", show_default=True, metavar="N",
              help=f"Simulated callers at once (at most {MAX_CALLERS}).")
@click.option("--think", default="3", show_default=True, metavar="SECONDS",
              help="A caller's pause before each action (give or take a quarter).")
@click.option("--duration", default="60", show_default=True, metavar="SECONDS",
              help=f"How long calls are started for (at most {MAX_DURATION:g}).")
@click.option("--ramp", metavar="SECONDS",
              help="Spread the callers' first calls over this long (default: the think time).")
@click.option("--grace", default=f"{DEFAULT_GRACE:g}", show_default=True, metavar="SECONDS",
              help="How long calls in progress may go on after the duration.")
@click.option("--max-calls", metavar="N", help="Start no more than N calls in all.")
@click.option("--mix", "mix_path", type=click.Path(path_type=Path), metavar="FILE",
              help=f"The scripts to call with, and their weights (default {DEFAULT_MIX}).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the results, with charts: FILE.html (or FILE.svg).")
@click.option("--timeout", default=f"{REQUEST_TIMEOUT:g}", show_default=True,
              metavar="SECONDS", help="How long to wait for each answer (Twilio waits 15 s).")
@click.option("--seed", default="0", show_default=True, metavar="N",
              help="Seeds the scripts picked and the think times.")
@click.option("--allow-remote", is_flag=True,
              help="Allow a --url that is not this machine (localhost, 127.0.0.1, ::1).")
def load_command(url: str | None, mix_path: Path | None, report: Path | None,
                 allow_remote: bool, **options: str | None) -> None:
    """Run many simulated callers at once against a running server and print the requests
    per second, the response times per turn (p50/p95/p99), the errors and the calls.

    Exits 1 when any request or call failed (a script's expectation that did not hold is
    reported, but is not an error).
    """
    base = _base_url(url, allow_remote)
    mix = _mix(mix_path)
    _report_path(report)
    plan = _plan(base, mix, options)
    token = _signing_token(base)
    if mix.overrides():
        click.echo(f"warning: the scripts' {', '.join(mix.overrides())} cannot be applied to "
                   "a running server; ignored", err=True)
    title = (f"ivr load: {plan.callers} callers, think {plan.think:g} s, for "
             f"{plan.duration:g} s against {base} (mix {mix.source}, seed {plan.seed})")
    click.echo(title)
    with _progress(plan.duration, plan.grace) as progress:
        summary = LoadRun(plan, token=token).run(progress)
    click.echo("\n".join(summary_text(summary)))
    if report is not None:
        _write_report(report, summary, title)
    if summary.errors:
        raise click.exceptions.Exit(1)
