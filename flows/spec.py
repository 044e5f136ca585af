"""How a step is declared: its kind, its question or options, and where it may go.

The table in :mod:`flows.table` declares every step with these kinds; the machine asks
each step for its question (:meth:`reply`) and hands it the caller's event (:meth:`take`),
so a menu's keys, its prompt and its dispatch come from one list of options.
:mod:`flows.checks` refuses a table whose graph does not hold together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flows.capture import NO_RESULT, CaptureReport
from flows.context import Context
from flows.hearing import hear_id
from flows.keys import AGENT, SLOWER, STAR
from flows.menus import menu, option
from flows.options import NEXT as NEXT
from flows.options import Action as Action
from flows.options import Each as Each
from flows.options import Guard as Guard
from flows.options import Offer as Offer
from flows.options import Option as Option
from flows.options import Params as Params
from flows.outcomes import Finish, Go, Outcome, Retry
from flows.pace import slow_down
from flows.payment_steps import cancel_payment
from flows.speech import Prompt, say
from flows.spoken import Hears, entry_words, menu_key, not_caught
from flows.state import Ask, CallState, Event, Reply, Step
from flows.steps import agent_available, invalid_choice, transfer_to_agent
from flows.wording import Either as Either
from flows.wording import Words, prompt_ids
from flows.wording import pick_words as _pick

Handler = Callable[[CallState, str, Context], Outcome]
Intro = Callable[[CallState, Context], list[Prompt]]
ENTRY_TIMEOUT = 10  # seconds to start keying a number
ENTRY_SPEECH_TIMEOUT = 3  # a number said digit by digit has pauses between the digits


@dataclass(frozen=True, kw_only=True)
class StepSpec:
    """What every step declares: where its handlers may go, and whether it needs the PIN.

    ``goes`` lists the steps its handlers or actions may lead to (a menu's options that
    name a step add theirs); staying put and ending the call are allowed everywhere.
    """

    goes: frozenset[Step] = frozenset()
    needs_pin: bool = True
    start: bool = False

    def targets(self) -> frozenset[Step]:
        """Every step this one may lead to."""
        return self.goes

    def prompt_ids(self) -> frozenset[str]:
        """The prompt ids its question may say (checked against the catalog)."""
        return frozenset()

    def reply(self, state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
        """Say ``said``, then ask this step's question."""
        raise NotImplementedError

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """Act on what the caller did at this step."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Menu(StepSpec):
    """Press one key for an option; star repeats the menu (offered at the call's first menu,
    and again after a wrong answer), 8 slows the call's prompts. ``intro`` is said first;
    ``on_silence`` answers a caller who presses nothing. With ``speech``, an option may also
    be named by voice."""

    options: tuple[Option | Each[Any], ...]
    intro: Intro | None = None
    on_silence: Action | None = None
    speech: bool = True
    repeat_words: str = "hear.repeat"  # the phrases that ask for the menu again, as star does

    def targets(self) -> frozenset[Step]:
        """The options' steps and the steps their actions may go to."""
        named = {o.then for o in self.options if isinstance(o, Option) and isinstance(o.then, Step)}
        return self.goes | named

    def prompt_ids(self) -> frozenset[str]:
        """Every option's words, and the repeat option's."""
        ids = {"option.repeat"}
        for choice in self.options:
            ids.update(prompt_ids(choice.prompt))
        return frozenset(ids)

    def offers(self, state: CallState, ctx: Context) -> list[Offer]:
        """The options offered this turn, in the order they are said. A numbered one follows the
        last number before it; a digit key the table names counts even when not offered, so
        the keys after it stay put ("2" for a bank account)."""
        offers: list[Offer] = []
        last = 0
        for choice in self.options:
            if isinstance(choice, Each):
                listed = choice.offers(last + 1, state, ctx)
                offers, last = offers + listed, last + len(listed)
                continue
            offered = choice.when is None or choice.when(state, ctx)
            named = int(choice.key) if choice.key in frozenset("123456789") else 0
            last = last + offered if choice.key == NEXT else max(last, named)
            if offered:
                offers.append(choice.offer(str(last) if choice.key == NEXT else choice.key,
                                           state, ctx))
        return offers

    def ask(self, state: CallState, ctx: Context) -> Ask:
        """The options, after the intro, and the offer to repeat them (the first time)."""
        prompts = [offer.prompt for offer in self.offers(state, ctx)]
        ask = menu(*prompts, before=self.intro(state, ctx) if self.intro else None,
                   repeat=state.prompt_failures > 0 or state.hint_once("repeat"))
        hints = tuple(dict.fromkeys(self._choices(state, ctx).values()))
        return replace(ask, speech=True, hints=hints) if self.speech else ask

    def _choices(self, state: CallState, ctx: Context) -> dict[str, str]:
        """Each key this turn, with the catalog id of the phrases that name it."""
        offered = {offer.key: hear_id(offer.prompt.id) for offer in self.offers(state, ctx)}
        agent = {AGENT: "hear.agent"} if agent_available(state, ctx) else {}
        return {SLOWER: "hear.slower", **agent, **offered, STAR: self.repeat_words}

    def reply(self, state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
        """Say ``said``, then the menu."""
        return Reply(said, ask=self.ask(state, ctx))

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """Run the option keyed (or named); a key the table names outright wins over a
        numbered one, and an option's key over 8 (slower) and 0 (an agent, when there are any)."""
        if event.spoke:
            key = menu_key(state, event, ctx, self._choices(state, ctx)) if self.speech else None
            if key is None:
                return not_caught()
            event = Event(key)
        if event.silent:
            return self.on_silence(state, ctx) if self.on_silence else \
                Retry([say("error.no_input")])
        if event.digits == STAR:
            return Go(state.step)
        keys = event.digits or ""
        offers = sorted(self.offers(state, ctx), key=lambda offer: offer.numbered)
        chosen = next((offer for offer in offers if offer.key == keys), None)
        if chosen is not None:
            state.chosen = chosen.name
            return chosen.run(state, ctx)
        if keys == AGENT and agent_available(state, ctx):
            return transfer_to_agent(state, ctx)  # a caller may ask for a person anywhere
        return slow_down(state) if keys == SLOWER else invalid_choice(keys)


@dataclass(frozen=True, kw_only=True)
class Entry(StepSpec):
    """Key a number, ended by pound (or after ``digits`` keys); ``handler`` checks it.

    When ``cancellable``, a lone star drops the payment and goes back to the main menu,
    and the first such question of the call ends by saying so. ``hears`` reads the number
    from words said instead (with ``hints`` for the recogniser); without it the entry is
    keypad only, and says so to a caller who has been speaking. ``slower``: a lone 8 asks
    for slower prompts. ``secret`` names a number that is the caller's secret or personal
    data (a PIN, card or bank number, a phone number): the call log keeps only its kind and
    length (:mod:`flows.logged`).
    """

    prompt: Words
    handler: Handler
    secret: str | None = None
    cancellable: bool = False
    digits: int | Callable[[CallState, Context], int] | None = None
    params: Params | None = None
    hears: Hears | None = None
    hints: tuple[str, ...] = ()
    slower: bool = False

    def targets(self) -> frozenset[Step]:
        """Where the handler may go, and the main menu when star cancels."""
        return (self.goes | {Step.MAIN_MENU}) if self.cancellable else self.goes

    def prompt_ids(self) -> frozenset[str]:
        """The question, and the cancel option when there is one."""
        cancel = {"option.cancel_entry"} if self.cancellable else set()
        return frozenset({*prompt_ids(self.prompt), *cancel})

    def ask(self, state: CallState, ctx: Context) -> Ask:
        """The question, with the offer to cancel (once a call) when star cancels."""
        params = self.params(state, ctx) if self.params else {}
        prompts = [say(_pick(self.prompt, state, ctx), **params)]
        if self.hears is None and state.spoken:
            prompts.append(say("ask.keypad_only"))
        if self.cancellable and state.hint_once("cancel"):
            prompts.append(option("option.cancel_entry", STAR))
        digits = self.digits(state, ctx) if callable(self.digits) else self.digits
        return Ask(prompts, num_digits=digits, timeout=ENTRY_TIMEOUT, speech=bool(self.hears),
                   hints=self.hints, speech_timeout=ENTRY_SPEECH_TIMEOUT)

    def reply(self, state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
        """Say ``said``, then the question."""
        return Reply(said, ask=self.ask(state, ctx))

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """Hand the keys (or the number said) to the handler, unless none came, star
        cancels or 8 asks for slower prompts."""
        if event.spoke:
            return entry_words(state, event, ctx, hears=self.hears, handler=self.handler,
                               slower=self.slower, cancellable=self.cancellable)
        if event.silent:
            return Retry([say("error.no_input")])
        if event.digits == STAR and self.cancellable:
            return cancel_payment(state)
        if event.digits == SLOWER and self.slower:
            return slow_down(state)
        return self.handler(state, event.digits or "", ctx)


@dataclass(frozen=True, kw_only=True)
class CardCapture(StepSpec):
    """Twilio's <Pay> collects a card or bank account: ``ask`` builds the request, ``result``
    acts on its report."""

    ask: Callable[[CallState, Context, list[Prompt]], Reply]
    result: Callable[[CallState, CaptureReport, Context], Outcome]

    def reply(self, state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
        """Say ``said``, then ask <Pay> for the card."""
        return self.ask(state, ctx, said)

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """<Pay> always reports back; anything else is treated as a failed capture."""
        return self.result(state, event.captured or NO_RESULT, ctx)


@dataclass(frozen=True, kw_only=True)
class Hold(StepSpec):
    """The caller holds while ``handler`` finishes: no question, the next request comes at once."""

    handler: Handler

    def reply(self, state: CallState, ctx: Context, said: list[Prompt]) -> Reply:
        """Say ``said`` and come straight back."""
        return Reply(said, carry_on=True)

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """Whatever arrives (keys pressed while holding don't count), the handler answers."""
        return self.handler(state, "", ctx)


@dataclass(frozen=True, kw_only=True)
class End(StepSpec):
    """The call is over, or handed on; reached by a Finish. Anything more is answered with
    goodbye, or by ``then`` (a transfer no agent answered goes on to a callback offer)."""

    needs_pin: bool = False
    then: Action | None = None

    def take(self, state: CallState, event: Event, ctx: Context) -> Outcome:
        """Goodbye, again; or ``then``."""
        return self.then(state, ctx) if self.then else Finish([say("end.goodbye")])
