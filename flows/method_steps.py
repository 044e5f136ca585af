"""With what: a card or bank account on file, a new card, or a new bank account.

Each part of a new card, once checked, is held encrypted outside the call state (the card
store, through the ports) until the card is charged; so is a bank account once keyed twice.
The state keeps only the brand or account type and the last four digits. Whatever held card
the state stops referring to is forgotten after the turn (:func:`flows.machine.holds_keyed`).
"""

from __future__ import annotations

from dataclasses import replace

from stdnum.us import rtn

from flows import authorisation, payment_steps
from flows.cards import (
    Brand,
    CardProblem,
    check_card_number,
    check_expiry,
    check_security_code,
    check_zip,
    security_code_length,
)
from flows.context import Context
from flows.dates import expiry_has_passed
from flows.draft import BankEntry, CardEntry, PaymentDraft, Purpose
from flows.keys import is_digits
from flows.menus import saved_words
from flows.outcomes import Go, Outcome, Retry
from flows.ports import CardPart, PaymentSource, SavedMethod
from flows.speech import say
from flows.state import CallState, Step
from flows.steps import nothing_to_pay

MAX_SAVED_OFFERED = 3


def confirm_step(state: CallState) -> Step:
    """Where the read-back happens once a method is chosen."""
    arranging = state.payment.purpose is Purpose.ARRANGEMENT
    return Step.ARRANGE_CONFIRM if arranging else Step.PAY_CONFIRM


def offered_methods(state: CallState, ctx: Context) -> list[SavedMethod]:
    """The saved methods read out as options, newest last, at most three (a bank account
    only when its debit can be authorised on this call)."""
    banks = authorisation.can_debit(state, ctx)
    usable = [m for m in ctx.ports.saved_methods(state.chosen_account_id)
              if banks or m.kind != "bank"]
    return usable[-MAX_SAVED_OFFERED:]


def bank_payments(state: CallState, ctx: Context) -> bool:
    """A new bank account is offered: the line takes bank debits, and this call can
    authorise one (the payer is named, and the written notice can reach them)."""
    return authorisation.can_debit(state, ctx)


def _full_today(state: CallState, ctx: Context) -> Outcome | None:
    """Start paying the full balance today (None), or why not: nothing is left to pay (another
    payment since the offer was made)."""
    account = ctx.account(state)
    if account.payable_cents <= 0:
        state.clear_payment()
        return Go(Step.MAIN_MENU, nothing_to_pay(account))
    state.draft = PaymentDraft(account.payable_cents, Purpose.NOW)
    return None


def now_by_card(state: CallState, ctx: Context) -> Outcome:
    """The full balance today, with a new card."""
    return _full_today(state, ctx) or new_card(state, ctx)


def now_by_bank(state: CallState, ctx: Context) -> Outcome:
    """The full balance today, from a new bank account: checking or savings first."""
    return _full_today(state, ctx) or Go(Step.BANK_TYPE)


def now_with_saved(state: CallState, method: SavedMethod, ctx: Context) -> Outcome:
    """The full balance today, with a method on file."""
    return _full_today(state, ctx) or use_saved(state, method, ctx)


def new_card(state: CallState, ctx: Context) -> Outcome:
    """A new card: keyed here, or collected by <Pay> (charged at once for a payment today)."""
    state.clear_source()
    if ctx.settings.card_capture != "pay":
        return Go(Step.CARD_NUMBER)
    if state.payment.purpose is Purpose.NOW:
        return payment_steps.open_for_capture(state, ctx)
    return Go(Step.CARD_CAPTURE)


def use_saved(state: CallState, method: SavedMethod, ctx: Context) -> Outcome:
    """Pay with a method on file, unless it is a card that has expired."""
    if method.expiry_mmyy and expiry_has_passed(method.expiry_mmyy, ctx.settings.today):
        return Retry([say("error.saved_card_expired", method=saved_words(method))])
    state.choose_method(PaymentSource(kind="saved", label=method.label, last4=method.last4,
                                      saved_id=method.id, saved_kind=method.kind))
    return Go(confirm_step(state))


def card_number(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Luhn and brand checks; then the number is held (encrypted) and the state keeps its
    brand and last four."""
    brand, problem = check_card_number(keys)
    if brand is None:
        return Retry([say(f"error.{problem}")])
    ctx.ports.hold_card_part(state.call_sid, CardPart.NUMBER, keys)
    state.choose_method(CardEntry(brand, keys[-4:]))
    return Go(Step.CARD_EXPIRY)


def card_expiry(state: CallState, keys: str, ctx: Context) -> Outcome:
    """MMYY, not in the past; an expired card means trying another card. It is held with
    the card, not in the state."""
    problem = check_expiry(keys, ctx.settings.today)
    if problem is CardProblem.EXPIRED:
        state.clear_source()
        return Retry([say("error.card_expired")], step=Step.CARD_NUMBER)
    if problem is not None:
        return Retry([say(f"error.{problem}")])
    if not ctx.ports.hold_card_part(state.call_sid, CardPart.EXPIRY, keys):
        return card_lost(state, ctx)
    return Go(Step.CARD_CODE)


def card_code(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Security code of the brand's length; held with the card, never in the state."""
    entry = state.payment.card_entry
    if check_security_code(keys, entry.brand) is not None:
        return Retry([say("error.card_code_length", brand=str(entry.brand),
                          length=security_code_length(entry.brand))])
    if not ctx.ports.hold_card_part(state.call_sid, CardPart.SECURITY_CODE, keys):
        return card_lost(state, ctx)
    return Go(Step.CARD_ZIP)


def card_zip(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Five-digit billing ZIP code, held with the card; the card is then complete."""
    entry = state.payment.card_entry
    if check_zip(keys) is not None:
        return Retry([say("error.card_zip_invalid")])
    if not ctx.ports.hold_card_part(state.call_sid, CardPart.POSTAL_CODE, keys):
        return card_lost(state, ctx)
    state.choose_method(entry.finished())
    return Go(confirm_step(state))


def card_lost(state: CallState, ctx: Context) -> Outcome:
    """The card being keyed is no longer held (too long, or the key was rotated): again."""
    state.clear_source()
    return Retry([say("error.card_entry_lost")], step=Step.CARD_NUMBER)


def checking(state: CallState, ctx: Context) -> Outcome:
    """A checking account."""
    return bank_type(state, ctx, "checking")


def savings(state: CallState, ctx: Context) -> Outcome:
    """A savings account."""
    return bank_type(state, ctx, "savings")


def bank_type(state: CallState, ctx: Context, account_type: str) -> Outcome:
    """Checking or savings: the numbers are keyed next, or collected by <Pay> (so they
    never reach this server either) when it collects cards."""
    state.choose_method(BankEntry(account_type))
    return Go(Step.BANK_CAPTURE if ctx.settings.card_capture == "pay" else Step.BANK_ROUTING)


def bank_routing(state: CallState, keys: str, ctx: Context) -> Outcome:
    """A nine-digit ABA routing number with a valid checksum."""
    if len(keys) != 9 or not is_digits(keys):
        return Retry([say("error.routing_length")])
    if not rtn.is_valid(keys):
        return Retry([say("error.routing_invalid")])
    state.choose_method(replace(state.payment.bank_entry, routing=keys))
    return Go(Step.BANK_ACCOUNT)


def bank_account(state: CallState, keys: str, ctx: Context) -> Outcome:
    """The account number, kept only as a keyed digest until it is entered again."""
    if not is_digits(keys) or not 4 <= len(keys) <= 17:
        return Retry([say("error.bank_account_invalid")])
    state.choose_method(replace(state.payment.bank_entry, fingerprint=ctx.ports.fingerprint(keys)))
    return Go(Step.BANK_ACCOUNT_AGAIN)


def bank_account_again(state: CallState, keys: str, ctx: Context) -> Outcome:
    """The same account number again; on a match the account is held (encrypted)."""
    entry = state.payment.bank_entry
    if ctx.ports.fingerprint(keys) != entry.fingerprint:
        state.choose_method(replace(entry, fingerprint=None))
        return Retry([say("error.bank_account_mismatch")], step=Step.BANK_ACCOUNT)
    ctx.ports.hold_bank_account(state.call_sid, entry.routing, keys, entry.account_type)
    state.choose_method(entry.finished(last4=keys[-4:]))
    return Go(confirm_step(state))


def saved_method(method: SavedMethod) -> dict[str, object]:
    """A saved method as an option names it."""
    return {"method": saved_words(method)}


def card_brand(state: CallState) -> Brand:
    """The brand of the new card being keyed."""
    return state.payment.card_entry.brand


def is_amex(state: CallState, ctx: Context) -> bool:
    """An American Express card has its security code on the front."""
    return card_brand(state) is Brand.AMEX


def code_length(state: CallState, ctx: Context) -> int:
    """Four digits on an Amex, three otherwise."""
    return security_code_length(card_brand(state))


def code_params(state: CallState, ctx: Context) -> dict[str, object]:
    """The security code's length, as the question says it."""
    return {"length": code_length(state, ctx)}
