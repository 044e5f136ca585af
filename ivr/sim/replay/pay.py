"""A logged ``<Pay>`` result done again: the fields keyed into the simulator's ``<Pay>``.

The call log keeps of a ``<Pay>`` only how it ended and the card's brand (``success Visa``,
``connector_error Visa``, ``cancelled``, ``hung_up``, ``unreadable``, ``failed``), and the
turn's prompts say why a card was declined. The replay keys, field by field as the line's
``<Pay>`` asks (card number, expiry, security code, ZIP; or routing number and the account
number twice), the demo test values that end it the same way.
"""

from __future__ import annotations

from flows.cards import Brand, security_code_length
from flows.state import Step
from ivr.sim import demo_values as demo
from ivr.sim.logged_turns import Turn
from ivr.sim.script_write import Line

# The tries the line's <Pay> gives each field (``maxAttempts`` in ivr.web.twiml.pay_verb).
PAY_ATTEMPTS = 3
_NOT_A_CARD = "4242424242424241"  # fails the Luhn check


def capture_lines(turn: Turn, stand_ins: demo.StandIns, notes: list[str]) -> list[Line]:
    """The caller's keys for each field of the ``<Pay>`` that ``turn`` reported on."""
    result, _, brand = (turn.entry or "failed").partition(" ")
    bank = turn.before == Step.BANK_CAPTURE
    if result == "cancelled":
        return [Line("press", "*")]
    if result == "hung_up":
        return [Line("hangup")]
    if result in ("unreadable", "failed"):
        if result == "failed":
            notes.append(f"turn {turn.number}: <Pay> failed (a provider error the simulator "
                         f"cannot make): keyed details it cannot read instead")
        wrong = demo.BAD_ROUTING_NUMBER if bank else _NOT_A_CARD
        return [Line("press", f"{wrong}#") for _ in range(PAY_ATTEMPTS)]
    if bank:
        return _bank_fields(turn, result, notes)
    return _card_fields(turn, result, brand, stand_ins, notes)


def _card_fields(turn: Turn, result: str, brand: str, stand_ins: demo.StandIns,
                 notes: list[str]) -> list[Line]:
    """A test card of ``brand`` (the declining one for the decline said), and the rest."""
    stand_ins.decline = next((p for p in turn.prompts if p in demo.DECLINED_CARDS), None)
    if result == "connector_error" and stand_ins.decline is None:
        notes.append(f"turn {turn.number}: <Pay>'s connector failed without a decline (no "
                     f"test card does that): keyed an approved card instead")
    card = stand_ins.card_for_brand(brand)
    code_length = security_code_length(Brand.AMEX) if card.startswith(("34", "37")) \
        else security_code_length(Brand.VISA)
    comment = f"turn {turn.number}: <Pay> {turn.entry}"
    return [Line("press", f"{card}#", comment=comment),
            Line("press", demo.expiry(stand_ins.today, years=3)),
            Line("press", "1234"[:code_length]),
            Line("press", f"{demo.ZIP_CODE}#")]


def _bank_fields(turn: Turn, result: str, notes: list[str]) -> list[Line]:
    """The sandbox's routing and account numbers, the account number twice."""
    if result != "success":
        notes.append(f"turn {turn.number}: <Pay> {turn.entry} for a bank account (no test "
                     f"account does that): keyed one it accepts instead")
    account = f"{demo.BANK_ACCOUNT}#"
    return [Line("press", f"{demo.ROUTING_NUMBER}#", comment=f"turn {turn.number}: <Pay> "
                 f"{turn.entry}"), Line("press", account), Line("press", account)]
