"""A script's ``settings`` and ``today``: the line's settings changed for one call, in process;
and its ``settings`` steps, which change them from that point of the call on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, nullcontext
from types import TracebackType
from typing import Any

from flask import Flask

from ivr.config import ENV_NAMES, has_settings, override_settings, store_settings
from ivr.errors import ConfigError, ScriptError
from ivr.sim.script_load import Script, Step
from ivr.sim.transport import InProcessTransport, Transport

_MISSING = object()


@contextmanager
def config_overrides(app: Flask, overrides: Mapping[str, Any],
                     where: str = "settings") -> Iterator[None]:
    """Temporarily change ``app``'s settings; restores every one afterwards.

    Our app's environment variables change its settings (checked like the environment's: a
    bad value is a ScriptError that starts with ``where``); anything else, or any setting of
    another Flask app, goes to ``app.config``.
    """
    ours = {key: value for key, value in overrides.items()
            if has_settings(app) and key in ENV_NAMES}
    if not ours:
        with _flask_config_overrides(app, overrides):
            yield
        return
    try:
        previous = override_settings(app, **ours)
    except ConfigError as error:
        raise ScriptError(f"{where}: {error}") from None
    try:
        with _flask_config_overrides(app, {k: v for k, v in overrides.items() if k not in ours}):
            yield
    finally:
        store_settings(app, previous)


@contextmanager
def _flask_config_overrides(app: Flask, overrides: Mapping[str, Any]) -> Iterator[None]:
    """Temporarily update ``app.config``; restores (or removes) every key afterwards."""
    saved = {key: app.config.get(key, _MISSING) for key in overrides}
    app.config.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is _MISSING:
                app.config.pop(key, None)
            else:
                app.config[key] = value


def script_overrides(script: Script, transport: Transport, echo: Callable[[str], None]) -> Any:
    """The config context for the script's ``settings``/``today``; remote: a warning."""
    overrides = dict(script.settings)
    if script.today:
        overrides["IVR_TODAY"] = script.today
    if not overrides:
        return nullcontext()
    if isinstance(transport, InProcessTransport):
        return config_overrides(transport.app, overrides)
    echo(f"warning: {not_applied(', '.join(overrides))}")
    return nullcontext()


def not_applied(what: str) -> str:
    """The warning that settings (``what``) are not changed at a server at a URL."""
    return f"{what} cannot be applied to a remote server; ignored"


class SettingsSteps:
    """Applies a script's ``settings`` steps as the call reaches them.

    In process, each changes the line's settings from that step on (as an operator changing
    the environment and restarting the workers mid-call would), until the call ends: leaving
    this context restores them, the latest change first. Against a server, each is a warning
    and is ignored.
    """

    def __init__(self, transport: Transport, echo: Callable[[str], None]) -> None:
        self.transport = transport
        self.echo = echo  # where the warning goes
        self._changes = ExitStack()

    def apply(self, step: Step) -> None:
        """Change the settings ``step`` names; a bad value is a ScriptError naming the step."""
        if not isinstance(self.transport, InProcessTransport):
            self.echo(f"warning: {not_applied(step.describe())}")
            return
        self._changes.enter_context(
            config_overrides(self.transport.app, step.settings, where=step.describe()))

    def __enter__(self) -> SettingsSteps:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._changes.close()
