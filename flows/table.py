"""Every step of a call, declared once: read this table to follow a call from hello to goodbye.

Each step is one of the kinds in :mod:`flows.spec`:

- ``Menu``: options, each ``Option(key, prompt id, then, when=guard)``, where ``then`` is
  the step the key leads to or an action deciding it; ``Each`` numbers one option per item.
  The options are said in order, then (at the call's first menu, and after a wrong answer)
  "to repeat, press star"; star repeats any menu at any time, and 0 reaches an agent.
  Options may also be named by voice, except at the menus that agree to terms
  (``speech=False``): the agreement recorded is a key pressed.
- ``Entry``: a number keyed and checked by its handler; ``cancellable`` when a lone star
  drops the payment (the first such question of a call says so). ``hears`` when it may
  also be said (only an account number and an amount: card and bank numbers, PINs and
  dates are keypad only).
- ``CardCapture``: Twilio's <Pay> collects a card or bank account. ``Hold``: the caller
  holds while a payment is charged. ``End``: the call is over.
- ``Record`` (:mod:`flows.record_step`): the caller records a spoken message.

A start step (``start=True``) also takes the language key, 9: the call goes on in the
language it offers (:mod:`flows.languages`), so no start menu may give 9 to an option.

``goes`` lists where a step's actions or handler may lead besides the options' own steps;
the machine refuses any other move. The question each step asks, how its keys are
dispatched and the allowed transitions are all derived from this table, and
:func:`flows.checks.check` refuses it at import when its graph does not hold together.
"""

from __future__ import annotations

from flows import agent_steps as agent
from flows import amount_steps as amount
from flows import authorisation as auth
from flows import capture_steps as capture
from flows import dispute_steps as dispute
from flows import method_steps as method
from flows import payment_steps as pay
from flows import plan_steps as plan
from flows import steps
from flows.checks import check
from flows.hearing import spoken_amount, spoken_digits
from flows.keys import AGREE, BACK
from flows.record_step import Record
from flows.spec import NEXT, CardCapture, Each, Either, End, Entry, Hold, Menu, Option, StepSpec
from flows.state import CallState, Step

S = Step

STEPS: dict[Step, StepSpec] = {
    # Who is calling: the account matched by caller ID, or keyed; then the PIN.
    S.CONFIRM_ACCOUNT: Menu(start=True, needs_pin=False, options=(
        Option("1", "option.this_account", S.PIN, params=steps.account_found),
        Option("2", "option.other_account", S.ACCOUNT_NUMBER, do=steps.forget_account))),
    S.ACCOUNT_NUMBER: Entry(start=True, needs_pin=False, prompt="ask.account_number",
                            secret="account number",
                            handler=steps.account_number, goes=frozenset({S.PIN}),
                            hears=spoken_digits, hints=("hear.slower",), slower=True),
    S.PIN: Entry(needs_pin=False, secret="PIN", prompt="ask.pin", digits=4, handler=steps.pin,
                 goes=frozenset({S.PAY_NOW, S.MAIN_MENU})),
    # The balance first, and paying all of it today in one key: by card, by bank account or
    # with a method on file. Another amount or date, and everything else, one key away.
    # "Pay my bill" or "the full amount" here asks again how (by card, bank, on file).
    S.PAY_NOW: Menu(intro=steps.pay_now_intro, repeat_words="hear.how_to_pay",
                    goes=frozenset({S.CARD_NUMBER, S.CARD_CAPTURE, S.BANK_TYPE, S.PAY_CONFIRM,
                                    S.PAY_CHOICE, S.PAY_OTHER_AMOUNT, S.MAIN_MENU}), options=(
        Option("1", "option.now_by_card", method.now_by_card),
        Option("2", "option.now_by_bank", method.now_by_bank, when=method.bank_payments),
        Each(method.offered_methods, "option.now_with_saved", method.saved_method,
             method.now_with_saved),
        Option(NEXT, Either(amount.can_schedule, "option.other_amounts_dates",
                            "option.other_amount"), amount.other_choices),
        Option(NEXT, "option.more", S.MAIN_MENU, do=CallState.clear_payment))),
    # More options: everything else (a new option goes before the agent's).
    S.MAIN_MENU: Menu(goes=frozenset({S.PAY_NOW, S.NEXT_STEPS}), options=(
        Option("1", "option.balance", steps.hear_balance),
        Option("2", "option.pay", steps.start_paying, when=steps.can_pay),
        Option("3", "option.history", steps.hear_history),
        Option("4", "option.manage", S.MANAGE),
        Option("5", "option.arrangement", S.ARRANGE_COUNT, when=steps.can_arrange),
        Option("7", "option.dispute", S.DISPUTE_RECORD),
        Option("0", "option.agent", steps.transfer_to_agent, when=steps.agent_available),
        Option(BACK, "option.end_call", steps.goodbye))),
    S.NEXT_STEPS: Menu(goes=frozenset({S.PAY_NOW, S.MAIN_MENU}), options=(
        Option("1", "option.pay_now", steps.start_paying),
        Option("2", "option.more", S.MAIN_MENU))),
    # Another amount (then today or later), or the full balance on a later date.
    S.PAY_CHOICE: Menu(goes=frozenset({S.SCHEDULE_DATE}), options=(
        Option("1", "option.pay_other", S.PAY_OTHER_AMOUNT),
        Option("2", "option.pay_full_later", amount.full_later, params=amount.due_date),
        Option(BACK, "option.main_menu", S.MAIN_MENU, do=CallState.clear_payment))),
    S.PAY_OTHER_AMOUNT: Entry(cancellable=True, prompt="ask.amount", params=amount.amount_limits,
                              handler=amount.other_amount, hears=spoken_amount,
                              hints=("hear.dollars", "hear.cents", "hear.cancel_entry"),
                              goes=frozenset({S.PAY_WHEN, S.PAY_METHOD})),
    S.PAY_WHEN: Menu(goes=frozenset({S.PAY_METHOD, S.SCHEDULE_DATE}), options=(
        Option("1", "option.pay_today", amount.pay_today),
        Option("2", "option.pay_later", amount.pay_later, params=amount.due_date))),
    S.SCHEDULE_DATE: Entry(cancellable=True, prompt="ask.schedule_date", digits=4,
                           params=amount.latest_date, handler=amount.schedule_date,
                           goes=frozenset({S.PAY_METHOD})),
    # With what, for those (and after a decline): a saved method, a new card (keyed, or by
    # <Pay>), or a bank account (keyed, or by <Pay>: tokenised, and debited only once the
    # authorisation is agreed).
    S.PAY_METHOD: Menu(goes=frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM, S.CARD_NUMBER,
                                       S.CARD_CAPTURE}), options=(
        Each(method.offered_methods, "option.use_saved", method.saved_method, method.use_saved),
        Option(NEXT, "option.new_card", method.new_card),
        Option(NEXT, "option.new_bank", S.BANK_TYPE, when=method.bank_payments,
               do=CallState.clear_source),
        Option(BACK, "option.main_menu", S.MAIN_MENU, do=CallState.clear_payment))),
    S.CARD_NUMBER: Entry(cancellable=True, secret="card number", prompt="ask.card_number",
                         handler=method.card_number, goes=frozenset({S.CARD_EXPIRY})),
    S.CARD_EXPIRY: Entry(cancellable=True, secret="card expiry", prompt="ask.card_expiry",
                         digits=4, handler=method.card_expiry,
                         goes=frozenset({S.CARD_CODE, S.CARD_NUMBER})),
    S.CARD_CODE: Entry(cancellable=True, secret="security code", digits=method.code_length,
                       params=method.code_params,
                       prompt=Either(method.is_amex, "ask.card_code_front", "ask.card_code_back"),
                       handler=method.card_code, goes=frozenset({S.CARD_ZIP, S.CARD_NUMBER})),
    S.CARD_ZIP: Entry(cancellable=True, secret="ZIP code", prompt="ask.card_zip", digits=5,
                      handler=method.card_zip,
                      goes=frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM, S.CARD_NUMBER})),
    S.CARD_CAPTURE: CardCapture(ask=capture.capture_reply, result=capture.capture_result,
                                goes=frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM, S.AFTER_PAYMENT,
                                                S.AFTER_DECLINE, S.MAIN_MENU})),
    S.BANK_TYPE: Menu(goes=frozenset({S.BANK_ROUTING, S.BANK_CAPTURE}), options=(
        Option("1", "option.checking", method.checking),
        Option("2", "option.savings", method.savings))),
    S.BANK_CAPTURE: CardCapture(ask=capture.bank_capture_reply,
                                result=capture.bank_capture_result,
                                goes=frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM,
                                                S.AFTER_DECLINE, S.MAIN_MENU})),
    S.BANK_ROUTING: Entry(cancellable=True, secret="routing number",
                          prompt="ask.bank_routing",
                          handler=method.bank_routing, goes=frozenset({S.BANK_ACCOUNT})),
    S.BANK_ACCOUNT: Entry(cancellable=True, secret="bank account number",
                          prompt="ask.bank_account",
                          handler=method.bank_account, goes=frozenset({S.BANK_ACCOUNT_AGAIN})),
    S.BANK_ACCOUNT_AGAIN: Entry(cancellable=True, secret="bank account number",
                                prompt="ask.bank_account_again",
                                handler=method.bank_account_again,
                                goes=frozenset({S.PAY_CONFIRM, S.ARRANGE_CONFIRM,
                                                S.BANK_ACCOUNT})),
    # Authorise, hold while it is charged, and after.
    S.PAY_CONFIRM: Menu(intro=pay.pay_confirm_intro, speech=False,
                        goes=frozenset({S.CHARGING, S.AFTER_PAYMENT, S.AFTER_DECLINE,
                                        S.MAIN_MENU}), options=(
        Option(AGREE, Either(pay.is_bank_debit, auth.AGREE_DEBIT, "option.authorise"),
               pay.authorise),
        Option("2", "option.cancel_payment", pay.cancel))),
    S.CHARGING: Hold(handler=pay.charging, goes=frozenset({S.AFTER_PAYMENT, S.AFTER_DECLINE})),
    # Nothing to press after a payment: silence (or hanging up) ends the call.
    S.AFTER_PAYMENT: Menu(on_silence=steps.goodbye, options=(
        Option("1", "option.repeat_confirmation", pay.hear_confirmation),
        Option("2", "option.more", S.MAIN_MENU, do=pay.forget_save_offer),
        Option("3", Either(pay.offers_bank, "option.save_bank", "option.save_card"),
               pay.keep_method, when=pay.has_save_offer))),
    S.AFTER_DECLINE: Menu(goes=frozenset({S.PAY_METHOD}), options=(
        Option("1", Either(method.bank_payments, "option.another_card",
                           "option.another_card_only"), pay.try_another),
        Option("2", "option.main_menu", S.MAIN_MENU, do=CallState.clear_payment),
        Option(BACK, "option.end_call", steps.goodbye))),
    # Scheduled payments and AutoPay.
    S.MANAGE: Menu(intro=plan.manage_intro, goes=frozenset({S.AUTOPAY_METHOD, S.AUTOPAY_CONFIRM}),
                   options=(
        Option("1", "option.cancel_scheduled", S.CANCEL_SCHEDULED, when=plan.has_scheduled),
        Option("2", Either(plan.autopay_is_on, "option.autopay_off", "option.autopay_on"),
               plan.change_autopay),
        Option(BACK, "option.main_menu", S.MAIN_MENU))),
    S.CANCEL_SCHEDULED: Menu(goes=frozenset({S.MANAGE}), options=(
        Each(plan.scheduled_of, "option.cancel_this", plan.scheduled_params, plan.cancel_this),
        Option(BACK, "option.keep_scheduled", S.MANAGE))),
    S.AUTOPAY_METHOD: Menu(goes=frozenset({S.AUTOPAY_CONFIRM}), options=(
        Each(plan.autopay_methods, "option.autopay_with", method.saved_method,
             plan.autopay_with),
        Option(BACK, "option.manage_menu", S.MANAGE))),
    S.AUTOPAY_CONFIRM: Menu(intro=plan.autopay_terms, speech=False, goes=frozenset({S.MANAGE}),
                            options=(
        Option(AGREE, Either(plan.turning_autopay_on,
                             Either(plan.autopay_by_bank, auth.AGREE_AUTOPAY,
                                    "option.autopay_confirm_on"),
                             "option.autopay_confirm_off"), plan.set_autopay),
        Option("2", Either(plan.turning_autopay_on, "option.cancel_change", "option.autopay_keep"),
               S.MANAGE, do=plan.forget_choice))),
    # Payment arrangements: how many instalments, their dates, a method, then agree.
    S.ARRANGE_COUNT: Menu(intro=plan.arrangement_offer, goes=frozenset({S.ARRANGE_DATE}),
                          options=(
        Option("2", "option.instalments", plan.instalments(2), params={"count": 2}),
        Option("3", "option.instalments", plan.instalments(3), params={"count": 3}),
        Option(BACK, "option.main_menu", S.MAIN_MENU))),
    S.ARRANGE_DATE: Entry(cancellable=True, prompt="ask.instalment_date", digits=4,
                          params=plan.instalment_params, handler=plan.arrange_date,
                          goes=frozenset({S.PAY_METHOD})),
    S.ARRANGE_CONFIRM: Menu(intro=plan.plan_prompts, speech=False,
                            goes=frozenset({S.MAIN_MENU, S.AFTER_DECLINE}), options=(
        Option(AGREE, auth.AGREE_ARRANGEMENT, plan.agree),
        Option("2", "option.cancel_payment", pay.cancel))),
    # Questioning a charge: a recorded message opens a case, its number said and texted.
    S.DISPUTE_RECORD: Record(prompt="ask.dispute_message", recording=dispute.DISPUTE_RECORDING,
                             result=dispute.recorded,
                             goes=frozenset({S.DISPUTE_EMPTY, S.DISPUTE_DONE})),
    S.DISPUTE_EMPTY: Menu(options=(
        Option("1", "option.record_again", S.DISPUTE_RECORD),
        Option("2", "option.main_menu", S.MAIN_MENU))),
    S.DISPUTE_DONE: Menu(options=(
        Option("1", "option.repeat_case_number", dispute.hear_case_number),
        Option("2", "option.main_menu", S.MAIN_MENU),
        Option(BACK, "option.end_call", steps.goodbye))),
    # Agents: a call put through that no agent answers, or a transfer outside the agents'
    # hours, is offered a callback (see flows.agent_steps): the caller ID or a number keyed
    # and read back, kept; then the main menu, or goodbye for a caller who is not verified.
    S.AGENT: End(then=agent.unanswered, goes=frozenset({S.CALLBACK_OFFER})),
    S.CALLBACK_OFFER: Menu(needs_pin=False, intro=agent.offer_intro,
                           goes=frozenset({S.CALLBACK_NUMBER, S.CALLBACK_ENTRY}), options=(
        Option("1", "option.callback", agent.start_request, when=agent.can_ask),
        Option("2", "option.main_menu", S.MAIN_MENU, when=agent.is_verified),
        Option(BACK, "option.end_call", steps.goodbye))),
    S.CALLBACK_NUMBER: Menu(needs_pin=False, goes=frozenset({S.MAIN_MENU}), options=(
        Option("1", "option.callback_caller_id", agent.use_caller_id,
               params=agent.caller_id_ending),
        Option("2", "option.callback_other_number", S.CALLBACK_ENTRY))),
    S.CALLBACK_ENTRY: Entry(needs_pin=False, secret="phone number",
                            prompt="ask.callback_number", digits=10,
                            handler=agent.number_keyed, goes=frozenset({S.CALLBACK_CONFIRM})),
    S.CALLBACK_CONFIRM: Menu(needs_pin=False, intro=agent.confirm_intro,
                             goes=frozenset({S.MAIN_MENU}), options=(
        Option("1", "option.callback_confirm", agent.keep_request),
        Option("2", "option.callback_other_number", S.CALLBACK_ENTRY))),
    S.ENDED: End(),
}

check(STEPS, names=frozenset(Step))

# Derived from the table, for the machine.
TRANSITIONS = {step: spec.targets() for step, spec in STEPS.items()}
MENU_STEPS = frozenset(step for step, spec in STEPS.items() if isinstance(spec, Menu))
CANCELLABLE_STEPS = frozenset(step for step, spec in STEPS.items()
                              if isinstance(spec, Entry) and spec.cancellable)
VERIFIED_STEPS = frozenset(step for step, spec in STEPS.items() if spec.needs_pin)
START_STEPS = frozenset(step for step, spec in STEPS.items() if spec.start)
