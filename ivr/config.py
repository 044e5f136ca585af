"""Settings read from the environment; every one is documented in the README."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

# Only for development and the simulator: production refuses to start without a real token.
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEV_FINGERPRINT_KEY = "dev-fingerprint-key-not-secret-0000000000"
# The HMAC key of bank account digests: short keys are guessable, so refuse them.
MIN_FINGERPRINT_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and why."""


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
    return {
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
        "IVR_STRIPE_API_KEY": env.get("IVR_STRIPE_API_KEY", ""),
        "IVR_STRIPE_API_BASE": env.get("IVR_STRIPE_API_BASE", "https://api.stripe.com"),
        "IVR_FINGERPRINT_KEY": _fingerprint_key(env, environment),
    }
