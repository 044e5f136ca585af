"""With what: a card or bank account on file, a new card, or a new bank account.

A new card's number and security code, and a bank account number, go to the
gateway's vault in the request that receives them; the state keeps a token.
"""

from __future__ import annotations

from dataclasses import replace

from stdnum.us import rtn

from flows import payment_steps
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
from flows.draft import BankEntry, CardEntry, Purpose
from flows.keys import is_digits
from flows.menus import saved_words
from flows.outcomes import Go, Outcome, Retry
from flows.ports import CardToken, PaymentSource, SavedMethod
from flows.speech import say
from flows.state import CallState, Step

MAX_SAVED_OFFERED = 3


def confirm_step(state: CallState) -> Step:
    """Where the read-back happens once a method is chosen."""
    arranging = state.payment.purpose is Purpose.ARRANGEMENT
    return Step.ARRANGE_CONFIRM if arranging else Step.PAY_CONFIRM


def offered_methods(state: CallState, ctx: Context) -> list[SavedMethod]:
    """The saved methods read out as options, newest last, at most three."""
    return ctx.ports.saved_methods(state.chosen_account_id)[-MAX_SAVED_OFFERED:]


def bank_payments(state: CallState, ctx: Context) -> bool:
    """Bank accounts are accepted on this line."""
    return ctx.settings.bank_payments


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
    """Luhn and brand checks, then the number goes to the vault and is forgotten."""
    brand, problem = check_card_number(keys)
    if brand is None:
        return Retry([say(f"error.{problem}")])
    token = ctx.ports.vault_card(keys)
    state.choose_method(CardEntry(brand, token.last4, token.token))
    return Go(Step.CARD_EXPIRY)


def card_expiry(state: CallState, keys: str, ctx: Context) -> Outcome:
    """MMYY, not in the past; an expired card means trying another card."""
    problem = check_expiry(keys, ctx.settings.today)
    if problem is CardProblem.EXPIRED:
        state.clear_source()
        return Retry([say("error.card_expired")], step=Step.CARD_NUMBER)
    if problem is not None:
        return Retry([say(f"error.{problem}")])
    state.choose_method(replace(state.payment.card_entry, expiry_mmyy=keys))
    return Go(Step.CARD_CODE)


def card_code(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Security code of the brand's length; it goes to the vault, never into state."""
    entry = state.payment.card_entry
    if check_security_code(keys, entry.brand) is not None:
        return Retry([say("error.card_code_length", brand=str(entry.brand),
                          length=security_code_length(entry.brand))])
    card = CardToken(entry.token, str(entry.brand), entry.last4)
    state.choose_method(replace(entry, token=ctx.ports.vault_security_code(card, keys).token))
    return Go(Step.CARD_ZIP)


def card_zip(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Five-digit billing ZIP code."""
    if check_zip(keys) is not None:
        return Retry([say("error.card_zip_invalid")])
    state.choose_method(state.payment.card_entry.finished(postal_code=keys))
    return Go(confirm_step(state))


def checking(state: CallState, ctx: Context) -> Outcome:
    """A checking account."""
    return bank_type(state, "checking")


def savings(state: CallState, ctx: Context) -> Outcome:
    """A savings account."""
    return bank_type(state, "savings")


def bank_type(state: CallState, account_type: str) -> Outcome:
    """Checking or savings: the number is asked for next."""
    state.choose_method(BankEntry(account_type))
    return Go(Step.BANK_ROUTING)


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
    """The same account number again; on a match it goes to the vault."""
    entry = state.payment.bank_entry
    if ctx.ports.fingerprint(keys) != entry.fingerprint:
        state.choose_method(replace(entry, fingerprint=None))
        return Retry([say("error.bank_account_mismatch")], step=Step.BANK_ACCOUNT)
    state.choose_method(entry.finished(ctx.ports.vault_bank_account(entry.routing, keys,
                                                                    entry.account_type)))
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
