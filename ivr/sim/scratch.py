"""Throwaway copies of the app on a fresh demo database, so replayed calls start alike.

Migrating a database and loading the demo data takes most of a second; a replayed call takes
a tenth of that. So the first copy of some settings builds a template database once per
process, and every copy after it starts from a copy of that file: the same schema and demo
data, in the time it takes to copy a few hundred kilobytes.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from ivr.app import create_app
from ivr.config import settings_of
from ivr.db import db
from ivr.ops.server import prepare

# Flask settings a scratch copy keeps from the app it copies (besides all of ours).
_COPIED_FLASK_KEYS = ("TESTING",)
_DATABASE_FILE = "scratch.sqlite3"


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
    config = {**settings, **(overrides or {})}
    with tempfile.TemporaryDirectory(prefix="ivr-call-") as folder:
        database = Path(folder) / _DATABASE_FILE
        shutil.copyfile(_TEMPLATES.path_for(config), database)
        app = create_app({**config, "IVR_DATABASE_URL": f"sqlite:///{database}"})
        try:
            yield app
        finally:
            db.engine(app).dispose()


class _Templates:
    """One migrated demo database per distinct settings, built on first use in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # Alembic's context is per process: one build at a time
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._paths: dict[tuple[tuple[str, str], ...], Path] = {}

    def path_for(self, config: Mapping[str, object]) -> Path:
        """The template database for ``config`` (any database URL in it is ignored)."""
        key = tuple(sorted((name, str(value)) for name, value in config.items()
                           if name != "IVR_DATABASE_URL"))
        with self._lock:
            if key not in self._paths:
                self._paths[key] = self._build(config, len(self._paths))
            return self._paths[key]

    def _build(self, config: Mapping[str, object], number: int) -> Path:
        if self._folder is None:  # removed when the process exits
            self._folder = tempfile.TemporaryDirectory(prefix="ivr-call-templates-")
        path = Path(self._folder.name) / f"template-{number}.sqlite3"
        app = create_app({**config, "IVR_DATABASE_URL": f"sqlite:///{path}"})
        prepare(app, load_demo_data=True)  # disposes the engine: the file is whole when copied
        return path


_TEMPLATES = _Templates()
