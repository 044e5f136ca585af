"""Every ``pay``-mode call script replayed against the sandbox and against the Stripe gateway.

With ``IVR_PAYMENT_GATEWAY=stripe`` the simulator's ``<Pay>`` emulates Twilio's Stripe Pay
Connector (Stripe's test PaymentMethods, ``pm_card_visa``..., as ``PaymentToken``, and no
ProfileId: no Customer was made; ``pi_...`` charges), and the line talks to a stand-in for
Stripe's API (``tests/gateway_standins/stripe.py``) at ``IVR_STRIPE_API_BASE``. After each
call the scheduled payments it left are charged by the operator's job, so a card ``<Pay>``
kept is charged by the gateway itself: with Stripe, the PaymentMethod is attached to a new
Customer at its first charge, and charged as a PaymentIntent naming the Customer and the
PaymentMethod together. A lost answer is then found by its key, in the list of
PaymentIntents made since the payment was sent (read-after-write, unlike Stripe's search).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests_mock
from flask import Flask
from sqlalchemy import select

from ivr.config import override_settings
from ivr.db import db
from ivr.ops.demo import load_demo
from ivr.payments.reconcile import reconcile
from ivr.payments.scheduled import run_scheduled
from ivr.ports.database import gateway_of
from ivr.security.pins import pins_of
from ivr.sim.pay_connectors import connector_for
from ivr.sim.script import load_script, run_script
from ivr.sim.transport import InProcessTransport
from models import Account, Payment
from tests.app_helpers import make_app
from tests.gateway_standins.stripe import StripeStandIn
from tests.menu_helpers import JORDAN_LATER

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "calls")
                 .glob("pay_mode_*.yaml"))
# Stripe takes no bank payments (its gateway's NO_BANK), so with it the line offers none.
BANK_SCRIPTS = {"pay_mode_bank_account"}
AFTER_EVERY_DATE = date(2027, 1, 31)  # every date a script can schedule is before this
BASE = "https://stripe.standin.test"


@dataclass(frozen=True)
class Line:
    """The line on one gateway, and the Stripe stand-in behind it (None for the sandbox)."""

    app: Flask
    gateway: str
    stripe: StripeStandIn | None


@pytest.fixture(params=["sandbox", "stripe"])
def line(request: pytest.FixtureRequest, database_url: str, tmp_path: Path,
         requests_mock: requests_mock.Mocker) -> Iterator[Line]:
    """The demo line on the sandbox, or on Stripe (pointed at the stand-in)."""
    settings = {"IVR_PAYMENT_GATEWAY": request.param}
    if request.param == "stripe":
        settings |= {"IVR_STRIPE_API_KEY": "sk_test_standin", "IVR_STRIPE_API_BASE": BASE}
    app = make_app(database_url, tmp_path, **settings)
    with db.transaction(app) as session:
        load_demo(session, pins_of(app))
    standin = StripeStandIn(api_base=BASE).install(requests_mock) \
        if request.param == "stripe" else None
    yield Line(app, request.param, standin)
    db.engine(app).dispose()


def balances(app: Flask) -> dict[int, int]:
    """Every account's balance, by account id."""
    with db.transaction(app) as session:
        return {row.id: row.balance_cents for row in session.scalars(select(Account))}


def payments(app: Flask, after: int = 0) -> list[Payment]:
    """The payments written after the one with id ``after``, in order."""
    with db.transaction(app) as session:
        rows = session.scalars(select(Payment).where(Payment.id > after)
                               .order_by(Payment.id)).all()
        session.expunge_all()
    return list(rows)


def last_payment_id(app: Flask) -> int:
    """The id of the latest payment (the demo data's history), or 0."""
    return max((p.id for p in payments(app)), default=0)


def charge_what_is_scheduled(line: Line) -> None:
    """The operator's daily job, run once past every date a script schedules."""
    run_scheduled(db.sessions(line.app), gateway_of(line.app), AFTER_EVERY_DATE)


# Every script on every gateway, but a bank account on Stripe: it takes no bank payments, so
# the line offers none (tests/web/test_voice_pay_bank.py says so).
CASES = [pytest.param(gateway, script, id=f"{gateway}-{script.stem}")
         for gateway in ("sandbox", "stripe") for script in SCRIPTS
         if not (gateway == "stripe" and script.stem in BANK_SCRIPTS)]


@pytest.mark.parametrize(("line", "script"), CASES, indirect=["line"])
def test_a_pay_mode_script_replays_and_what_it_scheduled_is_charged(line: Line,
                                                                    script: Path) -> None:
    before, history = balances(line.app), last_payment_id(line.app)
    result = run_script(line.app, script, quiet=True)
    assert result.outcome == "hangup" and result.status_callback_status == 200
    charge_what_is_scheduled(line)
    written = payments(line.app, after=history)
    assert written and {p.status for p in written} <= {"approved", "pending", "declined",
                                                       "cancelled"}
    taken = {account: sum(p.amount_cents for p in written if p.account_id == account
                          and p.status in ("approved", "pending")) for account in before}
    assert balances(line.app) == {a: cents - taken[a] for a, cents in before.items()}
    if line.stripe is not None:
        charged_by_line = [p for p in written if not p.twilio_pay]
        forms = line.stripe.intent_forms()
        assert [f["metadata[idempotency_key]"] for f in forms] == \
            [p.idempotency_key for p in charged_by_line]
        for form in forms:  # a PaymentMethod on a Customer is charged with that Customer
            method = line.stripe.payment_methods[form["payment_method"]]
            assert form["customer"] in line.stripe.customers and form["off_session"] == "true"
            assert method.customer == form["customer"], form


SCHEDULE_WITH: dict[str, Any] = {
    "name": "schedule $120.45 for December 3rd with a new card", "from": "+14155550100",
    "today": "2026-11-21", "settings": {"IVR_CARD_CAPTURE": "pay"},
    "steps": [*({"press": key} for key in JORDAN_LATER), {"press": "1203"}, {"press": "1"},
              {"press": "CARD#"}, {"press": "1239"}, {"press": "123"}, {"press": "94105#"},
              {"expect": "ending in"}, {"press": "1"},
              {"expect": "is scheduled for December third"}, "hangup",
              {"expect_end": "caller-hangup"}]}


def schedule_with(card: str) -> Any:
    """The script above, keying ``card`` at <Pay>."""
    steps = [{"press": f"{card}#"} if step == {"press": "CARD#"} else step
             for step in SCHEDULE_WITH["steps"]]
    return load_script({**SCHEDULE_WITH, "steps": steps})


@pytest.mark.parametrize(("card", "status", "code"), [
    ("4242424242424242", "approved", None),
    ("4000000000009995", "declined", "insufficient_funds"),
    ("4000000000000002", "declined", "card_declined"),
])
def test_a_card_kept_by_pay_has_the_test_cards_outcome_when_charged_later(
        line: Line, card: str, status: str, code: str | None) -> None:
    history = last_payment_id(line.app)
    run_script(line.app, schedule_with(card), quiet=True)
    charge_what_is_scheduled(line)
    [payment] = payments(line.app, after=history)
    assert (payment.status, payment.decline_code) == (status, code)


def test_a_lost_answer_is_found_by_its_key_and_never_charged_twice(line: Line) -> None:
    history = last_payment_id(line.app)
    run_script(line.app, schedule_with("4242424242424242"), quiet=True)
    if line.stripe is not None:
        line.stripe.fault = "lost-charge-reply"
    else:
        override_settings(line.app, IVR_SANDBOX_FAULT="lost-reply")
    charge_what_is_scheduled(line)
    [payment] = payments(line.app, after=history)
    assert payment.status == "unknown"
    if line.stripe is not None:
        line.stripe.fault = ""
    else:
        override_settings(line.app, IVR_SANDBOX_FAULT="")
    assert reconcile(db.sessions(line.app), gateway_of(line.app)).approved == 1
    [payment] = payments(line.app, after=history)
    assert payment.status == "approved" and payment.gateway_reference
    assert balances(line.app)[payment.account_id] == 0
    if line.stripe is not None:
        lookups = [(seen.method, seen.path, set(dict(parse_qsl(seen.text))))
                   for seen in line.stripe.seen if seen.path.startswith("/v1/payment_intents")
                   and seen.method == "GET"]
        assert lookups == [("GET", "/v1/payment_intents", {"limit", "created[gte]"})]
        assert len(line.stripe.intent_forms()) == 1  # looked up, never sent again


def test_in_process_the_simulator_emulates_the_lines_own_connector(line: Line) -> None:
    assert connector_for(InProcessTransport(line.app)) == line.gateway
