"""Card capture by Twilio's <Pay> (``card_capture = "pay"``): asking, and reading its result.

Twilio collects and checks the card and, for a payment today, charges it through
its Pay Connector; the flow sees only the result, the card type and last four. A
payment today is written ahead before <Pay> is asked for (its amount held), and
<Pay>'s result settles it.
"""

from __future__ import annotations

from flows.context import Context
from flows.method_steps import confirm_step
from flows.money import convenience_fee
from flows.outcomes import Finish, Go, Outcome
from flows.payment_steps import order_of, settled
from flows.ports import CaptureResult, DeclineReason
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
    if state.purpose is Purpose.NOW:
        return _charged(state, outcome, result, ctx)
    if outcome == "caller-hung-up":
        return Finish([])
    if outcome == "caller-interrupted-with-star":
        state.clear_payment()
        return Go(Step.MAIN_MENU, [say("info.payment_cancelled")])
    if outcome != "success":
        state.clear_source()
        return Go(Step.AFTER_DECLINE, [*_why_not(outcome, result), say("info.no_payment_taken")])
    state.source = _captured_card(result) | {"kind": "card",
                                             "token": result.get("PaymentToken", "")}
    return Go(confirm_step(state))


def capture_of(result: dict[str, str]) -> CaptureResult:
    """What <Pay>'s Result says it did with a charge: never more certain than it is.

    A connector error that is not a known decline (a processor timeout, say) may have
    charged, so it is in doubt rather than a decline.
    """
    outcome = result.get("Result", "")
    card = _captured_card(result)
    reason = _connector_reason(result) if outcome == "payment-connector-error" else None
    return CaptureResult(
        approved=outcome == "success", reference=result.get("PaymentConfirmationCode", ""),
        label=card["label"] if card["last4"] else "", last4=card["last4"],
        decline_reason=reason,
        cancelled=outcome in ("caller-hung-up", "caller-interrupted-with-star"),
        unknown=outcome == "payment-connector-error" and reason is None)


def _charged(state: CallState, outcome: str, result: dict[str, str], ctx: Context) -> Outcome:
    """<Pay> was to charge the payment written ahead for it: record what it did."""
    card = _captured_card(result)
    charged = ctx.ports.finish_captured(state.payment_key, capture_of(result))
    if outcome == "caller-hung-up":
        return Finish([])
    if outcome == "caller-interrupted-with-star":
        state.clear_payment()
        return Go(Step.MAIN_MENU, [say("info.payment_cancelled")])
    if outcome in ("success", "payment-connector-error"):
        state.source = {"kind": "captured", "label": card["label"], "last4": card["last4"]}
        order = order_of(state, ctx)
        state.save_offer = None  # the Pay Connector charged it; there is no token to keep
        return settled(state, ctx, order, charged)
    state.clear_source()
    return Go(Step.AFTER_DECLINE, [*_why_not(outcome, result), say("info.no_payment_taken")])


def _captured_card(result: dict[str, str]) -> dict[str, str]:
    card_type = result.get("PaymentCardType", "").lower()
    return {"label": CARD_TYPES.get(card_type, card_type.title() or "card"),
            "last4": result.get("PaymentCardNumber", "")[-4:],
            "expiry_mmyy": result.get("ExpirationDate", ""),
            "postal_code": result.get("PaymentCardPostalCode", "")}


# The connector errors that are declines: the processor refused the card, nothing was taken.
CONNECTOR_DECLINES = frozenset({DeclineReason.DECLINED, DeclineReason.INSUFFICIENT_FUNDS,
                                DeclineReason.EXPIRED_CARD, DeclineReason.INCORRECT_CVC,
                                DeclineReason.PROCESSING_ERROR})


def _connector_reason(result: dict[str, str]) -> DeclineReason | None:
    reason = result.get("ConnectorError", "")
    return next((known for known in CONNECTOR_DECLINES if known.value == reason), None)


def _why_not(outcome: str, result: dict[str, str]) -> list[Prompt]:
    if outcome == "too-many-failed-attempts":
        return [say("decline.card_unreadable")]
    reason = _connector_reason(result) if outcome == "payment-connector-error" else None
    return [say(f"decline.{(reason or DeclineReason.PROCESSING_ERROR).value}")]
