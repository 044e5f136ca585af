"""The flow's ports over the database, the payment gateway and the SMS outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from flows.ports import FlowSettings
from ivr.config import parse_fee
from ivr.db import db
from ivr.errors import ConfigError
from ivr.payments.gateways.base import PaymentGateway
from ivr.payments.gateways.sandbox import DatabaseRecord, SandboxGateway
from ivr.ports.accounts import AccountPorts
from ivr.ports.plans import PlanPorts
from ivr.security.pin_policy import PinPolicy

__all__ = ["DatabasePorts", "flow_settings", "init_app", "local_zone", "make_gateway",
           "ports_for"]


class DatabasePorts(AccountPorts, PlanPorts):
    """:class:`flows.ports.Ports` for one webhook's database transaction."""


def init_app(app: Flask) -> None:
    """Build the configured payment gateway once per app."""
    app.extensions["ivr_gateway"] = make_gateway(app.config, db.engine(app))


def make_gateway(config: Mapping[str, Any], engine: Engine | None = None) -> PaymentGateway:
    """The gateway named by ``IVR_PAYMENT_GATEWAY``, checked against the capture mode.

    The sandbox keeps its record of charges in ``engine``'s database (in memory without one).
    """
    name = config.get("IVR_PAYMENT_GATEWAY", "sandbox")
    gateway: PaymentGateway
    if name == "sandbox":
        gateway = SandboxGateway(config, DatabaseRecord(engine) if engine is not None else None)
    elif name == "stripe":
        from ivr.payments.gateways.stripe import StripeGateway

        gateway = StripeGateway.from_config(config)
    else:
        raise ConfigError(f"IVR_PAYMENT_GATEWAY={name!r} is not a known gateway "
                          "(known: sandbox, stripe)")
    if not gateway.supports_keypad_cards and config.get("IVR_CARD_CAPTURE") != "pay":
        # Keypad capture would need card digits kept between webhooks, which is forbidden.
        raise ConfigError(f"IVR_PAYMENT_GATEWAY={name} needs IVR_CARD_CAPTURE=pay: cards are "
                          "collected by Twilio's <Pay> and its Pay Connector")
    return gateway


def ports_for(app: Flask, session: Session, origin: str | None = None) -> DatabasePorts:
    """The ports for one transaction of ``app``; ``origin`` (the call) goes into the audit."""
    gateway: PaymentGateway = app.extensions["ivr_gateway"]
    # Digests of keyed bank account numbers have a key of their own, not the Twilio token:
    # rotating one must not change the other, and the token is shared with Twilio.
    secret = app.config["IVR_FINGERPRINT_KEY"].encode()
    return DatabasePorts(session, gateway, local_zone(app), secret,
                         PinPolicy.from_config(app.config), origin)


def flow_settings(app: Flask) -> FlowSettings:
    """Operator settings for this turn, with today's date in the biller's time zone."""
    config = app.config
    fixed = config.get("IVR_TODAY")
    today = date.fromisoformat(fixed) if fixed else datetime.now(local_zone(app)).date()
    fee_flat, fee_percent = parse_fee(config["IVR_CONVENIENCE_FEE"])
    return FlowSettings(
        today=today, min_payment_cents=config["IVR_MIN_PAYMENT_CENTS"],
        agent_available=bool(config["IVR_AGENT_NUMBER"]), fee_flat_cents=fee_flat,
        fee_percent=fee_percent, biller_name=config["IVR_BILLER_NAME"],
        arrangement_max_days=config["IVR_ARRANGEMENT_MAX_DAYS"],
        card_capture=config["IVR_CARD_CAPTURE"],
        bank_payments=app.extensions["ivr_gateway"].supports_bank,
        lock_minutes=config["IVR_PIN_LOCK_MINUTES"])


def local_zone(app: Flask) -> ZoneInfo:
    """The biller's time zone, for 'today' and for the dates of past payments."""
    return ZoneInfo(app.config["IVR_TIMEZONE"])
