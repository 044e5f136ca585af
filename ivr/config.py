"""Settings read from the environment; every one is documented in the README."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flows.speech import CATALOG_DIR
from ivr.errors import ConfigError

# Only for development and the simulator: production refuses to start without a real token.
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEV_FINGERPRINT_KEY = "dev-fingerprint-key-not-secret-0000000000"
# The HMAC key of bank account digests: short keys are guessable, so refuse them.
MIN_FINGERPRINT_KEY_LENGTH = 32


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or allowed[0]
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _fingerprint_key(env: Mapping[str, str], environment: str) -> str:
    """``IVR_FINGERPRINT_KEY``: required in production, at least 32 characters when set."""
    key = env.get("IVR_FINGERPRINT_KEY", "")
    if not key:
        if environment == "production":
            raise ConfigError("IVR_FINGERPRINT_KEY must be set when IVR_ENV=production")
        return DEV_FINGERPRINT_KEY
    if len(key) < MIN_FINGERPRINT_KEY_LENGTH:
        raise ConfigError(f"IVR_FINGERPRINT_KEY must be at least {MIN_FINGERPRINT_KEY_LENGTH} "
                          f"characters, got {len(key)}")
    return key


def _valid_fee(raw: str) -> str:
    parse_fee(raw)  # refuse a malformed fee at start-up, not mid-call
    return raw


def parse_fee(raw: str | None) -> tuple[int, Decimal]:
    """``IVR_CONVENIENCE_FEE``: "" (none), "1.50" (flat dollars), "2.5%", or "1.00+2.5%"."""
    text = (raw or "").replace(" ", "")
    if text in ("", "0", "none"):
        return 0, Decimal(0)
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
        raise ConfigError(f"IVR_CONVENIENCE_FEE is out of range: {raw!r}")
    return int(flat_cents), share


def normalise_database_url(url: str) -> str:
    """Send plain ``postgresql://`` URLs to the psycopg 3 driver this project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def settings_from_env(instance_path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the app's settings from environment variables, with development defaults."""
    env = os.environ if env is None else env
    environment = env.get("IVR_ENV", "development")
    token = env.get("TWILIO_AUTH_TOKEN", "")
    if not token:
        if environment == "production":
            raise ConfigError("TWILIO_AUTH_TOKEN must be set when IVR_ENV=production")
        token = DEV_AUTH_TOKEN
    default_db = f"sqlite:///{instance_path / 'ivr.sqlite3'}"
    settings: dict[str, Any] = {
        "IVR_ENV": environment,
        "IVR_DATABASE_URL": normalise_database_url(env.get("IVR_DATABASE_URL") or default_db),
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or DEV_ACCOUNT_SID,
        "IVR_PAYMENT_GATEWAY": env.get("IVR_PAYMENT_GATEWAY", "sandbox"),
        "IVR_SMS_BACKEND": env.get("IVR_SMS_BACKEND", "console"),
        "IVR_SMS_FROM": env.get("IVR_SMS_FROM", ""),
        "IVR_AGENT_NUMBER": env.get("IVR_AGENT_NUMBER", ""),
        "IVR_MIN_PAYMENT_CENTS": _int(env, "IVR_MIN_PAYMENT_CENTS", 100),
        "IVR_TRUSTED_PROXIES": _int(env, "IVR_TRUSTED_PROXIES", 0),
        "IVR_TIMEZONE": env.get("IVR_TIMEZONE", "America/New_York"),
        "IVR_VOICE": env.get("IVR_VOICE", "Polly.Joanna"),
        "IVR_LANGUAGE": env.get("IVR_LANGUAGE", "en-US"),
        "IVR_BILLER_NAME": env.get("IVR_BILLER_NAME", "the biller"),
        "IVR_CONVENIENCE_FEE": _valid_fee(env.get("IVR_CONVENIENCE_FEE", "")),
        "IVR_ARRANGEMENT_MAX_DAYS": _int(env, "IVR_ARRANGEMENT_MAX_DAYS", 60),
        "IVR_CARD_CAPTURE": _choice(env, "IVR_CARD_CAPTURE", ("gather", "pay")),
        "IVR_PAY_CONNECTOR": env.get("IVR_PAY_CONNECTOR", "Default"),
        "IVR_PIN_MAX_FAILURES": _int(env, "IVR_PIN_MAX_FAILURES", 5),
        "IVR_PIN_FAILURE_WINDOW_HOURS": _int(env, "IVR_PIN_FAILURE_WINDOW_HOURS", 24),
        "IVR_PIN_LOCK_MINUTES": _int(env, "IVR_PIN_LOCK_MINUTES", 30),
        "IVR_CALLER_MAX_PIN_FAILURES": _int(env, "IVR_CALLER_MAX_PIN_FAILURES", 10),
        "IVR_MAX_DECLINES_PER_ACCOUNT_DAY": _int(env, "IVR_MAX_DECLINES_PER_ACCOUNT_DAY", 5),
        "IVR_STRIPE_API_KEY": env.get("IVR_STRIPE_API_KEY", ""),
        "IVR_STRIPE_API_BASE": env.get("IVR_STRIPE_API_BASE", "https://api.stripe.com"),
        "IVR_FINGERPRINT_KEY": _fingerprint_key(env, environment),
        "IVR_SANDBOX_FAULT": _sandbox_fault(env.get("IVR_SANDBOX_FAULT", "")),
        "IVR_TODAY": _iso_date("IVR_TODAY", env.get("IVR_TODAY", "")),
        "IVR_LOG_FILE": _log_file(env.get("IVR_LOG_FILE", "")),
    }
    # Checked here, so a bad setting stops start-up with one line rather than failing calls.
    _check_ranges(settings)
    _check_language(settings["IVR_LANGUAGE"])
    _check_timezone(settings["IVR_TIMEZONE"])
    return settings


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
}
# The outages the sandbox gateway can rehearse (see ivr.payments.gateways.sandbox).
SANDBOX_FAULTS = ("", "lost-reply", "down", "slow")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def _check_ranges(settings: Mapping[str, Any]) -> None:
    for name, (low, high) in RANGES.items():
        if not low <= settings[name] <= high:
            raise ConfigError(f"{name} must be from {low} to {high}, got {settings[name]}")


def _sandbox_fault(value: str) -> str:
    if value not in SANDBOX_FAULTS:
        raise ConfigError(f"IVR_SANDBOX_FAULT must be empty, lost-reply, down or slow, "
                          f"got {value!r}")
    return value


def _iso_date(name: str, value: str) -> str:
    """An optional date setting, which must be written YYYY-MM-DD."""
    try:
        if value and not (re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and date.fromisoformat(value)):
            raise ValueError(value)
    except ValueError:
        raise ConfigError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from None
    return value


def _log_file(path: str) -> str:
    """``IVR_LOG_FILE``: empty, or a file this process can append to (created if missing)."""
    if path:
        try:
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise ConfigError(f"IVR_LOG_FILE cannot be written: {path}: "
                              f"{exc.strerror or exc}") from None
    return path


def _check_language(language: str) -> None:
    """The language needs its prompt catalog, ``flows/prompts/<language>.yaml``."""
    if not (_LANGUAGE.fullmatch(language) and (CATALOG_DIR / f"{language}.yaml").is_file()):
        known = sorted(p.stem for p in CATALOG_DIR.glob("*.yaml") if "." not in p.stem)
        raise ConfigError(f"IVR_LANGUAGE must be a language with a prompt catalog "
                          f"({', '.join(known)}), got {language!r}")


def _check_timezone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ValueError, OSError, KeyError):  # malformed, a folder, or no such zone
        raise ConfigError(f"IVR_TIMEZONE must be a time zone name such as America/New_York, "
                          f"got {zone!r}") from None
