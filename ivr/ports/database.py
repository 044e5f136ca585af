"""The flow's ports over the database, the payment gateway and the SMS outbox."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from flows.hours import AgentDesk
from flows.ports import FlowSettings
from ivr.config import DEV_BILLER_PHONE, Settings, settings_of
from ivr.db import db
from ivr.errors import ConfigError
from ivr.payments.gateways.authorize_net import AuthorizeNetGateway
from ivr.payments.gateways.base import PaymentGateway
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.gateways.sandbox_record import DatabaseRecord
from ivr.payments.gateways.stripe import StripeGateway
from ivr.ports.accounts import AccountPorts
from ivr.ports.callbacks import CallbackPorts
from ivr.ports.disputes import DisputePortsMixin
from ivr.ports.payments import PaymentPorts
from ivr.ports.plans import PlanPorts
from ivr.ports.tokens import TokenPorts
from ivr.security.pin_policy import PinPolicy
from ivr.security.pins import PinHasher
from ivr.sms.notices import Biller

__all__ = ["DatabasePorts", "agent_desk", "flow_settings", "gateway_of", "init_app", "make_gateway",
           "ports_for"]


class DatabasePorts(AccountPorts, PaymentPorts, PlanPorts, TokenPorts, DisputePortsMixin,
                    CallbackPorts):
    """:class:`flows.context.CallPorts` for one webhook's database transaction."""


def init_app(app: Flask) -> None:
    """Build the configured payment gateway once per app.

    The sandbox reads its fault from the app's current settings at each request, so a test
    or a script's settings can rehearse an outage on the gateway already built.
    """
    app.extensions["ivr_gateway"] = make_gateway(
        settings_of(app), db.engine(app), fault=lambda: settings_of(app).sandbox_fault)


def gateway_of(app: Flask) -> PaymentGateway:
    """The gateway :func:`init_app` built for ``app``."""
    gateway: PaymentGateway = app.extensions["ivr_gateway"]
    return gateway


def make_gateway(settings: Settings, engine: Engine | None = None, *,
                 fault: Callable[[], str] | None = None) -> PaymentGateway:
    """The gateway named by ``IVR_PAYMENT_GATEWAY``, checked against the capture mode.

    The sandbox keeps its record of charges in ``engine``'s database (in memory without one),
    and rehearses the fault ``fault`` reads (``settings``' own without it).
    """
    name = settings.payment_gateway
    gateway: PaymentGateway
    if name == "sandbox":
        record = DatabaseRecord(engine) if engine is not None else None
        gateway = SandboxGateway(record, fault or settings.sandbox_fault)
    elif name == "stripe":
        gateway = StripeGateway.from_settings(settings)
    elif name == "authorize-net":
        gateway = AuthorizeNetGateway.from_settings(settings)
    else:
        raise ConfigError(f"IVR_PAYMENT_GATEWAY={name!r} is not a known gateway "
                          "(known: sandbox, stripe, authorize-net)")
    _check_biller_phone(settings, gateway)
    if not gateway.supports_keypad_cards and settings.card_capture != "pay":
        # A gateway that takes no keyed card can only charge what Twilio's <Pay> collects.
        raise ConfigError(f"IVR_PAYMENT_GATEWAY={name} takes no keyed cards, so it needs "
                          "IVR_CARD_CAPTURE=pay: cards are collected by Twilio's <Pay> and "
                          "its Pay Connector")
    return gateway


def _check_biller_phone(settings: Settings, gateway: PaymentGateway) -> None:
    """A bank debit's telephone authorisation gives the payer a real number to call: set in
    production, and the fictional development one only ever with the sandbox."""
    name, production = settings.payment_gateway, settings.environment == "production"
    if settings.biller_phone == DEV_BILLER_PHONE and (production or name != "sandbox"):
        raise ConfigError(f"IVR_BILLER_PHONE={DEV_BILLER_PHONE} is the fictional development "
                          f"number: it cannot be read to payers with IVR_PAYMENT_GATEWAY={name}"
                          f" and IVR_ENV={settings.environment}")
    if gateway.supports_bank and production and not settings.biller_phone:
        raise ConfigError(f"IVR_BILLER_PHONE must be set when IVR_ENV=production and "
                          f"IVR_PAYMENT_GATEWAY={name} debits bank accounts")


def ports_for(app: Flask, session: Session, origin: str | None = None) -> DatabasePorts:
    """The ports for one transaction of ``app``; ``origin`` (the call) goes into the audit."""
    settings = settings_of(app)
    # Digests of keyed bank account numbers have a key of their own, not the Twilio token:
    # rotating one must not change the other, and the token is shared with Twilio.
    secret = settings.fingerprint_key.encode()
    return DatabasePorts(session, gateway_of(app), settings.zone, secret,
                         PinPolicy.from_settings(settings), origin, settings.card_key,
                         Biller(settings.biller_name, settings.biller_phone),
                         PinHasher.from_settings(settings))


def flow_settings(app: Flask) -> FlowSettings:
    """Operator settings for this turn, with today's date in the biller's time zone."""
    settings = settings_of(app)
    return FlowSettings(
        today=settings.local_date(), min_payment_cents=settings.min_payment_cents,
        agent_available=bool(settings.agent_number),
        fee_flat_cents=settings.convenience_fee.flat_cents,
        fee_percent=settings.convenience_fee.percent, biller_name=settings.biller_name,
        biller_phone=settings.biller_phone, language=settings.language,
        arrangement_max_days=settings.arrangement_max_days, card_capture=settings.card_capture,
        # A bank debit's authorisation needs a number for questions (always set in production).
        bank_payments=gateway_of(app).supports_bank and bool(settings.biller_phone),
        lock_minutes=settings.pin_lock_minutes)


def agent_desk(app: Flask) -> AgentDesk:
    """Whether a transfer reaches an agent now (``IVR_AGENT_HOURS`` by the settings' clock),
    and the hours to tell a caller when none can take the call."""
    settings = settings_of(app)
    return AgentDesk(on_duty=settings.agents_on_duty(), hours=settings.hours)
