"""The ports contract for bank debits authorised by telephone (NACHA TEL): both
implementations write none without a complete authorisation - its words said and agreed,
an account naming the payer, and a number its written notice can reach.

The flow offers no bank debit without one (``flows.authorisation.can_debit``); these are the
ports' own refusals, in case a caller of the ports does not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from flows.ports import Authorization, DeclineReason
from tests.ports.contract_helpers import (
    JORDAN,
    NO_PHONE,
    SAM,
    Harness,
    bank,
    card,
    kept,
    order,
    paid_with,
    summary,
)

AGREED = Authorization("Today, ... To authorize these debits and turn on AutoPay, press 1.", "1")


def refused(harness: Harness, account: str, **changes: Any) -> bool:
    """A debit of Sam's bank account (or ``account``'s) with ``changes`` is refused, and
    nothing is written or held."""
    account_id = harness.ids[account]
    before = summary(harness, account).payable_cents
    with harness.turn() as ports:
        result = ports.open_payment(replace(order(account_id, 1000, bank(ports), "CA1-1"),
                                            **changes))
        waiting = ports.scheduled_payments(account_id)
    return result.decline_reason is DeclineReason.NOT_AUTHORISED and not result.processing \
        and waiting == [] and summary(harness, account).payable_cents == before


def test_a_bank_debit_without_its_authorisation_is_refused(harness: Harness) -> None:
    assert refused(harness, SAM, authorization_text=None, authorization_key=None)
    assert refused(harness, SAM, authorization_text=None, scheduled_for=date(2026, 12, 1))


def test_a_bank_debit_no_written_notice_can_reach_is_refused(harness: Harness) -> None:
    # The caller ID withheld, and no phone on the account.
    assert refused(harness, NO_PHONE, notify_number=None)


def test_a_withheld_caller_id_is_noticed_at_the_accounts_phone(harness: Harness) -> None:
    with harness.turn() as ports:
        opened = ports.open_payment(replace(order(harness.ids[SAM], 1000, bank(ports), "CA1-1"),
                                            notify_number=None))
    assert opened.processing


def test_autopay_by_bank_needs_its_standing_authorisation(harness: Harness) -> None:
    jordan = harness.ids[JORDAN]
    paid = paid_with(harness, JORDAN, bank, "CA1-1")
    with harness.turn() as ports:
        checking = ports.save_method(jordan, paid)
        with pytest.raises(PermissionError):
            ports.set_autopay(jordan, checking.id, None, "+14155550100")
    with harness.turn() as ports:
        assert ports.autopay_method(jordan) is None
        ports.set_autopay(jordan, checking.id, AGREED, "+14155550100")
    with harness.turn() as ports:
        assert ports.autopay_method(jordan) == checking


def test_autopay_by_card_needs_no_bank_authorisation(harness: Harness) -> None:
    jordan = harness.ids[JORDAN]
    paid = paid_with(harness, JORDAN, card, "CA1-1")
    with harness.turn() as ports:
        visa = ports.save_method(jordan, paid)
        ports.set_autopay(jordan, visa.id, None, None)
        assert ports.autopay_method(jordan) == visa


def test_an_arrangement_by_bank_needs_its_authorisation(harness: Harness) -> None:
    sam = harness.ids[SAM]
    plan = [(date(2026, 12, 1), 4455), (date(2026, 12, 15), 4455)]
    with harness.turn() as ports:
        source = kept(ports, sam, bank(ports), 8910)
    with harness.turn() as ports, pytest.raises(PermissionError):
        ports.create_arrangement(sam, plan, source, "CA1", "+12125550199", None)
    with harness.turn() as ports:
        assert ports.scheduled_payments(sam) == []
