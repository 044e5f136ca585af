"""Driving the call state machine like a caller, over in-memory ports."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flows import machine
from flows.context import Context
from flows.hours import AgentDesk
from flows.ports import FlowSettings
from flows.speech import render
from flows.state import CallState, Event, Step
from tests.fake_ports import FakePorts
from tests.menu_helpers import MORE, NOW_BY_BANK, NOW_BY_CARD, OTHER

__all__ = ["MORE", "NOW_BY_BANK", "NOW_BY_CARD", "OTHER", "TODAY", "TODAY_NEW_CARD", "VISA",
           "Caller", "at_main_menu", "make_ports", "verified"]

TODAY = date(2026, 11, 21)
VISA = "4242424242424242"
BILLER_PHONE = "+18005550199"  # the number bank debit authorisations give for questions
TODAY_NEW_CARD = ("1", "1")  # after another amount: pay today; with a new card (none on file)
# An option as a caller hears it: "To ..., press N." or, in Spanish, "Para ..., oprima N."
OPTION = re.compile(r"(?:^|(?<=\. ))([^.]*?), (?:press|oprima) "
                    r"(\d|star|pound|asterisco|numeral)\.")


class Caller:
    """Drives the machine like a caller and keeps what was heard as text."""

    def __init__(self, ports: FakePorts, caller: str | None = "+14155550100",
                 agent: bool = False, minimum: int = 100, desk: AgentDesk | None = None,
                 **settings: Any) -> None:
        self.state = CallState(call_sid="CA1", caller=caller)
        settings = {"biller_phone": BILLER_PHONE, **settings}
        self.ctx = Context(ports, FlowSettings(TODAY, minimum, agent, **settings),
                           desk or AgentDesk())
        self.reply = machine.start(self.state, self.ctx)
        self.heard: list[str] = [self.text]

    @property
    def text(self) -> str:
        """Everything the latest reply says, in the call's language."""
        prompts = self.reply.say + (self.reply.ask.prompts if self.reply.ask else [])
        return " ".join(render(p, self.state.language) for p in prompts)

    def press(self, keys: str | None) -> str:
        """Press keys (None for silence); returns what the caller hears next.

        A reply that carries on (holding while a payment is charged) is followed at once,
        as Twilio follows the <Redirect>: both are heard.
        """
        self.reply = machine.handle(self.state, Event(keys), self.ctx)
        said = [self.text]
        while self.reply.carry_on:
            self.reply = machine.handle(self.state, Event(None), self.ctx)
            said.append(self.text)
        self.heard.append(" ".join(said))
        return self.heard[-1]

    def say(self, words: str, confidence: float | None = 0.9) -> str:
        """Say ``words`` (Twilio sure of them to ``confidence``); what is heard next."""
        self.reply = machine.handle(self.state, Event(None, speech=words, confidence=confidence),
                                    self.ctx)
        self.heard.append(self.text)
        return self.text

    def key_for(self, words: str) -> str:
        """The key of the option just offered whose words include ``words`` (a caller who
        listens picks it so), whatever its number."""
        keys = [key for option, key in OPTION.findall(self.text) if words in option]
        assert len(keys) == 1, (words, self.text)
        return keys[0]

    def choose(self, words: str) -> str:
        """Press the key of the option that says ``words``; returns what is heard next."""
        return self.press(self.key_for(words))

    def press_all(self, *keys: str) -> str:
        """Press several entries in turn."""
        for key in keys:
            self.press(key)
        return self.text


def make_ports() -> FakePorts:
    """Two accounts on one phone, one on another phone, one with no phone."""
    fake = FakePorts()
    fake.add(1, "10001234", "1234", 12045, date(2026, 12, 5), phone="+14155550100",
             name="Jordan Rivera")
    fake.add(2, "20005678", "5678", 8910, date(2026, 11, 1), phone="+12125550199")
    fake.add(3, "30009012", "9012", 25000, date(2026, 12, 12), phone="+13125550142")
    fake.add(4, "30003456", "3456", 4200, date(2026, 12, 12), phone="+13125550142")
    fake.add(5, "40007890", "7890", 0, date(2026, 12, 20))
    return fake


def verified(ports: FakePorts, **kwargs: Any) -> Caller:
    """A caller matched by caller ID (account 1) who has passed the PIN check: offered to
    pay the balance now."""
    caller = Caller(ports, **kwargs)
    caller.press_all("1", "1234")
    assert caller.state.step is Step.PAY_NOW
    return caller


def at_main_menu(ports: FakePorts, **kwargs: Any) -> Caller:
    """A verified caller (account 1) who chose more options: the main menu."""
    caller = verified(ports, **kwargs)
    caller.choose("more options")
    assert caller.state.step is Step.MAIN_MENU
    return caller


