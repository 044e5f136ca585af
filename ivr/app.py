"""The application factory: configuration, database, ports and web blueprints.

The command line is attached by the top-level ``app.py`` (``flask --app app``) and by
:mod:`ivr.cli`; this module never imports it, so the commands can build apps from here.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.config import settings_from_env
from ivr.db import db
from ivr.ports import database as services
from ivr.web import health, voice

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the webhook server; ``test_config`` overrides environment settings."""
    app = Flask("app", instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings_from_env(Path(app.instance_path)))
    app.config["IVR_FIXTURES_DIR"] = str(Path(app.root_path) / "fixtures")
    if test_config:
        app.config.from_mapping(test_config)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    # Alembic narrates every migration step at INFO; operators need only problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    db.init_app(app)

    services.init_app(app)
    app.register_blueprint(voice.bp)
    app.register_blueprint(health.bp)

    hops = app.config["IVR_TRUSTED_PROXIES"]
    if hops:
        # Twilio signs the public URL; rebuild it from the proxy's X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    return app
