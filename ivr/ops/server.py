"""``ivr serve``: migrate, load demo data if empty, then run gunicorn with the outbox worker.

Never demo data in production: its accounts have published PINs, and its methods on file are
sandbox tokens no real gateway knows.
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from ivr.config import settings_of
from ivr.db import db
from ivr.errors import ConfigError
from ivr.ops.background import OutboxWorker
from ivr.ops.cpus import default_workers
from ivr.ops.demo import has_accounts, load_demo
from ivr.ops.migrate import upgrade
from ivr.security.pins import pins_of
from ivr.sms.backends import make_sms_backend

# Threads per worker: a turn holds the interpreter lock while it computes, so threads add no
# CPU; they keep the process answering while a request waits on PostgreSQL or a gateway.
# Four, with the outbox thread, stay within SQLAlchemy's pool of 5 connections a process
# (more would open and close a connection per request beyond it).
THREADS = 4
# Twilio gives up on a webhook after 15 s; a worker stuck for twice that is wedged.
TIMEOUT_SECONDS = 30


class GunicornServer(BaseApplication):
    """Gunicorn running an already-created Flask app (no import string, no config file)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Copy our options into gunicorn's settings."""
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # Gunicorn 25.1+ opens a control socket at one fixed path in $HOME by default, which a
        # second `ivr serve` would fight over; nothing here uses gunicornc.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        """The WSGI app each worker serves."""
        return self.application


def gunicorn_options(app: Flask, host: str, port: int, workers: int) -> dict[str, Any]:
    """Gunicorn settings, including the hooks that give each worker its own outbox thread."""

    def post_fork(server: Any, worker: Any) -> None:
        """Forget the master's pooled connections in the new worker."""
        # Pooled connections inherited from the master must not be shared across processes;
        # close=False leaves the master's sockets alone.
        db.engine(app).dispose(close=False)

    def post_worker_init(worker: Any) -> None:
        """Give each worker process its own outbox thread."""
        settings = settings_of(app)
        worker.ivr_outbox = OutboxWorker(db.sessions(app), make_sms_backend(settings),
                                         call_log_days=settings.call_log_days)
        worker.ivr_outbox.start()

    def worker_exit(server: Any, worker: Any) -> None:
        """Let the outbox thread finish the message it is sending."""
        outbox = getattr(worker, "ivr_outbox", None)
        if outbox is not None:
            outbox.stop()

    log_file = settings_of(app).log_file
    return {
        "bind": f"{host}:{port}", "workers": workers, "threads": THREADS,
        "worker_class": "gthread", "timeout": TIMEOUT_SECONDS,
        # Gunicorn's own log lines go where the line's do: IVR_LOG_FILE, else stdout/stderr.
        "accesslog": log_file or "-", "errorlog": log_file or "-",
        "post_fork": post_fork, "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
    }


def prepare(app: Flask, load_demo_data: bool) -> bool:
    """Migrate the schema and load demo data into an empty database; True if loaded.

    In production demo data is never loaded, whatever ``load_demo_data`` says (``ivr call``
    in-process prepares the database too).
    """
    engine = db.engine(app)
    upgrade(engine)
    loaded = False
    if load_demo_data and not settings_of(app).production:
        with db.transaction(app) as session:
            if not has_accounts(session):
                load_demo(session, pins_of(app))
                loaded = True
    # Workers are forked from this process: start them with no open connections.
    engine.dispose()
    return loaded


def banner(app: Flask, host: str, port: int, workers: int) -> str:
    """One line saying where the server listens and what it talks to."""
    url = db.engine(app).url.render_as_string(hide_password=True)
    settings = settings_of(app)
    return (f"ivr: listening on http://{host}:{port} ({workers} workers) | database {url} | "
            f"gateway {settings.payment_gateway} | sms {settings.sms_backend}"
            f" | try: .venv/bin/ivr call --url http://127.0.0.1:{port}")


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`ConfigError` (naming ``--port``) if ``host:port`` cannot be listened on.

    Checked before anything says "listening": gunicorn would otherwise log a retry every
    second for five seconds, then exit.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            # As gunicorn binds: a port left in TIME_WAIT by an earlier server is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"port {port} on {host} is already in use; "
                              f"choose another with --port") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(app: Flask, host: str = "127.0.0.1", port: int = 5000, workers: int | None = None,
          load_demo_data: bool = True) -> None:
    """Prepare the database and serve ``app`` with gunicorn until interrupted, with
    ``workers`` processes (one per usable CPU when not given: :mod:`ivr.ops.cpus`)."""
    workers = workers or default_workers()
    # Fail now with a clear message rather than in every worker after fork.
    make_sms_backend(settings_of(app))
    check_port_free(host, port)
    if load_demo_data and settings_of(app).production:
        # Serving goes on as with --no-demo: refusing would stop a line over a flag it ignores.
        print("ivr: IVR_ENV=production: demo accounts are never loaded (as with --no-demo); "
              "import accounts with ivr accounts import FILE", file=sys.stderr)
    if prepare(app, load_demo_data):
        print("ivr: empty database; loaded the demo accounts", file=sys.stderr)
    print(banner(app, host, port, workers), file=sys.stderr, flush=True)
    GunicornServer(app, gunicorn_options(app, host, port, workers)).run()
