"""Attacks from review 4 on a bare Stripe PaymentMethod (a ``<Pay>`` card kept without a
Customer) attached at its first charge: the Customer made, the attachment's answer lost, the
charge's answer lost, the worker killed between them. Each is charged once or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import requests_mock as rm
from flask import Flask

from ivr.db import db
from ivr.payments.gateways.stripe import StripeGateway
from ivr.payments.reconcile import reconcile
from ivr.payments.scheduled import run_scheduled
from ivr.security.card_store import CardDetails
from models import SavedPaymentMethod, utcnow
from tests.fault_helpers import WorkerKilled, fire_once
from tests.gateway_contract_helpers import STRIPE_KEY
from tests.gateway_standins.stripe import StripeStandIn
from tests.schedule_helpers import RUN_DAY, get, save_row, schedule

VISA = CardDetails("4242424242424242", "1230", "123", "94105")
NEXT_DAY = RUN_DAY + timedelta(days=1)


@dataclass
class LosesOneAttachReply(StripeStandIn):
    """Stripe attaches the PaymentMethod, and the answer to that one request is lost."""

    attach_replies_to_lose: int = 1

    def _attach(self, method: Any, customer_id: str) -> Any:
        answer = super()._attach(method, customer_id)
        if self.attach_replies_to_lose:
            self.attach_replies_to_lose -= 1
            self.fault = "lost-reply"  # this request's answer only: see _answer
        return answer

    def _answer(self, request: Any, context: Any) -> dict[str, Any]:
        try:
            return super()._answer(request, context)
        finally:
            if self.fault == "lost-reply":
                self.fault = ""


def bare_method(app: Flask, account_id: int, stripe: StripeStandIn) -> int:
    """A card <Pay> tokenised with no Customer, kept on file as a bare ``pm_``; its id."""
    _, method = stripe.mint_card(VISA, customer=False)
    return save_row(app, SavedPaymentMethod(account_id=account_id, kind="card", brand="Visa",
                                            gateway_token=method, last4="4242",
                                            expiry_mmyy="1230"))


def run(app: Flask, day: date) -> None:
    run_scheduled(db.sessions(app), StripeGateway(STRIPE_KEY), day)


def test_an_attachment_whose_answer_was_lost_charges_nothing_then_once(
        app: Flask, jordan: int, requests_mock: rm.Mocker) -> None:
    stripe = LosesOneAttachReply().install(requests_mock)
    method = bare_method(app, jordan, stripe)
    first = schedule(app, jordan, method, 2000)
    run(app, RUN_DAY)
    assert get(app, first).status == "failed" and stripe.payment_intents() == []
    second = schedule(app, jordan, method, 3000, on=NEXT_DAY)
    run(app, NEXT_DAY)
    assert get(app, second).status == "approved"
    [intent] = stripe.payment_intents()
    owners = {m.customer for m in stripe.payment_methods.values() if m.customer}
    assert len(owners) == 1 and intent.customer in owners


def test_a_charge_whose_answer_was_lost_after_the_attachment_is_found_once(
        app: Flask, jordan: int, requests_mock: rm.Mocker) -> None:
    stripe = StripeStandIn(fault="lost-charge-reply").install(requests_mock)
    pid = schedule(app, jordan, bare_method(app, jordan, stripe), 2000)
    run(app, RUN_DAY)
    assert get(app, pid).status == "unknown"
    stripe.fault = ""
    reconcile(db.sessions(app), StripeGateway(STRIPE_KEY), now=utcnow() + timedelta(minutes=11))
    assert get(app, pid).status == "approved" and len(stripe.payment_intents()) == 1


def test_a_worker_killed_between_the_attachment_and_the_charge_charges_nothing(
        app: Flask, jordan: int, requests_mock: rm.Mocker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    stripe = StripeStandIn().install(requests_mock)
    method = bare_method(app, jordan, stripe)
    pid = schedule(app, jordan, method, 2000)
    gateway = StripeGateway(STRIPE_KEY)
    fire_once(gateway._methods, "attach_to_new_customer", monkeypatch)
    with pytest.raises(WorkerKilled):
        run_scheduled(db.sessions(app), gateway, RUN_DAY)
    reconcile(db.sessions(app), gateway, now=utcnow() + timedelta(minutes=11))
    assert get(app, pid).status == "failed" and stripe.payment_intents() == []
    again = schedule(app, jordan, method, 2000, on=NEXT_DAY)
    run(app, NEXT_DAY)
    assert get(app, again).status == "approved" and len(stripe.payment_intents()) == 1
