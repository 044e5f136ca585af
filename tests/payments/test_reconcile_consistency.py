"""Reconcile calls a payment "not charged" only on the word of a lookup that shows every charge
as soon as it is made (``lookup_read_after_write``); from one that may lag, "not found" is
for an operator, and the payment stays in doubt until it is found or resolved."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests_mock as rm
from flask import Flask

from ivr.db import db
from ivr.payments.gateways import stripe_lookup
from ivr.payments.gateways.sandbox import SandboxGateway
from ivr.payments.gateways.stripe import StripeGateway
from ivr.payments.reconcile import reconcile
from ivr.security.card_store import CardDetails
from models import SavedPaymentMethod, utcnow
from tests.app_helpers import balance, texts
from tests.gateway_contract_helpers import STRIPE_KEY
from tests.gateway_standins.stripe import StripeStandIn
from tests.schedule_helpers import get, save_row, schedule

VISA = CardDetails("4242424242424242", "1230", "123", "94105")
LATER = timedelta(minutes=11)  # past reconcile's grace period


class LaggingLookup(SandboxGateway):
    """The sandbox, declared to look charges up with a lag (as a search index does)."""

    lookup_read_after_write = False


def lost(app: Flask, account: int, key: str, method_id: int | None = None) -> int:
    """A $50.00 payment whose answer was lost just now (nothing reached the gateway); its id."""
    return schedule(app, account, method_id, 5000, status="unknown", scheduled_for=None,
                    processing_since=utcnow(), idempotency_key=key)


def test_not_found_by_a_lookup_that_may_lag_is_for_an_operator(app: Flask, jordan: int) -> None:
    pid = lost(app, jordan, "sched-lagging-1")
    gateway = LaggingLookup()
    summary = reconcile(db.sessions(app), gateway, now=utcnow() + LATER)
    assert (summary.failed, summary.needs_review, summary.too_old) == (0, 1, 0)
    assert get(app, pid).status == "unknown" and texts(app) == []  # still held, nobody told


def test_a_charge_it_shows_later_is_then_recorded(app: Flask, jordan: int) -> None:
    pid = lost(app, jordan, "sched-lagging-2")
    gateway = LaggingLookup()
    assert reconcile(db.sessions(app), gateway, now=utcnow() + LATER).needs_review == 1
    gateway.charge_card(VISA, 5000, "sched-lagging-2", "Account 10001234")  # it shows now
    assert reconcile(db.sessions(app), gateway, now=utcnow() + LATER).approved == 1
    assert get(app, pid).status == "approved" and balance(app, jordan) == 12045 - 5000


def test_the_sandbox_is_read_after_write_so_not_found_is_not_charged(
        app: Flask, jordan: int) -> None:
    pid = lost(app, jordan, "sched-sandbox-1")
    assert reconcile(db.sessions(app), SandboxGateway(), now=utcnow() + LATER).failed == 1
    assert (get(app, pid).status, get(app, pid).decline_code) == ("failed", "not_charged")


def on_file(app: Flask, account: int, stripe: StripeStandIn) -> tuple[int, str]:
    """A Stripe card on file for ``account``: its id and token."""
    customer, method = stripe.mint_card(VISA)
    token = f"{customer}:{method}"
    return save_row(app, SavedPaymentMethod(account_id=account, kind="card", brand="Visa",
                                            gateway_token=token, last4="4242",
                                            expiry_mmyy="1230")), token


def test_stripe_read_to_the_end_of_its_list_is_not_charged(
        app: Flask, jordan: int, requests_mock: rm.Mocker) -> None:
    stripe = StripeStandIn().install(requests_mock)
    pid = lost(app, jordan, "sched-stripe-none", on_file(app, jordan, stripe)[0])
    assert reconcile(db.sessions(app), StripeGateway(STRIPE_KEY), now=utcnow() + LATER).failed == 1
    assert get(app, pid).decline_code == "not_charged"
    assert [seen.path for seen in stripe.lookups() if seen.method == "GET"] == [
        "/v1/payment_intents"]


def test_stripe_past_its_list_bound_asks_an_operator_not_the_search_alone(
        app: Flask, jordan: int, requests_mock: rm.Mocker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """More intents since the payment than the lookup may read (here 2 pages of 2) and a
    search that shows nothing: the payment is left for an operator, never "not charged"."""
    monkeypatch.setattr(stripe_lookup, "PAGE", 2)
    monkeypatch.setattr(stripe_lookup, "MAX_PAGES", 2)
    stripe = StripeStandIn().install(requests_mock)
    method, token = on_file(app, jordan, stripe)
    pid = lost(app, jordan, "sched-stripe-busy", method)
    gateway = StripeGateway(STRIPE_KEY)
    for n in range(5):  # other payments, made after it
        assert gateway.charge_saved("card", token, 100, f"other-{n}", "Account 1").approved
    summary = reconcile(db.sessions(app), gateway, now=utcnow() + LATER)
    assert (summary.failed, summary.too_old) == (0, 1)
    assert get(app, pid).status == "unknown"
