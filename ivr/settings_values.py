"""Reading and checking one setting's text: numbers, choices, fees, dates, languages, zones.

Each function raises :class:`~ivr.errors.ConfigError` with one line naming the variable, so a
bad value stops start-up with a message an operator can act on. :mod:`ivr.config` builds the
settings from these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flows.speech import languages
from ivr.errors import ConfigError
from ivr.phones import to_e164

# The number bank debit authorisations give for questions on the development sandbox when
# none is set: a fictional one (555-01xx), so it reads the production wording. Refused with
# any real gateway and in production (see biller_phone).
DEV_BILLER_PHONE = "+18005550100"
# Where Twilio's REST API (the Messages client) is reached unless IVR_TWILIO_API_BASE says.
TWILIO_API_BASE = "https://api.twilio.com"
# Where Authorize.Net's API is reached (its sandbox: https://apitest.authorize.net).
AUTHORIZE_NET_API_BASE = "https://api.authorize.net"
# Whole-number settings: (smallest, largest) that make sense. The largest keep dates and
# durations computable (a window of a million hours would overflow the calendar).
RANGES = {
    "IVR_MIN_PAYMENT_CENTS": (1, 100_000_000),
    "IVR_TRUSTED_PROXIES": (0, 10),
    "IVR_ARRANGEMENT_MAX_DAYS": (1, 366),
    "IVR_PIN_MAX_FAILURES": (1, 100),
    "IVR_PIN_FAILURE_WINDOW_HOURS": (1, 24 * 366),
    "IVR_PIN_LOCK_MINUTES": (1, 60 * 24 * 366),
    "IVR_CALLER_MAX_PIN_FAILURES": (1, 10_000),
    "IVR_MAX_DECLINES_PER_ACCOUNT_DAY": (1, 1_000),
    "IVR_AGENT_RING_SECONDS": (5, 600),  # Twilio's <Dial timeout> range
    "IVR_AGENT_CONTEXT_MINUTES": (1, 24 * 60),
    "IVR_CALL_LOG_DAYS": (1, 3660),  # a day to ten years
}
# How many days the call log (call_turns) keeps a turn when IVR_CALL_LOG_DAYS is unset.
CALL_LOG_DAYS = 90
# IVR_DATABASE_URL schemes, once normalised: SQLite, and PostgreSQL with the psycopg 3 driver
# this project installs (others would need drivers it does not).
DATABASE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
# The outages the sandbox gateway can rehearse (see ivr.payments.gateways.sandbox).
SANDBOX_FAULTS = ("", "lost-reply", "down", "slow")
# Twilio's <Say voice> names: its Amazon Polly voices (standard, or a neural, generative or
# long-form engine), its Google voices (their language in the name), and its basic ones.
_VOICE = re.compile(r"man|woman|alice|Polly\.[A-Z][a-z]+(-(Neural|Generative|LongForm))?"
                    r"|Google\.(?P<language>[a-z]{2,3}-[A-Z]{2})-[A-Za-z0-9-]+")
_EXAMPLE_VOICES = {"en": "Joanna", "es": "Lupe"}


class Fee(NamedTuple):
    """``IVR_CONVENIENCE_FEE`` read: a flat part in cents plus a percentage of the amount."""

    flat_cents: int = 0
    percent: Decimal = Decimal(0)

    def as_env(self) -> str:
        """The fee written back as ``IVR_CONVENIENCE_FEE`` text, which reads back the same."""
        return f"{Decimal(self.flat_cents) / 100}+{self.percent}%"


def whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole-number setting; :func:`check_ranges` checks it once all are read."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def check_ranges(values: Mapping[str, object]) -> None:
    """Every whole-number setting in ``values`` (by variable name) within its :data:`RANGES`."""
    for name, (low, high) in RANGES.items():
        value = values[name]
        if not (isinstance(value, int) and low <= value <= high):
            raise ConfigError(f"{name} must be from {low} to {high}, got {value}")


def choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``; the first when unset."""
    value = env.get(name) or allowed[0]
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def biller_phone(env: Mapping[str, str], environment: str) -> str:
    """``IVR_BILLER_PHONE``: an E.164 number (``+18005550199``) when set.

    The fictional :data:`DEV_BILLER_PHONE` is only ever the number of the development
    sandbox, which debits no real account: it is the default there (unset), and refused
    anywhere else - in production, or with a real gateway in any environment, where real
    payers would be told to call it with questions and to revoke. Unset elsewhere it is
    empty: no bank debits are offered (production refuses to start, see
    ``ivr.ports.database.make_gateway``)."""
    value = env.get("IVR_BILLER_PHONE", "")
    sandbox = environment != "production" and env.get("IVR_PAYMENT_GATEWAY", "sandbox") == "sandbox"
    if not value:
        return DEV_BILLER_PHONE if sandbox else ""
    phone("IVR_BILLER_PHONE", value, "+18005550199")
    if value == DEV_BILLER_PHONE and not sandbox:
        raise ConfigError(f"IVR_BILLER_PHONE={value} is the fictional development number; "
                          "set the number payers call with questions about a debit")
    return value


def phone(name: str, value: str, example: str) -> str:
    """An optional phone number setting (empty when unset), written in E.164 form."""
    if value and to_e164(value) != value:
        raise ConfigError(f"{name} must be a phone number in E.164 form, like {example}, "
                          f"got {value!r}")
    return value


def parse_fee(raw: str | None) -> Fee:
    """``IVR_CONVENIENCE_FEE``: "" (none), "1.50" (flat dollars), "2.5%", or "1.00+2.5%"."""
    text = (raw or "").replace(" ", "")
    if text in ("", "0", "none"):
        return Fee()
    flat, percent = "0", "0"
    for part in text.split("+"):
        if part.endswith("%"):
            percent = part[:-1]
        else:
            flat = part
    try:
        flat_cents, share = Decimal(flat) * 100, Decimal(percent)
    except InvalidOperation:
        raise ConfigError(f"IVR_CONVENIENCE_FEE must look like 1.50, 2.5% or 1.00+2.5%, "
                          f"got {raw!r}") from None
    if flat_cents < 0 or share < 0 or share >= 100 or flat_cents != int(flat_cents):
        raise ConfigError(f"IVR_CONVENIENCE_FEE must have a flat part from 0.00 up, in whole "
                          f"cents, and a percentage from 0 up to (not including) 100%, "
                          f"got {raw!r}")
    return Fee(int(flat_cents), share)


def normalise_database_url(url: str) -> str:
    """Send plain ``postgresql://`` URLs to the psycopg 3 driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def database_url(url: str) -> str:
    """``IVR_DATABASE_URL``, normalised: SQLite, or PostgreSQL through psycopg 3.

    Any other scheme would fail later as a missing driver module. The message names only the
    scheme: the rest of the URL may hold a password.
    """
    url = normalise_database_url(url)
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        given = f"a {scheme}:// URL" if scheme else "no URL scheme"
        raise ConfigError(f"IVR_DATABASE_URL must be a sqlite:/// or postgresql:// URL (the "
                          f"databases supported: sqlite, postgresql), got {given}")
    return url


def base_url(name: str, value: str) -> str:
    """An optional base URL (empty when unset): absolute http(s), no query, no fragment.

    A trailing ``/`` is dropped, so paths are appended to it as ``base + "/sms/status"``.
    """
    if value and not _is_base_url(value):
        raise ConfigError(f"{name} must be an absolute http(s) URL without a query or "
                          f"fragment, like https://pay.example.com, got {value!r}")
    return value.rstrip("/")


def _is_base_url(value: str) -> bool:
    """Whether ``value`` is scheme://host[:port][/path] and nothing more."""
    if "?" in value or "#" in value or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - reading it checks the port is a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def sandbox_fault(value: str) -> str:
    """``IVR_SANDBOX_FAULT``: empty, or an outage the sandbox gateway can rehearse."""
    if value not in SANDBOX_FAULTS:
        raise ConfigError(f"IVR_SANDBOX_FAULT must be empty, lost-reply, down or slow, "
                          f"got {value!r}")
    return value


def iso_date(name: str, value: str) -> date | None:
    """An optional date setting, which must be written YYYY-MM-DD."""
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None


def language(value: str) -> str:
    """``IVR_LANGUAGE``: it needs its prompt catalog, ``flows/prompts/<language>.yaml``."""
    if value not in languages():
        raise ConfigError(f"IVR_LANGUAGE must be a language with a prompt catalog "
                          f"({', '.join(sorted(languages()))}), got {value!r}")
    return value


def voice(name: str, value: str, family: str) -> str:
    """A ``<Say>`` voice for the languages ``family`` ("en", "es"): one of Twilio's names for
    its Amazon Polly voices (``Polly.Lupe``, ``Polly.Lupe-Neural``), its Google voices, whose
    names carry their language (``Google.es-US-Neural2-A``), or ``man``, ``woman``, ``alice``.

    Twilio refuses a voice with a language it does not speak; a Google voice's own language
    is checked here (a Polly name does not say its language: Twilio's list of voices does).
    """
    match = _VOICE.fullmatch(value)
    speaks = match.group("language") if match else None
    if match is None or (speaks is not None and speaks.split("-")[0] != family):
        raise ConfigError(f"{name} must be a Twilio voice that speaks {family} (like "
                          f"Polly.{_EXAMPLE_VOICES.get(family, 'Joanna')}), got {value!r}")
    return value


DEFAULT_TIMEZONE = "America/New_York"  # IVR_TIMEZONE unset


def timezone(value: str) -> str:
    """``IVR_TIMEZONE``: an IANA time zone name."""
    try:
        ZoneInfo(value)
    except (ValueError, OSError, KeyError):  # malformed, a folder, or no such zone
        raise ConfigError(f"IVR_TIMEZONE must be a time zone name such as America/New_York, "
                          f"got {value!r}") from None
    return value


def log_file(path: str) -> str:
    """``IVR_LOG_FILE``: empty, or a file this process can append to (created if missing)."""
    if path:
        try:
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise ConfigError(f"IVR_LOG_FILE cannot be written: {path}: "
                              f"{exc.strerror or exc}") from None
    return path
