"""Where log lines go: standard error, a file (``IVR_LOG_FILE``), both, or nowhere.

A server's log is its output, so an app created to serve (``flask run``, gunicorn,
``ivr serve``) logs to standard error as :func:`logging.basicConfig` would, or only to
``IVR_LOG_FILE`` when that is set. An operator command prints its result and one-line errors
only: its log lines go to ``IVR_LOG_FILE`` when set, and to standard error only with
``ivr -v``. A process that set up logging itself (a test run, an embedding host) keeps its own.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The handlers this module put on the root logger, by role ("console", "file").
_installed: dict[str, logging.Handler] = {}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time, so a swapped stream (a test runner's)
    is never written after it was closed."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current standard error."""


def _install(role: str, handler: logging.Handler) -> None:
    """Put ``handler`` on the root logger in place of the one this module installed for ``role``."""
    root = logging.getLogger()
    old = _installed.pop(role, None)
    if old is not None:
        root.removeHandler(old)
        old.close()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    _installed[role] = handler


def configure_logging(*, log_file: str = "", console: bool | None = None) -> None:
    """Send log lines (INFO and up) to ``log_file`` if given, and to stderr if ``console``.

    ``console=None`` leaves an earlier choice (``ivr -v`` or its absence) alone; with none made,
    it logs to stderr only when nothing else would see the lines: no ``log_file`` and no
    handlers set up by the host process.
    """
    root = logging.getLogger()
    # Alembic narrates every migration step at INFO; operators need only problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if console is None and "console" not in _installed and not (log_file or root.handlers):
        console = True
    if console is not None:
        _install("console", _StderrHandler() if console else logging.NullHandler())
    current = _installed.get("file")
    if log_file and not (isinstance(current, logging.FileHandler)
                         and current.baseFilename == os.path.abspath(log_file)):
        _install("file", logging.FileHandler(log_file, encoding="utf-8"))
    if _installed:
        root.setLevel(logging.INFO)


def console_logging() -> bool | None:
    """Whether this module sends log lines to stderr; None when it was never asked to choose."""
    handler = _installed.get("console")
    return None if handler is None else isinstance(handler, _StderrHandler)


def logging_restorer() -> Callable[[], None]:
    """A function that puts the root logger back as it is now (handlers, level, our roles)."""
    root = logging.getLogger()
    handlers, level, installed = list(root.handlers), root.level, dict(_installed)

    def restore() -> None:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        _installed.clear()
        _installed.update(installed)

    return restore
