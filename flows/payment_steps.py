"""Read back and authorise the payment; hold while it is charged; then how it went.

Authorising writes the payment ahead (``processing``) and answers at once with "please
hold"; the next request, which Twilio makes straight away, charges it and says the result.
"""

from __future__ import annotations

from dataclasses import replace

from flows import authorisation, steps
from flows.context import Context
from flows.draft import PaymentDraft, Purpose
from flows.keys import AGREE
from flows.menus import saved_words, source_words
from flows.money import convenience_fee
from flows.outcomes import Finish, Go, Outcome
from flows.ports import ChargeResult, DeclineReason, PaymentOrder, PaymentSource
from flows.speech import Digits, Money, Prompt, say
from flows.state import CallState, Heard, Step

# A card <Pay> is about to collect: its brand and last four are known only once it has.
CAPTURED_CARD = PaymentSource(kind="captured", label="", last4="")  # brand unknown yet


def cancel_payment(state: CallState) -> Go:
    """Forget the payment in progress and go back to the main menu."""
    state.clear_payment()
    return Go(Step.MAIN_MENU, [say("info.payment_cancelled")])


def fee_for(amount_cents: int, ctx: Context) -> int:
    """The convenience fee the operator has set for a payment of this amount."""
    settings = ctx.settings
    return convenience_fee(amount_cents, settings.fee_flat_cents, settings.fee_percent)


def cancel(state: CallState, ctx: Context) -> Outcome:
    """The caller cancels the payment read back."""
    return cancel_payment(state)


def authorise(state: CallState, ctx: Context) -> Outcome:
    """The caller authorises what was read back: write it ahead, then charge it."""
    if authorisation.read_again(state, ctx, pay_confirm_intro, state.payment.source.is_bank):
        return Go(state.step)
    state.payment_attempts += 1
    refused = keep_new_method(state, ctx)
    if refused is not None:
        return not_taken(state, ctx, refused, state.payment.source.is_bank)
    order = order_of(state, ctx)
    result = ctx.ports.open_payment(order)
    if result.processing:
        # Written ahead: the next request charges it, while the caller holds.
        return Go(Step.CHARGING, [say("info.processing_payment")])
    return settled(state, ctx, order, result)


def keep_new_method(state: CallState, ctx: Context) -> ChargeResult | None:
    """A new method for later dates is kept on file first (as read back); why not, if not.

    Payments today charge a new method as it is; a method on file is kept already.
    """
    draft = state.payment
    source = draft.source
    if draft.purpose is Purpose.NOW or source.saved_id is not None \
            or source.kind not in ("card", "bank"):
        return None
    kept = ctx.ports.keep_for_later(state.chosen_account_id, source, state.call_sid,
                                    state.payment_key, draft.amount_cents)
    if kept.saved_id is None:
        return ChargeResult(approved=False, retry_allowed=kept.retry_allowed,
                            decline_reason=kept.refused or DeclineReason.NOT_KEPT)
    state.choose_method(replace(source, saved_id=kept.saved_id,
                                saved_kind="bank" if source.is_bank else "card"))
    return None


def open_for_capture(state: CallState, ctx: Context) -> Outcome:
    """Before Twilio's <Pay> charges a card today, write the payment ahead like any other."""
    state.payment_attempts += 1
    state.choose_method(CAPTURED_CARD)
    # <Pay> is asked, in this same turn, to charge the amount and this fee (and says so).
    state.heard = Heard(Step.CARD_CAPTURE, fee_for(state.payment.amount_cents, ctx))
    order = order_of(state, ctx)
    result = ctx.ports.open_payment(order)
    if result.processing:
        return Go(Step.CARD_CAPTURE)
    return settled(state, ctx, order, result)


def charging(state: CallState, keys: str, ctx: Context) -> Outcome:
    """The charge has been sent: say how it went (keys pressed while holding don't count)."""
    result = ctx.ports.payment_result(state.payment_key)
    return settled(state, ctx, order_of(state, ctx), result)


def order_of(state: CallState, ctx: Context) -> PaymentOrder:
    """The payment being authorised, with this attempt's idempotency key: the fee read back
    with it and, for a bank debit, the authorisation as it was read (a call saved before
    terms were kept takes today's fee)."""
    draft = state.payment
    heard = state.heard
    fee = heard.fee_cents if heard is not None else fee_for(draft.amount_cents, ctx)
    text = heard.authorization if heard is not None and draft.source.is_bank else None
    return PaymentOrder(
        account_id=state.chosen_account_id, amount_cents=draft.amount_cents,
        fee_cents=fee, source=draft.source,
        # One key per authorisation: a redelivered webhook reuses it and cannot pay twice.
        idempotency_key=state.payment_key, call_sid=state.call_sid,
        notify_number=state.caller, scheduled_for=draft.scheduled_for,
        authorization_text=text, authorization_key=AGREE if text else None,
        language=state.language)


def settled(state: CallState, ctx: Context, order: PaymentOrder,
            result: ChargeResult) -> Outcome:
    """What the caller hears once the payment stands: taken, in doubt, or not taken."""
    if result.unknown or result.processing:
        # It may have been taken: its amount is held, so it cannot be paid again meanwhile.
        state.confirmation_number = result.confirmation_number
        state.clear_payment()
        return Go(Step.AFTER_PAYMENT, [
            say("info.payment_unknown", amount=Money(order.amount_cents)),
            say("info.reference_number",
                number=Digits(result.confirmation_number or "", group=5))])
    if not result.approved:
        return not_taken(state, ctx, result, order.source.is_bank)
    state.confirmation_number = result.confirmation_number
    # A new card or bank account paid today may be kept on file afterwards, by the token
    # the gateway gave for it (when it can keep it).
    keepable = order.source.kind in ("card", "bank") and not result.scheduled
    state.save_offer = replace(order.source, token=result.keep_token) \
        if keepable and result.keep_token else None
    said = result_prompts(state, order, result)
    state.clear_payment()
    return Go(Step.AFTER_PAYMENT, said)


def not_taken(state: CallState, ctx: Context, result: ChargeResult, bank: bool) -> Outcome:
    """A decline or refusal: why, then another way to pay, unless the limit is reached."""
    reason = result.decline_reason or DeclineReason.DECLINED
    said = [say(decline_prompt(reason, bank)), say("info.no_payment_taken")]
    state.clear_source()
    if reason is DeclineReason.BALANCE_CHANGED:  # another card would change nothing
        state.clear_payment()
        return Go(Step.MAIN_MENU, said)
    if not result.retry_allowed:
        state.clear_payment()
        ending = steps.transfer_or_goodbye(ctx, "end.too_many_declines")
        return Finish([*said, *ending.say], transfer=ending.transfer)
    return Go(Step.AFTER_DECLINE, said)


# Reasons a bank debit can fail for, said in words of their own (never "your card").
BANK_DECLINES = frozenset({DeclineReason.PROCESSING_ERROR, DeclineReason.DECLINED,
                           DeclineReason.INSUFFICIENT_FUNDS, DeclineReason.ENTRY_LOST,
                           DeclineReason.NOT_KEPT, DeclineReason.NOT_AUTHORISED})


def decline_prompt(reason: DeclineReason, bank: bool) -> str:
    """The prompt id saying why: a bank debit's failure is never called a card problem."""
    if bank and reason in BANK_DECLINES:
        return f"decline.bank.{reason.value}"
    return f"decline.{reason.value}"


def result_prompts(state: CallState, order: PaymentOrder,
                   result: ChargeResult) -> list[Prompt]:
    """What the caller hears once a payment is placed: how it went, and its number."""
    method = source_words(order.source)
    amount = Money(order.amount_cents)
    if result.scheduled:
        first = say("info.payment_scheduled", amount=amount, date=order.scheduled_for,
                    method=method)
    elif result.pending:
        first = say("info.payment_submitted", amount=amount, method=method)
    else:
        first = say("info.payment_approved", amount=amount)
    prompts = [first]
    if order.fee_cents and not result.scheduled:
        total = Money(order.amount_cents + order.fee_cents)
        prompts.append(say("info.fee_charged", fee=Money(order.fee_cents), total=total))
    prompts += confirmation_prompts(state)
    if state.caller:
        prompts.append(say("info.confirmation_texted"))
    return prompts


def confirmation_prompts(state: CallState) -> list[Prompt]:
    """The confirmation number, in two groups of digits."""
    number = Digits(state.confirmation_number or "", group=5)
    return [say("info.confirmation_number", number=number)]


def is_bank_debit(state: CallState, ctx: Context) -> bool:
    """The payment read back debits a bank account: authorising it says so."""
    return state.payment.source.is_bank


def _read_back(draft: PaymentDraft, fee: int) -> list[Prompt]:
    amount = draft.amount_cents
    method = source_words(draft.source)
    if draft.scheduled_for:
        prompts = [say("ask.confirm_scheduled", amount=Money(amount), method=method,
                       date=draft.scheduled_for)]
    else:
        prompts = [say("ask.confirm_payment", amount=Money(amount), method=method)]
    if fee:
        prompts.append(say("info.fee", fee=Money(fee), total=Money(amount + fee)))
    return prompts


def pay_confirm_intro(state: CallState, ctx: Context) -> list[Prompt]:
    """Read back amount, method, date and fee (and the bank authorisation), and keep them as
    heard: the key press agrees to these, even if the day or the fee changes before it."""
    draft = state.payment
    fee = fee_for(draft.amount_cents, ctx)
    before = _read_back(draft, fee)
    source = draft.source
    if source.kind in ("card", "bank") and draft.purpose is not Purpose.NOW:
        before.append(say("info.kept_on_file", method=source_words(source)))
    tel = authorisation.one_time(state, ctx, draft.amount_cents + fee) if source.is_bank else []
    authorisation.hear(state, ctx, fee, tel, authorisation.AGREE_DEBIT)
    return [*before, *tel]


def hear_confirmation(state: CallState, ctx: Context) -> Outcome:
    """The confirmation number again."""
    return Go(Step.AFTER_PAYMENT, confirmation_prompts(state))


def forget_save_offer(state: CallState) -> None:
    """The new method is not kept on file."""
    state.save_offer = None


def has_save_offer(state: CallState, ctx: Context) -> bool:
    """A new card or bank account paid with today may be kept on file."""
    return bool(state.save_offer)


def offers_bank(state: CallState, ctx: Context) -> bool:
    """The new method that may be kept on file is a bank account (else a card)."""
    return state.method_to_keep.is_bank


def keep_method(state: CallState, ctx: Context) -> Outcome:
    """Keep the new method on file."""
    saved = ctx.ports.save_method(state.chosen_account_id, state.method_to_keep)
    state.save_offer = None
    return Go(Step.AFTER_PAYMENT, [say("info.method_saved", method=saved_words(saved))])


def try_another(state: CallState, ctx: Context) -> Outcome:
    """Another way to pay the same amount."""
    amount = Money(state.payment.amount_cents)
    return Go(Step.PAY_METHOD, [say("info.amount_accepted", amount=amount)])
