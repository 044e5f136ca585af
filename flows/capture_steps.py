"""Card capture by Twilio's <Pay> (``card_capture = "pay"``): asking, and reading its result.

Twilio collects and checks the card and, for a payment today, charges it through
its Pay Connector; the flow sees only the result, the card type and last four.
"""

from __future__ import annotations

from flows.context import Context
from flows.method_steps import confirm_step
from flows.money import convenience_fee
from flows.outcomes import Finish, Go, Outcome
from flows.payment_steps import fee_for, result_prompts
from flows.ports import DeclineReason, PaymentOrder, PaymentSource
from flows.speech import Money, Prompt, say
from flows.state import CallState, Capture, Purpose, Reply, Step

CARD_TYPES = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express",
              "discover": "Discover"}


def total_now(state: CallState, ctx: Context) -> int:
    """What <Pay> charges for a payment today: the amount and the fee."""
    amount = state.amount_cents or 0
    return amount + convenience_fee(amount, ctx.settings.fee_flat_cents, ctx.settings.fee_percent)


def capture_reply(state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
    """The <Pay> request: charge now, or only keep the card for a later date."""
    account = ctx.account(state)
    if state.purpose is Purpose.NOW:
        total = total_now(state, ctx)
        intro = say("ask.capture_charge", total=Money(total))
        capture = Capture(total, f"Account {account.number} (phone payment)")
    else:
        intro = say("ask.capture_keep")
        capture = Capture(0, f"Account {account.number} (card kept on file)")
    return Reply([*said, intro], capture=capture)


def capture_result(state: CallState, result: dict[str, str], ctx: Context) -> Outcome:
    """Act on <Pay>'s Result: a payment made, a card kept, or why not."""
    outcome = result.get("Result", "")
    if outcome == "caller-hung-up":
        return Finish([])
    if outcome == "caller-interrupted-with-star":
        state.clear_payment()
        return Go(Step.MAIN_MENU, [say("info.payment_cancelled")])
    if outcome != "success":
        return _not_taken(state, outcome, result)
    source = _captured_card(result)
    if state.purpose is not Purpose.NOW:
        state.source = source | {"kind": "card", "token": result.get("PaymentToken", "")}
        return Go(confirm_step(state))
    return _record(state, ctx, source | {"kind": "captured",
                                         "token": result.get("PaymentConfirmationCode", "")})


def _captured_card(result: dict[str, str]) -> dict[str, str]:
    card_type = result.get("PaymentCardType", "").lower()
    return {"label": CARD_TYPES.get(card_type, card_type.title() or "card"),
            "last4": result.get("PaymentCardNumber", "")[-4:],
            "expiry_mmyy": result.get("ExpirationDate", ""),
            "postal_code": result.get("PaymentCardPostalCode", "")}


def _not_taken(state: CallState, outcome: str, result: dict[str, str]) -> Outcome:
    state.clear_source()
    if outcome == "too-many-failed-attempts":
        said = [say("decline.card_unreadable")]
    elif outcome == "payment-connector-error":
        reason = result.get("ConnectorError", "")
        known = reason if reason in {r.value for r in DeclineReason} else "processing_error"
        said = [say(f"decline.{known}")]
    else:
        said = [say("decline.processing_error")]
    return Go(Step.AFTER_DECLINE, [*said, say("info.no_payment_taken")])


def _record(state: CallState, ctx: Context, source: dict[str, str]) -> Outcome:
    assert state.account_id is not None and state.amount_cents is not None
    state.payment_attempts += 1
    order = PaymentOrder(
        account_id=state.account_id, amount_cents=state.amount_cents,
        fee_cents=fee_for(state.amount_cents, ctx),
        source=PaymentSource(kind="captured", label=source["label"], last4=source["last4"],
                             token=source["token"], expiry_mmyy=source["expiry_mmyy"],
                             postal_code=source["postal_code"]),
        idempotency_key=f"{state.call_sid}-{state.payment_attempts}", call_sid=state.call_sid,
        notify_number=state.caller)
    result = ctx.ports.place_payment(order)
    state.confirmation_number = result.confirmation_number
    state.save_offer = None  # the Pay Connector charged it; there is no token to keep
    said = result_prompts(state, order, result)
    state.clear_payment()
    return Go(Step.AFTER_PAYMENT, said)
