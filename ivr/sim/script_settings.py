"""A script's ``settings`` and ``today``: the line's settings changed for one call, in process."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

from flask import Flask

from ivr.config import ENV_NAMES, has_settings, override_settings, store_settings
from ivr.errors import ConfigError, ScriptError
from ivr.sim.script_load import Script
from ivr.sim.transport import InProcessTransport, Transport

_MISSING = object()


@contextmanager
def config_overrides(app: Flask, overrides: Mapping[str, Any]) -> Iterator[None]:
    """Temporarily change ``app``'s settings; restores every one afterwards.

    Our app's environment variables change its settings (checked like the environment's);
    anything else, or any setting of another Flask app, goes to ``app.config``.
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
        raise ScriptError(f"settings: {error}") from None
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
    echo(f"warning: {', '.join(overrides)} cannot be applied to a remote server; ignored")
    return nullcontext()
