"""Keys that take a call to each prompt (step) of the line, on the demo data.

The tests key secrets at every prompt, so each path is checked to reach its step. Account
10001234 is matched by caller ID; 30009012 shares its phone, so it is keyed, and it has a
card (expired) and a checking account on file; 20005678 is past due, for arrangements.
"""

from __future__ import annotations

from flask import Flask

from flows.record_step import Record
from flows.spec import End, Hold
from flows.state import Step
from flows.table import STEPS
from ivr.config import override_settings
from ivr.db import db
from models import CallSession
from tests.menu_helpers import ALEX_MORE, ALEX_OTHER, MORE, OTHER, OTHER_AMOUNT
from tests.twilio_helpers import MESSAGE, Answer, TwilioCaller

PIN = "1015"  # set on the demo accounts used: a 4 digit PIN that is also a date and an amount
VISA, DECLINED = "4242424242424242", "4000000000000002"
JORDAN, ALEX, SAM = "+14155550100", "+13125550142", "+12125550199"  # their caller IDs

# Every step that asks the caller something (keys, or a card through <Pay>): all but those
# where the caller holds while a payment is charged, or the call is over. Said negatively
# so that a step of a new kind counts as asking until a test says otherwise.
ASKING_STEPS = frozenset(step for step, spec in STEPS.items() if not isinstance(spec, Hold | End))

_NOW = [JORDAN, "1", PIN]  # the balance, and the offer to pay it now
_MENU = [*_NOW, MORE]  # more options: the main menu
_ONE_DOLLAR = [*_NOW, *OTHER_AMOUNT, "1"]  # pay a different amount: one dollar
_METHOD = [*_ONE_DOLLAR, "1"]  # today
_CARD = [*_METHOD, "1", VISA, "1230", "123", "94105"]
_BANK = [*_METHOD, "2", "1", "110000000"]
_MANAGE = [ALEX, "30009012", PIN, ALEX_MORE, "4"]
_ARRANGE = [SAM, "1", PIN, MORE, "5", "2"]

# step: [caller ID, keys...]
PATHS: dict[Step, list[str]] = {
    Step.CONFIRM_ACCOUNT: [JORDAN],
    Step.ACCOUNT_NUMBER: [JORDAN, "2"],
    Step.PIN: [JORDAN, "1"],
    Step.PAY_NOW: _NOW,
    Step.MAIN_MENU: [*_NOW, MORE],
    Step.NEXT_STEPS: [*_NOW, MORE, "3"],
    Step.PAY_CHOICE: [*_NOW, OTHER],
    Step.PAY_OTHER_AMOUNT: [*_NOW, *OTHER_AMOUNT],
    Step.PAY_WHEN: _ONE_DOLLAR,
    Step.SCHEDULE_DATE: [*_ONE_DOLLAR, "2"],
    Step.PAY_METHOD: _METHOD,
    Step.CARD_NUMBER: [*_METHOD, "1"],
    Step.CARD_EXPIRY: [*_METHOD, "1", VISA],
    Step.CARD_CODE: [*_METHOD, "1", VISA, "1230"],
    Step.CARD_ZIP: [*_METHOD, "1", VISA, "1230", "123"],
    Step.CARD_CAPTURE: [*_METHOD, "1"],  # with IVR_CARD_CAPTURE=pay (PAY_STEPS)
    Step.BANK_CAPTURE: [*_METHOD, "2", "1"],  # with IVR_CARD_CAPTURE=pay
    Step.PAY_CONFIRM: _CARD,
    Step.AFTER_PAYMENT: [*_CARD, "1"],
    Step.AFTER_DECLINE: [*_METHOD, "1", DECLINED, "1230", "123", "94105", "1"],
    Step.BANK_TYPE: [*_METHOD, "2"],
    Step.BANK_ROUTING: [*_METHOD, "2", "1"],
    Step.BANK_ACCOUNT: _BANK,
    Step.BANK_ACCOUNT_AGAIN: [*_BANK, "000123456789"],
    Step.MANAGE: _MANAGE,
    Step.CANCEL_SCHEDULED: [*_MANAGE, "1"],  # after SCHEDULE_ONE
    Step.AUTOPAY_METHOD: [*_MANAGE, "2"],
    Step.AUTOPAY_CONFIRM: [*_MANAGE, "2", "2"],
    Step.ARRANGE_COUNT: [SAM, "1", PIN, MORE, "5"],
    Step.ARRANGE_DATE: _ARRANGE,
    Step.ARRANGE_CONFIRM: [*_ARRANGE, "1125", "1201", "1", VISA, "1230", "123", "94105"],
    Step.DISPUTE_RECORD: [*_MENU, "7"],
    Step.DISPUTE_EMPTY: [*_MENU, "7", "#"],  # the finish key at once: no message
    Step.DISPUTE_DONE: [*_MENU, "7", MESSAGE],
    # outside the agents' hours (AGENT_STEPS): a callback is offered instead of a transfer
    Step.CALLBACK_OFFER: [*_MENU, "0"],
    Step.CALLBACK_NUMBER: [*_MENU, "0", "1"],
    Step.CALLBACK_ENTRY: [*_MENU, "0", "1", "2"],
    Step.CALLBACK_CONFIRM: [*_MENU, "0", "1", "2", "3125550142"],
}

# The steps reached only with IVR_CARD_CAPTURE=pay: Twilio's <Pay> collects the card or account.
PAY_STEPS = frozenset({Step.CARD_CAPTURE, Step.BANK_CAPTURE})
# Steps that record a message (<Record>): the caller speaks, nothing is gathered.
RECORD_STEPS = frozenset(step for step, spec in STEPS.items() if isinstance(spec, Record))
# The steps reached only with an agent configured and off duty (the demo's today is a Saturday).
AGENT_STEPS = frozenset({Step.CALLBACK_OFFER, Step.CALLBACK_NUMBER, Step.CALLBACK_ENTRY,
                         Step.CALLBACK_CONFIRM})
OFF_DUTY = {"IVR_AGENT_NUMBER": "+18005550123", "IVR_AGENT_HOURS": "Mon-Fri 08:00-18:00",
            "IVR_NOW": "2026-11-21T10:00"}


def settings_for(step: Step) -> dict[str, str]:
    """The settings a path to ``step`` runs with (every one of them, so that the settings
    of the path before are undone)."""
    agents = OFF_DUTY if step in AGENT_STEPS else dict.fromkeys(OFF_DUTY, "")
    return {"IVR_CARD_CAPTURE": "pay" if step in PAY_STEPS else "gather", **agents}

# Run once first: a payment of one dollar scheduled for December 1st from the checking
# account on file, so that CANCEL_SCHEDULED has something to offer.
SCHEDULE_ONE = [ALEX, "30009012", PIN, ALEX_OTHER, "1", "1", "2", "1201", "2", "1"]


def walk(app: Flask, call_sid: str, path: list[str]) -> tuple[TwilioCaller, Answer]:
    """Call from ``path[0]`` and press the rest of ``path``; the last answer."""
    caller = TwilioCaller(app, call_sid=call_sid, caller=path[0])
    answer = caller.start()
    for keys in path[1:]:
        answer = caller.press(answer, keys)
    return caller, answer


def key_at(caller: TwilioCaller, answer: Answer, keys: str) -> Answer:
    """Key ``keys`` at the answer's <Gather>, or as if keyed during its <Pay>."""
    pay = answer.root.find("Pay")
    return caller.post(pay.get("action", "") if pay is not None else answer.action, Digits=keys)


def key_everywhere(app: Flask, secrets: list[str]) -> set[Step]:
    """Key each secret at each step of PATHS, one call each; the steps reached.

    Each path is checked to reach its step, and each secret to be answered without an error.
    """
    reached = set()
    for n, (step, path) in enumerate(PATHS.items()):
        override_settings(app, **settings_for(step))
        for m, secret in enumerate(secrets):
            caller, answer = walk(app, f"CA{n:02d}{m:02d}{'e' * 28}", path)
            with db.transaction(app) as session:
                assert session.get_one(CallSession, caller.call_sid).state == step, answer.said
            reached.add(step)
            heard = key_at(caller, answer, secret)
            assert heard.status == 200 and "went wrong" not in heard.said, (step, heard.said)
    override_settings(app, **settings_for(Step.MAIN_MENU))
    return reached
