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


def scratch_settings(base: Flask) -> dict[str, object]:
    """Every setting of ``base`` but where data lives (plain values: a worker process gets
    them to make its own copies)."""
    config: dict[str, object] = dict(settings_of(base).as_env())
    config |= {key: base.config[key] for key in _COPIED_FLASK_KEYS if key in base.config}
    return config


@contextmanager
def scratch_demo_app(base: Flask | Mapping[str, object],
                     overrides: Mapping[str, str] | None = None) -> Iterator[Flask]:
    """``base``'s settings (an app's, or :func:`scratch_settings`), but ``overrides``, on a
    new temporary SQLite database holding the demo accounts."""
    settings = scratch_settings(base) if isinstance(base, Flask) else base
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as folder:
        config = {**settings, **(overrides or {}),
                  "IVR_DATABASE_URL": f"sqlite:///{folder}/scratch.sqlite3"}
        app = create_app(config)
        prepare(app, load_demo_data=True)
        try:
            yield app
        finally:
            db.engine(app).dispose()
