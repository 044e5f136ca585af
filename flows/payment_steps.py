"""Step handlers for the end of a card payment: code, ZIP, authorisation, after."""

from __future__ import annotations

from flows.cards import Brand, check_security_code, check_zip, security_code_length
from flows.context import Context
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.ports import CardToken, ChargeRequest
from flows.speech import Digits, Money, Prompt, say
from flows.state import CallState, Step
from flows.steps import invalid_choice


def card_code(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Security code of the brand's length; it goes to the vault, never into state."""
    assert state.card is not None
    brand = Brand(state.card["brand"])
    if check_security_code(keys, brand) is not None:
        return Retry([say("error.card_code_length", brand=str(brand),
                          length=security_code_length(brand))])
    token = ctx.ports.vault_security_code(CardToken(**state.card), keys)
    state.card = {"token": token.token, "brand": str(brand), "last4": token.last4}
    return Go(Step.CARD_ZIP)


def card_zip(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Five-digit billing ZIP code."""
    if check_zip(keys) is not None:
        return Retry([say("error.card_zip_invalid")])
    state.zip_code = keys
    return Go(Step.PAY_CONFIRM)


def cancel_payment(state: CallState) -> Go:
    """Forget the payment in progress and go back to the main menu."""
    state.clear_payment()
    return Go(Step.MAIN_MENU, [say("info.payment_cancelled")])


def pay_confirm(state: CallState, keys: str, ctx: Context) -> Outcome:
    """1 authorises the charge read back to the caller; 2 cancels it."""
    if keys == "2":
        return cancel_payment(state)
    if keys != "1":
        return invalid_choice(keys)
    state.payment_attempts += 1
    result = ctx.ports.charge(_charge_request(state))
    amount = state.amount_cents or 0
    if result.approved:
        state.confirmation_number = result.confirmation_number
        state.clear_payment()
        return Go(Step.AFTER_PAYMENT, _approved_prompts(state, amount))
    state.clear_card()
    reason = result.decline_reason.value if result.decline_reason else "card_declined"
    return Go(Step.AFTER_DECLINE, [say(f"decline.{reason}"), say("info.no_payment_taken")])


def _charge_request(state: CallState) -> ChargeRequest:
    assert state.card and state.account_id and state.amount_cents and state.expiry
    return ChargeRequest(
        account_id=state.account_id,
        amount_cents=state.amount_cents,
        card=CardToken(**state.card),
        expiry_mmyy=state.expiry,
        postal_code=state.zip_code or "",
        # One key per authorisation: a redelivered webhook reuses it and cannot charge twice.
        idempotency_key=f"{state.call_sid}-{state.payment_attempts}",
        call_sid=state.call_sid,
        notify_number=state.caller,
    )


def _approved_prompts(state: CallState, amount_cents: int) -> list[Prompt]:
    prompts = [say("info.payment_approved", amount=Money(amount_cents)),
               *_confirmation_prompts(state)]
    if state.caller:
        prompts.append(say("info.confirmation_texted"))
    return prompts


def _confirmation_prompts(state: CallState) -> list[Prompt]:
    number = Digits(state.confirmation_number or "", group=5)
    return [say("info.confirmation_number", number=number)]


def after_payment(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Hear the confirmation number again, go back to the menu, or hang up."""
    if keys == "1":
        return Go(Step.AFTER_PAYMENT, _confirmation_prompts(state))
    if keys == "2":
        return Go(Step.MAIN_MENU)
    if keys == "9":
        return Finish([say("end.goodbye")])
    return invalid_choice(keys)


def after_decline(state: CallState, keys: str, ctx: Context) -> Outcome:
    """Try another card for the same amount, go back to the menu, or hang up."""
    if keys == "1":
        return Go(Step.CARD_NUMBER, [say("info.amount_accepted",
                                         amount=Money(state.amount_cents or 0))])
    if keys == "2":
        state.clear_payment()
        return Go(Step.MAIN_MENU)
    if keys == "9":
        return Finish([say("end.goodbye")])
    return invalid_choice(keys)
