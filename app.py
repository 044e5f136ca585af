"""The entry ``flask --app app`` needs: the line's factory with its commands attached.

Everything else lives in the :mod:`ivr` package; ``ivr`` (the console script) is the same
line with the same commands.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ivr.app import create_app as create_line
from ivr.cli import register_cli


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The line (see :func:`ivr.app.create_app`) with the ``ivr`` commands on ``flask``."""
    app = create_line(test_config)
    register_cli(app)
    return app
