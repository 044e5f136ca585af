"""Capture by Twilio's <Pay> (``card_capture = "pay"``): asking, and reading its result.

Twilio collects and checks the card and, for a payment today, charges it through
its Pay Connector; the flow sees only the result, the card type and last four. A
payment today is written ahead before <Pay> is asked for (its amount held), and
<Pay>'s result settles it.

A card for a later date, and every bank account, is only tokenised. The gateway checks
the token as soon as <Pay> reports it (``ports.accept_token``): one it could not charge
later is refused there and then, with the reason, before anything is read back, agreed
or scheduled. A bank account is debited only after the caller hears and agrees to the
telephone authorisation (the read-back), so <Pay> never debits it itself.
"""

from __future__ import annotations

from flows.capture import CaptureKind, CaptureReport
from flows.context import Context
from flows.draft import Purpose
from flows.method_steps import confirm_step
from flows.money import convenience_fee
from flows.outcomes import Finish, Go, Outcome
from flows.payment_steps import decline_prompt, order_of, settled
from flows.ports import DeclineReason, PaymentSource
from flows.speech import Money, Prompt, charge_description, say
from flows.state import CallState, Capture, Reply, Step


def total_now(state: CallState, ctx: Context) -> int:
    """What <Pay> charges for a payment today: the amount and the fee written ahead with it
    (``state.heard``), so <Pay> asked again later charges what was said and written."""
    amount = state.payment.amount_cents
    heard = state.heard
    if heard is not None and heard.step is Step.CARD_CAPTURE:
        return amount + heard.fee_cents
    return amount + convenience_fee(amount, ctx.settings.fee_flat_cents, ctx.settings.fee_percent)


def capture_reply(state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
    """The <Pay> request: charge now, or only keep the card for a later date."""
    account = ctx.account(state)
    if state.payment.purpose is Purpose.NOW:
        total = total_now(state, ctx)
        fee = total - state.payment.amount_cents
        # The fee is named before <Pay> charges it, as the read-back names it for a keyed card.
        intro = [say("info.fee", fee=Money(fee), total=Money(total))] if fee else []
        intro.append(say("ask.capture_charge", total=Money(total)))
        capture = Capture(total, charge_description("phone", account.number))
    else:
        intro = [say("ask.capture_keep")]
        capture = Capture(0, charge_description("card_kept", account.number))
    return Reply([*said, *intro], capture=capture)


def capture_result(state: CallState, report: CaptureReport, ctx: Context) -> Outcome:
    """Act on what the capture reported: a payment made, a card kept, or why not."""
    if state.payment.purpose is Purpose.NOW:
        return _charged(state, report, ctx)
    ended = _ended(state, report)
    if ended is not None:
        return ended
    if report.kind is not CaptureKind.SUCCESS:
        return _not_taken(state, _why_not(report))
    token = ctx.ports.accept_token("card", report.token)
    if token is None:
        return _not_taken(state, say("decline.card_not_kept"))
    kept = PaymentSource(kind="card", label=report.label, last4=report.last4,
                         token=token, expiry_mmyy=report.expiry_mmyy,
                         postal_code=report.postal_code)
    state.choose_method(kept)
    return Go(confirm_step(state))


def bank_capture_reply(state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
    """The <Pay> request for a bank account of the type chosen: tokenised, never debited."""
    account = ctx.account(state)
    capture = Capture(0, charge_description("bank_capture", account.number),
                      bank_account_type=state.payment.bank_entry.account_type,
                      holder_name=account.name)
    return Reply([*said, say("ask.capture_bank")], capture=capture)


def bank_capture_result(state: CallState, report: CaptureReport, ctx: Context) -> Outcome:
    """A bank account <Pay> collected: read it back (with the authorisation), or why not."""
    ended = _ended(state, report)
    if ended is not None:
        return ended
    if report.kind is not CaptureKind.SUCCESS:
        why = "decline.bank_unreadable" if report.kind is CaptureKind.UNREADABLE else \
            decline_prompt(report.decline_reason or DeclineReason.PROCESSING_ERROR, bank=True)
        return _not_taken(state, say(why))
    token = ctx.ports.accept_token("bank", report.token)
    if token is None:
        return _not_taken(state, say("decline.bank_not_kept"))
    account_type = state.payment.bank_entry.account_type
    state.choose_method(PaymentSource(kind="bank", label=account_type, last4=report.last4,
                                      token=token))
    return Go(confirm_step(state))


def _ended(state: CallState, report: CaptureReport) -> Outcome | None:
    """The caller hung up, or cancelled with star; None when the capture went on to a result."""
    if report.kind is CaptureKind.HUNG_UP:
        return Finish([])
    if report.kind is CaptureKind.CANCELLED:
        state.clear_payment()
        return Go(Step.MAIN_MENU, [say("info.payment_cancelled")])
    return None


def _not_taken(state: CallState, why: Prompt) -> Outcome:
    """Nothing was taken or kept: say why, then offer another way to pay."""
    state.clear_source()
    return Go(Step.AFTER_DECLINE, [why, say("info.no_payment_taken")])


def _charged(state: CallState, report: CaptureReport, ctx: Context) -> Outcome:
    """<Pay> was to charge the payment written ahead for it: record what it did."""
    charged = ctx.ports.finish_captured(state.payment_key, report.ledger_result())
    ended = _ended(state, report)
    if ended is not None:
        return ended
    if report.kind in (CaptureKind.SUCCESS, CaptureKind.CONNECTOR_ERROR):
        captured = PaymentSource(kind="captured", label=report.label, last4=report.last4)
        state.choose_method(captured)
        order = order_of(state, ctx)
        state.save_offer = None  # the Pay Connector charged it; there is no token to keep
        return settled(state, ctx, order, charged)
    return _not_taken(state, _why_not(report))


def _why_not(report: CaptureReport) -> Prompt:
    if report.kind is CaptureKind.UNREADABLE:
        return say("decline.card_unreadable")
    return say(f"decline.{(report.decline_reason or DeclineReason.PROCESSING_ERROR).value}")
