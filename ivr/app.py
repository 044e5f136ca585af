"""The application factory: configuration, database, ports and web blueprints.

The command line is attached by the top-level ``app.py`` (``flask --app app``) and by
:mod:`ivr.cli`; this module never imports it, so the commands can build apps from here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.config import ENV_NAMES, Settings, env_text, settings_of, store_settings
from ivr.db import db
from ivr.errors import ConfigError
from ivr.logs import configure_logging
from ivr.ports import database as services
from ivr.sms.backends import make_sms_backend
from ivr.web import agent, health, recordings, sms_status, voice

# Where the source checkout keeps its default database, when this package runs from one.
_CHECKOUT = Path(__file__).resolve().parent.parent


def instance_folder() -> Path:
    """The instance folder, which holds the default SQLite database (``ivr.sqlite3``).

    Run from a source checkout (an editable install), it is the checkout's ``instance/``.
    Installed as a package, it is ``<prefix>/var/ivr-instance``, Flask's place for an
    installed app's instance folder (``<prefix>`` is the virtualenv), so every command of
    one installation uses the same database whatever directory it runs in.
    """
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "ivr").is_dir():
        return _CHECKOUT / "instance"
    return Path(sys.prefix) / "var" / "ivr-instance"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the webhook server; ``test_config`` overrides environment settings.

    ``test_config`` maps environment variable names to values (checked like the
    environment's); any other key, such as ``TESTING``, goes to Flask's own ``app.config``.
    """
    instance = instance_folder()
    app = Flask("app", instance_path=str(instance), instance_relative_config=True)
    overrides = dict(test_config or {})
    store_settings(app, _settings(instance, overrides))
    app.config.from_mapping({key: value for key, value in overrides.items()
                             if key not in ENV_NAMES})
    _make_instance_folder(settings_of(app), instance)
    configure_logging(log_file=settings_of(app).log_file)

    db.init_app(app)

    services.init_app(app)
    # Texts are sent by the server and `ivr sms send`, but every command checks their
    # settings at start-up, as it checks every other setting.
    make_sms_backend(settings_of(app))
    app.register_blueprint(voice.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(sms_status.bp)
    app.register_blueprint(recordings.bp)
    app.register_blueprint(agent.voice_bp)
    app.register_blueprint(agent.context_bp)

    hops = settings_of(app).trusted_proxies
    if hops:
        # Twilio signs the public URL; rebuild it from the proxy's X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    return app


def _settings(instance: Path, overrides: Mapping[str, Any]) -> Settings:
    """The environment's settings with ``overrides``' variables in place of its own."""
    env = {**os.environ, **{key: env_text(value)
                            for key, value in overrides.items() if key in ENV_NAMES}}
    return Settings.from_env(instance, env)


def _make_instance_folder(settings: Settings, instance: Path) -> None:
    """Create the instance folder when the database lives there (the default SQLite file)."""
    if not settings.database_url.startswith(f"sqlite:///{instance}"):
        return
    try:
        instance.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {instance} for the default database "
                          f"({exc.strerror or exc}); set IVR_DATABASE_URL") from None
