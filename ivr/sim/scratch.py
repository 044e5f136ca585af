"""Throwaway copies of the app on a fresh demo database, so replayed calls start alike."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from flask import Flask

from ivr.app import create_app
from ivr.config import settings_of
from ivr.db import db
from ivr.ops.server import prepare

# Flask settings a scratch copy keeps from the app it copies (besides all of ours).
_COPIED_FLASK_KEYS = ("TESTING",)


@contextmanager
def scratch_demo_app(base: Flask, overrides: Mapping[str, str] | None = None) -> Iterator[Flask]:
    """``base``'s settings (but ``overrides``) on a new temporary SQLite database holding
    the demo accounts."""
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as folder:
        # Every setting but where data lives.
        config: dict[str, object] = dict(settings_of(base).as_env())
        config |= {key: base.config[key] for key in _COPIED_FLASK_KEYS if key in base.config}
        config |= dict(overrides or {})
        config["IVR_DATABASE_URL"] = f"sqlite:///{folder}/scratch.sqlite3"
        app = create_app(config)
        prepare(app, load_demo_data=True)
        try:
            yield app
        finally:
            db.engine(app).dispose()
