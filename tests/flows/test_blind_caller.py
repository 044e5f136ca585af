"""A caller who only listens can do every task: each menu step below is taken by the words of
an option (``Caller.choose``), never by a key number known in advance; only what a prompt asks
for (a PIN, a card, an amount, a date) is keyed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from flows.ports import SavedMethod, ScheduledPayment
from flows.state import EndKind
from tests.fake_ports import FakePorts
from tests.flow_helpers import VISA, Caller

CARD = (VISA, "1230", "123", "94105")
BANK = ("110000000", "000123456789", "000123456789")


@dataclass(frozen=True)
class Choose:
    """Pick the option whose words include these."""

    words: str


Step = Choose | str
JORDAN = (Choose("account ending in 1 2 3 4"), "1234")  # matched by caller ID, and the PIN

# task: (caller ID, what the caller does, what they hear at the end)
TASKS: dict[str, tuple[str | None, tuple[Step, ...], str]] = {
    "pay the balance now by card": (
        "+14155550100", (*JORDAN, Choose("by card"), *CARD, Choose("authorize this payment")),
        "has been approved"),
    "pay the balance now from a bank account": (
        "+14155550100", (*JORDAN, Choose("bank account"), Choose("checking"), *BANK,
                         Choose("authorize this debit")), "has been submitted"),
    "pay with a card on file": (
        "+14155550100", (*JORDAN, Choose("Visa card ending in 4 2 4 2 on file"),
                         Choose("authorize this payment")), "has been approved"),
    "pay another amount": (
        "+14155550100", (*JORDAN, Choose("other amounts"), Choose("different amount"), "50",
                         Choose("pay today"), Choose("new card"), *CARD,
                         Choose("authorize this payment")), "has been approved"),
    "pay the balance on a later date": (
        "+14155550100", (*JORDAN, Choose("other amounts"), Choose("later date"), "1201",
                         Choose("new card"), *CARD, Choose("authorize this payment")),
        "is scheduled for December first"),
    "keep a new card on file": (
        "+14155550100", (*JORDAN, Choose("by card"), *CARD, Choose("authorize this payment"),
                         Choose("keep this card on file")), "We now have the Visa card"),
    "hear the balance": ("+14155550100", JORDAN, "You owe one hundred twenty dollars"),
    "hear the recent payments": (
        "+14155550100", (*JORDAN, Choose("more options"), Choose("recent payments")),
        "There are no payments on record"),
    "cancel a scheduled payment": (
        "+14155550100", (*JORDAN, Choose("more options"), Choose("manage scheduled"),
                         Choose("cancel a scheduled payment"),
                         Choose("cancel the payment of fifty dollars")), "is cancelled"),
    "turn AutoPay on": (
        "+14155550100", (*JORDAN, Choose("more options"), Choose("manage scheduled"),
                         Choose("turn on AutoPay"), Choose("Visa card ending in 4 2 4 2"),
                         Choose("turn on AutoPay")), "AutoPay is now on"),
    "set up a payment arrangement": (
        "+12125550199", (Choose("account ending in 5 6 7 8"), "5678", Choose("more options"),
                         Choose("payment arrangement"), Choose("2 payments"), "1201", "1215",
                         Choose("new card"), *CARD, Choose("agree to this payment arrangement")),
        "Your payment arrangement is set up."),
    "use another account": (
        "+14155550100", (Choose("another account"), "30009012", "9012"),
        "You owe two hundred fifty dollars"),
    "speak with an agent": (
        "+14155550100", (*JORDAN, Choose("more options"), Choose("agent")),
        "connect you to an agent"),
    "end the call": (
        "+14155550100", (*JORDAN, Choose("more options"), Choose("end this call")), "Goodbye"),
}
NEEDS_A_CARD_ON_FILE = {"pay with a card on file", "turn AutoPay on"}


@pytest.mark.parametrize("task", sorted(TASKS))
def test_a_caller_who_picks_options_by_their_words_can(ports: FakePorts, task: str) -> None:
    number, steps, heard = TASKS[task]
    if task in NEEDS_A_CARD_ON_FILE:
        ports.saved[1] = [SavedMethod(7, "card", "Visa", "4242", "1230")]
    if task == "cancel a scheduled payment":
        ports.scheduled[1] = [ScheduledPayment(41, 5000, date(2026, 12, 1), "card", "Visa",
                                               "4242")]
    caller = Caller(ports, caller=number, agent=task == "speak with an agent")
    for step in steps:
        if isinstance(step, Choose):
            caller.choose(step.words)
        else:
            caller.press(step)
    assert heard in caller.text
    if task == "speak with an agent":
        assert caller.reply.end is EndKind.TRANSFER
