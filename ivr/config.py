"""The app's settings: one frozen, typed object built from the environment once, at start-up.

Every setting is an environment variable documented in the README's configuration table, and
is a field of :class:`Settings` naming its variable. ``create_app`` builds the settings with
:meth:`Settings.from_env` and keeps them on the app; code reads them through
:func:`settings_of` (or is handed them), never through ``app.config``. How one value is read
and checked lives in :mod:`ivr.settings_values` (whose ``RANGES`` give the numbers' limits),
and what production refuses (development secrets, the sandbox) in :mod:`ivr.settings_production`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from flows.hours import AgentHours, parse_hours
from flows.speech import load_catalog
from ivr import settings_agents as agents
from ivr import settings_production as strict
from ivr import settings_values as read
from ivr.settings_production import (
    DEV_ACCOUNT_SID,
    DEV_AUTH_TOKEN,
    DEV_CARD_DATA_KEY,
    DEV_FINGERPRINT_KEY,
    DEV_PIN_PEPPER,
    MIN_FINGERPRINT_KEY_LENGTH,
)
from ivr.settings_values import (
    DEV_BILLER_PHONE,
    RANGES,
    SANDBOX_FAULTS,
    Fee,
    normalise_database_url,
    parse_fee,
)

__all__ = ["DEV_ACCOUNT_SID", "DEV_AUTH_TOKEN", "DEV_BILLER_PHONE", "DEV_CARD_DATA_KEY",
           "DEV_FINGERPRINT_KEY", "DEV_PIN_PEPPER", "ENV_NAMES", "MIN_FINGERPRINT_KEY_LENGTH",
           "RANGES", "SANDBOX_FAULTS", "Fee", "Settings",
           "env_text", "has_settings", "normalise_database_url", "override_settings",
           "parse_fee", "settings_of", "store_settings"]

_EXTENSION = "ivr_settings"  # where create_app keeps the settings in app.extensions


@dataclass(frozen=True)
class Settings:
    """Every operator setting, typed and checked (see the README for what each one means).

    Each field's ``env`` metadata names the environment variable it is read from.
    """

    environment: str = field(metadata={"env": "IVR_ENV"})
    database_url: str = field(metadata={"env": "IVR_DATABASE_URL"})
    twilio_auth_token: str = field(metadata={"env": "TWILIO_AUTH_TOKEN"})
    twilio_account_sid: str = field(metadata={"env": "TWILIO_ACCOUNT_SID"})
    payment_gateway: str = field(metadata={"env": "IVR_PAYMENT_GATEWAY"})
    sms_backend: str = field(metadata={"env": "IVR_SMS_BACKEND"})
    sms_from: str = field(metadata={"env": "IVR_SMS_FROM"})
    # The line's public base URL (no trailing "/"), for callbacks Twilio is told about.
    public_url: str = field(metadata={"env": "IVR_PUBLIC_URL"})
    twilio_api_base: str = field(metadata={"env": "IVR_TWILIO_API_BASE"})
    agent_number: str = field(metadata={"env": "IVR_AGENT_NUMBER"})  # or client:..., sip:...
    agent_hours: str = field(metadata={"env": "IVR_AGENT_HOURS"})  # empty: always on duty
    agent_ring_seconds: int = field(metadata={"env": "IVR_AGENT_RING_SECONDS"})
    # Signs the links agent desktops fetch a call's context with (see ivr.web.agent).
    agent_context_key: str = field(repr=False, metadata={"env": "IVR_AGENT_CONTEXT_KEY"})
    agent_context_minutes: int = field(metadata={"env": "IVR_AGENT_CONTEXT_MINUTES"})
    min_payment_cents: int = field(metadata={"env": "IVR_MIN_PAYMENT_CENTS"})
    trusted_proxies: int = field(metadata={"env": "IVR_TRUSTED_PROXIES"})
    timezone: str = field(metadata={"env": "IVR_TIMEZONE"})
    voice: str = field(metadata={"env": "IVR_VOICE"})  # English calls' (en-*)
    voice_es: str = field(metadata={"env": "IVR_VOICE_ES"})  # Spanish calls' (es-*)
    language: str = field(metadata={"env": "IVR_LANGUAGE"})
    biller_name: str = field(metadata={"env": "IVR_BILLER_NAME"})
    # E.164; read in bank debit authorisations (production needs it when banks are debited).
    biller_phone: str = field(metadata={"env": "IVR_BILLER_PHONE"})
    convenience_fee: Fee = field(metadata={"env": "IVR_CONVENIENCE_FEE"})
    arrangement_max_days: int = field(metadata={"env": "IVR_ARRANGEMENT_MAX_DAYS"})
    card_capture: str = field(metadata={"env": "IVR_CARD_CAPTURE"})  # "gather" | "pay"
    pay_connector: str = field(metadata={"env": "IVR_PAY_CONNECTOR"})
    pin_max_failures: int = field(metadata={"env": "IVR_PIN_MAX_FAILURES"})
    pin_failure_window_hours: int = field(metadata={"env": "IVR_PIN_FAILURE_WINDOW_HOURS"})
    pin_lock_minutes: int = field(metadata={"env": "IVR_PIN_LOCK_MINUTES"})
    caller_max_pin_failures: int = field(metadata={"env": "IVR_CALLER_MAX_PIN_FAILURES"})
    max_declines_per_account_day: int = field(metadata={"env": "IVR_MAX_DECLINES_PER_ACCOUNT_DAY"})
    stripe_api_key: str = field(metadata={"env": "IVR_STRIPE_API_KEY"})
    stripe_api_base: str = field(metadata={"env": "IVR_STRIPE_API_BASE"})
    authorize_net_login_id: str = field(metadata={"env": "IVR_AUTHORIZE_NET_LOGIN_ID"})
    authorize_net_transaction_key: str = field(
        repr=False, metadata={"env": "IVR_AUTHORIZE_NET_TRANSACTION_KEY"})
    authorize_net_api_base: str = field(metadata={"env": "IVR_AUTHORIZE_NET_API_BASE"})
    fingerprint_key: str = field(metadata={"env": "IVR_FINGERPRINT_KEY"})
    # The keys of PIN hashes: the current one, and earlier ones (comma-separated) still verifying.
    pin_pepper: str = field(repr=False, metadata={"env": "IVR_PIN_PEPPER"})
    pin_pepper_previous: str = field(repr=False, metadata={"env": "IVR_PIN_PEPPER_PREVIOUS"})
    # Standard base64 of the card store's AES-256 key; ``card_key`` decodes it.
    card_data_key: str = field(repr=False, metadata={"env": "IVR_CARD_DATA_KEY"})
    sandbox_fault: str = field(metadata={"env": "IVR_SANDBOX_FAULT"})  # one of SANDBOX_FAULTS
    today: date | None = field(metadata={"env": "IVR_TODAY"})  # fixed, for tests and demos
    fixed_now: datetime | None = field(metadata={"env": "IVR_NOW"})  # likewise; local, naive
    log_file: str = field(metadata={"env": "IVR_LOG_FILE"})  # empty: log to the console
    call_log_days: int = field(metadata={"env": "IVR_CALL_LOG_DAYS"})  # call_turns kept

    @classmethod
    def from_env(cls, instance_path: Path, env: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting from ``env`` (the process environment by default).

        Raises ConfigError, naming the variable in one line, for the first bad value. The
        database defaults to ``ivr.sqlite3`` in ``instance_path``.
        """
        env = os.environ if env is None else env
        environment = strict.environment(env)
        number = read.whole_number
        values: dict[str, Any] = dict(
            environment=environment,
            database_url=read.database_url(
                env.get("IVR_DATABASE_URL") or f"sqlite:///{instance_path / 'ivr.sqlite3'}"),
            twilio_auth_token=strict.auth_token(env, environment),
            twilio_account_sid=strict.account_sid(env, environment),
            payment_gateway=strict.payment_gateway(env, environment),
            sms_backend=env.get("IVR_SMS_BACKEND", "console"),
            sms_from=env.get("IVR_SMS_FROM", ""),
            public_url=read.base_url("IVR_PUBLIC_URL", env.get("IVR_PUBLIC_URL", "")),
            twilio_api_base=read.base_url(
                "IVR_TWILIO_API_BASE",
                env.get("IVR_TWILIO_API_BASE") or read.TWILIO_API_BASE),
            agent_number=agents.agent_target(env.get("IVR_AGENT_NUMBER", "")),
            agent_hours=agents.agent_hours(env),
            agent_ring_seconds=number(env, "IVR_AGENT_RING_SECONDS", 30),
            agent_context_key=agents.context_key(env, environment),
            agent_context_minutes=number(env, "IVR_AGENT_CONTEXT_MINUTES", 30),
            min_payment_cents=number(env, "IVR_MIN_PAYMENT_CENTS", 100),
            trusted_proxies=number(env, "IVR_TRUSTED_PROXIES", 0),
            timezone=env.get("IVR_TIMEZONE", read.DEFAULT_TIMEZONE),
            voice=read.voice("IVR_VOICE", env.get("IVR_VOICE") or "Polly.Joanna", "en"),
            voice_es=read.voice("IVR_VOICE_ES", env.get("IVR_VOICE_ES") or "Polly.Lupe", "es"),
            language=env.get("IVR_LANGUAGE", "en-US"),
            biller_name=env.get("IVR_BILLER_NAME", ""),
            biller_phone=read.biller_phone(env, environment),
            convenience_fee=parse_fee(env.get("IVR_CONVENIENCE_FEE", "")),
            arrangement_max_days=number(env, "IVR_ARRANGEMENT_MAX_DAYS", 60),
            card_capture=read.choice(env, "IVR_CARD_CAPTURE", ("gather", "pay")),
            pay_connector=env.get("IVR_PAY_CONNECTOR", "Default"),
            pin_max_failures=number(env, "IVR_PIN_MAX_FAILURES", 5),
            pin_failure_window_hours=number(env, "IVR_PIN_FAILURE_WINDOW_HOURS", 24),
            pin_lock_minutes=number(env, "IVR_PIN_LOCK_MINUTES", 30),
            caller_max_pin_failures=number(env, "IVR_CALLER_MAX_PIN_FAILURES", 10),
            max_declines_per_account_day=number(env, "IVR_MAX_DECLINES_PER_ACCOUNT_DAY", 5),
            stripe_api_key=env.get("IVR_STRIPE_API_KEY", ""),
            stripe_api_base=env.get("IVR_STRIPE_API_BASE", "https://api.stripe.com"),
            authorize_net_login_id=env.get("IVR_AUTHORIZE_NET_LOGIN_ID", ""),
            authorize_net_transaction_key=env.get("IVR_AUTHORIZE_NET_TRANSACTION_KEY", ""),
            authorize_net_api_base=read.base_url(
                "IVR_AUTHORIZE_NET_API_BASE",
                env.get("IVR_AUTHORIZE_NET_API_BASE") or read.AUTHORIZE_NET_API_BASE),
            fingerprint_key=strict.fingerprint_key(env, environment),
            card_data_key=strict.card_data_key(env, environment),
            pin_pepper=strict.pin_pepper(env, environment),
            sandbox_fault=read.sandbox_fault(env.get("IVR_SANDBOX_FAULT", "")),
            today=read.iso_date("IVR_TODAY", env.get("IVR_TODAY", "")),
            fixed_now=agents.fixed_now(env, environment),
            log_file=read.log_file(env.get("IVR_LOG_FILE", "")),
            call_log_days=number(env, "IVR_CALL_LOG_DAYS", read.CALL_LOG_DAYS),
        )
        # Checked here, so a bad setting stops start-up with one line rather than failing calls.
        values["pin_pepper_previous"] = strict.previous_pin_peppers(env, environment,
                                                                    values["pin_pepper"])
        read.check_ranges({ENV_NAMES_BY_FIELD[name]: value for name, value in values.items()})
        read.language(values["language"])
        read.timezone(values["timezone"])
        return cls(**values)

    def as_env(self) -> dict[str, str]:
        """The settings written back as environment variables, which read back the same."""
        env = {name: env_text(getattr(self, attribute)) for name, attribute in ENV_NAMES.items()}
        # Development stand-ins, never set by hand: unset, each is read back as it was made.
        if self.biller_phone == DEV_BILLER_PHONE:
            env["IVR_BILLER_PHONE"] = ""
        if self.twilio_account_sid == DEV_ACCOUNT_SID:
            env["TWILIO_ACCOUNT_SID"] = ""
        return env

    def overridden(self, overrides: Mapping[str, object]) -> Settings:
        """These settings with some variables set otherwise, checked like the environment."""
        unknown = sorted(set(overrides) - set(ENV_NAMES))
        if unknown:
            raise KeyError(f"not settings: {', '.join(unknown)}")
        env = self.as_env() | {name: env_text(value) for name, value in overrides.items()}
        # The database URL is always in env, so the instance folder is never consulted.
        return Settings.from_env(Path("."), env)

    @property
    def production(self) -> bool:
        """Whether ``IVR_ENV=production``: real secrets and gateway, and never demo data."""
        return self.environment == "production"

    @property
    def card_key(self) -> bytes:
        """The card store's AES-256 key (32 bytes), from ``IVR_CARD_DATA_KEY``."""
        return strict.card_key_bytes(self.card_data_key)

    def voice_for(self, language: str) -> str:
        """The ``<Say>`` voice of ``language``: ``IVR_VOICE`` for English, ``IVR_VOICE_ES`` for
        Spanish, and for any other language the voice its catalog names (``language.voice``)."""
        family = language.partition("-")[0].lower()
        chosen = {"en": self.voice, "es": self.voice_es}.get(family)
        return chosen or load_catalog(language)["language.voice"]

    @property
    def zone(self) -> ZoneInfo:
        """The biller's time zone, for 'today' and for the dates of past payments."""
        return ZoneInfo(self.timezone)

    def local_date(self) -> date:
        """Today in the biller's time zone, or the day ``IVR_TODAY`` (or ``IVR_NOW``) fixes."""
        return self.today or self.now().date()

    def now(self) -> datetime:
        """Now, in the biller's time zone, or the moment ``IVR_NOW`` fixes."""
        if self.fixed_now is not None:
            return self.fixed_now.replace(tzinfo=self.zone)
        return datetime.now(self.zone)

    @property
    def hours(self) -> AgentHours | None:
        """``IVR_AGENT_HOURS`` read, or None when agents are always on duty."""
        return parse_hours(self.agent_hours) if self.agent_hours else None

    def agents_on_duty(self) -> bool:
        """Whether a transfer would reach an agent now: one is set, within their hours."""
        hours = self.hours
        return bool(self.agent_number) and (hours is None or hours.open_at(self.now()))


# Environment variable -> Settings attribute, for every field read from the environment.
ENV_NAMES: dict[str, str] = {f.metadata["env"]: f.name for f in fields(Settings)
                             if "env" in f.metadata}
ENV_NAMES_BY_FIELD = {attribute: name for name, attribute in ENV_NAMES.items()}


def env_text(value: object) -> str:
    """A setting's value as the text of its environment variable."""
    if value is None:
        return ""
    if isinstance(value, Fee):
        return value.as_env()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def settings_of(app: Flask) -> Settings:
    """The settings ``create_app`` built for ``app``."""
    settings: Settings = app.extensions[_EXTENSION]
    return settings


def has_settings(app: Flask) -> bool:
    """Whether ``app`` is one of ours (the simulator also drives other Flask apps)."""
    return _EXTENSION in app.extensions


def store_settings(app: Flask, settings: Settings) -> None:
    """Make ``settings`` the app's; each webhook and command reads them when it starts."""
    app.extensions[_EXTENSION] = settings


def override_settings(app: Flask, **overrides: object) -> Settings:
    """Change some of the app's settings (by variable name); return the ones replaced.

    For tests and the simulator's scripts: the new values are checked like the environment's.
    Parts built once (the database engine, the gateway but for the sandbox's fault) keep
    their settings.
    """
    previous = settings_of(app)
    store_settings(app, previous.overridden(overrides))
    return previous
