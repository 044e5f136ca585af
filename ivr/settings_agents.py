"""Reading and checking the agent settings, and the fixed clock tests and demos may set.

``IVR_AGENT_NUMBER`` (where transfers ring), ``IVR_AGENT_HOURS`` (when), the secret that
signs agents' context links, and ``IVR_NOW``. Each function raises
:class:`~ivr.errors.ConfigError` with one line naming the variable; :mod:`ivr.config` builds
the settings from these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from flows.hours import parse_hours
from ivr.errors import ConfigError
from ivr.phones import to_e164
from ivr.settings_production import production_secret

# Stands in for IVR_AGENT_CONTEXT_KEY outside production: published, so worth nothing.
DEV_AGENT_CONTEXT_KEY = "dev-agent-context-key-not-secret-000000"
MIN_AGENT_CONTEXT_KEY_LENGTH = 32
# A Twilio Client identity (Twilio's mobile SDKs take letters, digits and underscores only).
_CLIENT = re.compile(r"client:[A-Za-z0-9_]{1,256}")
# A SIP URI to dial: user@host with optional port and ;parameters. No ?headers: the line
# adds its own (the call's facts), and Twilio wants the URI under 255 characters.
_SIP = re.compile(r"sips?:[^@\s?;]+@[A-Za-z0-9.-]+(:\d{1,5})?(;[^\s?;]+)*")
SIP_URI_LENGTH = 200
_NOW = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


def agent_target(value: str) -> str:
    """``IVR_AGENT_NUMBER``: empty (no agents), an E.164 number, ``client:IDENTITY`` (a
    Twilio Client, such as a browser softphone) or a ``sip:user@host`` URI."""
    if not value or to_e164(value) == value or _CLIENT.fullmatch(value) or (
            _SIP.fullmatch(value) and len(value) <= SIP_URI_LENGTH):
        return value
    raise ConfigError(f"IVR_AGENT_NUMBER must be an E.164 number like +18005550123, "
                      f"client:IDENTITY (letters, digits, _) or sip:user@host (no ?headers, "
                      f"at most {SIP_URI_LENGTH} characters), got {value!r}")


def agent_hours(env: Mapping[str, str]) -> str:
    """``IVR_AGENT_HOURS``: empty (agents always on duty), or ranges such as
    ``Mon-Fri 08:00-18:00, Sat 09:00-13:00``, kept as :func:`parse_hours` writes them."""
    value = env.get("IVR_AGENT_HOURS", "")
    if not value:
        return ""
    if not env.get("IVR_AGENT_NUMBER"):
        raise ConfigError("IVR_AGENT_HOURS needs IVR_AGENT_NUMBER: there is no agent to "
                          "be on duty")
    try:
        return parse_hours(value).text()
    except ValueError as error:
        raise ConfigError(f"IVR_AGENT_HOURS: {error}") from None


def context_key(env: Mapping[str, str], environment: str) -> str:
    """``IVR_AGENT_CONTEXT_KEY``: the secret (at least 32 characters) that signs the links
    agent desktops fetch a call's context with; production needs one when there are agents."""
    if environment == "production" and not env.get("IVR_AGENT_NUMBER"):
        return env.get("IVR_AGENT_CONTEXT_KEY", "")
    key = production_secret(env, "IVR_AGENT_CONTEXT_KEY", environment, DEV_AGENT_CONTEXT_KEY)
    if len(key) < MIN_AGENT_CONTEXT_KEY_LENGTH:
        raise ConfigError(f"IVR_AGENT_CONTEXT_KEY must be at least "
                          f"{MIN_AGENT_CONTEXT_KEY_LENGTH} characters, got {len(key)}")
    return key


def fixed_now(env: Mapping[str, str], environment: str) -> datetime | None:
    """``IVR_NOW``: a fixed wall-clock time in ``IVR_TIMEZONE`` (``2026-11-23T10:30``), for
    tests and demos; refused in production, where hours and links go by the real clock."""
    value = env.get("IVR_NOW", "")
    if not value:
        return None
    if environment == "production":
        raise ConfigError("IVR_NOW fixes the clock, for tests and demos: it must not be set "
                          "when IVR_ENV=production")
    try:
        if not _NOW.fullmatch(value):
            raise ValueError(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"IVR_NOW must be a local time as YYYY-MM-DDTHH:MM, "
                          f"got {value!r}") from None
    today = env.get("IVR_TODAY", "")
    if today and today != moment.date().isoformat():
        raise ConfigError(f"IVR_NOW ({value}) and IVR_TODAY ({today}) name different days")
    return moment
