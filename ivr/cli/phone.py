"""``ivr phone``: the browser phone, a keypad page placing simulated calls (development only)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator

import click
from flask import Flask
from werkzeug.serving import make_server

from ivr.cli.audit import CommandFailed
from ivr.cli.call import call_target
from ivr.cli.verbosity import verbose
from ivr.config import settings_of
from ivr.db import db
from ivr.errors import ConfigError
from ivr.logs import console_logging
from ivr.ops.server import check_port_free, prepare
from ivr.settings_production import environment
from ivr.sim.phone.server import Switchboard, phone_app
from ivr.sim.scratch import scratch_demo_app
from ivr.sim.transport import Transport


def refuse_production() -> None:
    """The phone is a developer's tool: never next to a production line's data."""
    try:
        production = environment(os.environ) == "production"
    except ConfigError as exc:
        raise CommandFailed(str(exc)) from None
    if production:
        raise CommandFailed("ivr phone is for development only, and IVR_ENV is production")


@contextlib.contextmanager
def line_called(target: Flask | Transport, fresh: bool) -> Iterator[tuple[Flask | Transport,
                                                                         str]]:
    """What the calls reach, and a line saying so: the server at ``--url``; in process, the
    configured database (schema and demo data made if missing, as ``ivr call`` does), or with
    ``fresh`` a copy of the demo data made for this run and deleted after it."""
    if not isinstance(target, Flask):
        yield target, target.base_url
        return
    if not fresh:
        prepare(target, load_demo_data=True)
        yield target, f"in process, database {_database(target)}"
        return
    with scratch_demo_app(target) as scratch:
        yield scratch, "in process, a fresh copy of the demo data"


def _database(app: Flask) -> str:
    return db.engine(app).url.render_as_string(hide_password=True)


def serve_phone(target: Flask | Transport, line: str, host: str, port: int) -> None:
    """Serve the page until interrupted; then hang up every call."""
    switchboard = Switchboard(target)
    try:
        check_port_free(host, port)
        server = make_server(host, port, phone_app(switchboard, line=line, host=host),
                             threaded=True)
    except (ConfigError, OSError) as exc:
        raise CommandFailed(str(exc)) from None
    click.echo(f"ivr phone: open http://{host}:{port} in a browser | calling {line} | "
               "Ctrl-C stops", err=True)
    try:
        with _stopped_by_sigterm():
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        switchboard.close()


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (``kill``, a process manager) stops the phone as Ctrl-C does: every call hung
    up and a ``--fresh`` copy deleted (Python's default for it runs no clean-up)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command("phone")
@click.option("--url", metavar="URL",
              help="Base URL of a running server (http://host:port); default: in-process.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address the page listens on (keep it on loopback).")
@click.option("--port", default=5050, show_default=True, type=click.IntRange(1, 65535))
@click.option("--fresh", is_flag=True,
              help="In-process: call a fresh copy of the demo data, deleted at exit, instead "
                   "of the configured database.")
@click.pass_context
def phone_command(ctx: click.Context, url: str | None, host: str, port: int,
                  fresh: bool) -> None:
    """Serve a phone in the browser: a keypad, a transcript, a "say" box, and the
    prompts read aloud, placing simulated calls to the line (development only).

    In-process by default, on the configured database like an interactive
    `ivr call`; --url calls a running server instead.
    """
    refuse_production()
    if url and fresh:
        raise click.UsageError("--fresh is for the line in process, not --url")
    target = call_target(ctx, url)
    if isinstance(target, Flask) and settings_of(target).production:
        raise CommandFailed("ivr phone is for development only, and IVR_ENV is production")
    if not verbose(ctx) and console_logging() is not False:
        logging.getLogger().setLevel(logging.WARNING)  # as ivr call: the page is the output
    with line_called(target, fresh) as (line, description):
        serve_phone(line, description, host, port)
