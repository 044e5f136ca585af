"""Attacks from review 4 on "the account is locked while its payable amount is checked": the
ORM hands back an Account it still holds from earlier in the transaction, and ``SELECT ...
FOR UPDATE`` does not refresh it (no ``populate_existing``), so a lock taken after a plain
read could check a stale balance."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from ivr.config import override_settings
from ivr.ports import payments as payment_ports
from tests.app_helpers import balance, call_payments, postgresql_only
from tests.fault_helpers import NEW_VISA
from tests.menu_helpers import JORDAN_NEW_BANK, NOW_BY_CARD
from tests.money_checks import gateway_charges
from tests.twilio_helpers import TwilioCaller

JORDAN_BANK_TODAY = (*JORDAN_NEW_BANK, "1", "110000000", "000123456789",
                     "000123456789")  # the full balance today, from a new checking account


@pytest.mark.parametrize("database_url", postgresql_only(), indirect=True)
def test_two_calls_paying_the_balance_at_once_cannot_both_take_it(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two calls pay Jordan's $120.45 at the same moment: one by bank, one by card.
    ``open_payment`` reads the account for the bank debit's authorisation check
    (``tel_complete(..., session.get_one(Account, ...))``), then locks it with
    ``get_one(..., with_for_update=True)``, which would return the same object unrefreshed
    if anything still held it. The card payment lands in between (forced here). Holds today
    only because nothing keeps a reference to the first Account object, so the identity map
    (weak) drops it and the locked read loads it afresh; the ledger relies on that."""
    override_settings(demo_app, IVR_BILLER_NAME="Riverside Water",
                      IVR_BILLER_PHONE="+18005550199")
    by_bank = TwilioCaller(demo_app, call_sid="CA" + "b" * 32)
    by_card = TwilioCaller(demo_app, call_sid="CA" + "c" * 32, caller="+16505550123")
    bank_read_back = by_bank.walk(*JORDAN_BANK_TODAY)
    card_read_back = by_card.walk("10001234", "2468", NOW_BY_CARD, *NEW_VISA)
    original = payment_ports.tel_complete
    landed: list[str] = []

    def card_lands_meanwhile(*args: Any) -> bool:
        if not landed:
            landed.append(by_card.press(card_read_back, "1").said)
        return original(*args)

    monkeypatch.setattr(payment_ports, "tel_complete", card_lands_meanwhile)
    heard = by_bank.press(bank_read_back, "1").said
    assert "has been approved" in landed[0], landed
    taken = [cents for _, cents in gateway_charges(demo_app)]
    assert sum(taken) <= 12045, (
        f"taken {taken} for $120.45 owed; balance now {balance(demo_app)}; the bank caller "
        f"heard: {heard!r}; payments {[p.status for p in call_payments(demo_app)]}")
