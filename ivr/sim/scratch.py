"""Throwaway copies of the app on a fresh demo database, so replayed calls start alike."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from ivr.db import db
from ivr.ops.server import prepare

# Settings a scratch copy keeps from the app it copies (everything but where data lives).
_COPIED_PREFIXES = ("IVR_", "TWILIO_", "TESTING")


@contextmanager
def scratch_demo_app(base: Flask) -> Iterator[Flask]:
    """``base``'s settings on a new temporary SQLite database holding the demo accounts."""
    from ivr.app import create_app

    with tempfile.TemporaryDirectory(prefix="ivr-call-") as folder:
        config = {k: v for k, v in base.config.items() if k.startswith(_COPIED_PREFIXES)}
        config["IVR_DATABASE_URL"] = f"sqlite:///{folder}/scratch.sqlite3"
        app = create_app(config)
        prepare(app, load_demo_data=True)
        try:
            yield app
        finally:
            db.engine(app).dispose()
