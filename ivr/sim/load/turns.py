"""What a webhook request of a load test answered: its "turn", named for an operator.

``ivr load`` groups response times by the kind of turn a request is: "pin", "card number",
"authorise", "balance and pay menu"... The line does not say which step of the call flow it
asked (nothing is added to the protocol, see :mod:`ivr.sim.prompts`), so the turn is told
the way a caller tells it, from what the TwiML document the request answers said: its
prompts are matched against the ones each step of the flow's table (:mod:`flows.table`)
asks, and the step sharing the most of them wins. A document that only puts the caller on
hold (a ``<Redirect>`` and no question) is the charge; one with a ``<Pay>`` the capture.
Requests that are not the caller's turn (the call's first request, its status callback,
an agent's whisper) are named by their path.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from urllib.parse import urlsplit

from flows.state import Step
from flows.table import STEPS
from ivr.errors import TwimlError
from ivr.sim import prompts
from ivr.sim.results import Spoken
from ivr.sim.twiml import local_name, parse_twiml, say_text

# A turn's name for each step whose own name would not tell an operator what it is.
STEP_NAMES: dict[Step, str] = {
    Step.CONFIRM_ACCOUNT: "account choice",
    Step.PAY_NOW: "balance and pay menu",
    Step.MAIN_MENU: "more options menu",
    Step.NEXT_STEPS: "after an answer menu",
    Step.PAY_CHOICE: "other amount or date menu",
    Step.PAY_OTHER_AMOUNT: "amount",
    Step.PAY_WHEN: "today or later",
    Step.PAY_METHOD: "payment method menu",
    Step.CARD_CODE: "security code",
    Step.CARD_ZIP: "billing zip",
    Step.CARD_CAPTURE: "card by <Pay>",
    Step.BANK_CAPTURE: "bank account by <Pay>",
    Step.PAY_CONFIRM: "authorise",
    Step.CHARGING: "charge (caller holding)",
    Step.AFTER_PAYMENT: "after payment menu",
    Step.AFTER_DECLINE: "after decline menu",
}
# Requests the call makes besides answering a question, by path below the base URL.
PATH_NAMES = {"/voice": "call start", "/voice/status": "status callback"}
# Paths whose answer is the call's next TwiML document (the others answer a side request).
CALL_PATHS = frozenset({"/voice", "/voice/turn", "/voice/agent-result"})
UNKNOWN = "other"
APOLOGY = "end.application_error"  # what the line says when a turn failed on its side


def step_name(step: Step) -> str:
    """``pin``, ``card number``, ``authorise``: the operator's name for a step's turn."""
    return STEP_NAMES.get(step, step.value.replace("_", " "))


def _steps_by_prompt() -> dict[str, list[Step]]:
    """Every prompt id a step's question may say, with the steps that say it (table order)."""
    index: dict[str, list[Step]] = defaultdict(list)
    for step, spec in STEPS.items():
        for prompt_id in sorted(spec.prompt_ids()):
            index[prompt_id].append(step)
    return dict(index)


_INDEX = _steps_by_prompt()
_ORDER = {step: position for position, step in enumerate(STEPS)}


@lru_cache(maxsize=4096)
def _question_prompts(spoken: Spoken) -> frozenset[str]:
    """The step prompts one ``<Say>`` may be (cached: most of what a line says repeats; not
    all, as amounts and confirmation numbers change, hence the bound)."""
    return frozenset(prompt_id for prompt_id in _INDEX
                     if prompts.match(prompt_id, spoken) is not None)


def step_asked(spoken: list[Spoken]) -> Step | None:
    """The step whose question shares the most prompts with ``spoken`` (None: no step's)."""
    votes: dict[Step, int] = defaultdict(int)
    for heard in spoken:
        for prompt_id in _question_prompts(heard):
            for step in _INDEX[prompt_id]:
                votes[step] += 1
    if not votes:
        return None
    return min(votes, key=lambda step: (-votes[step], _ORDER[step]))


def path_of(url: str, base_url: str) -> str:
    """The request's path below the base URL (``/voice/turn``), without its query."""
    path = urlsplit(url).path
    base = urlsplit(base_url).path.rstrip("/")
    return path[len(base):] if base and path.startswith(base) else path


class TurnNamer:
    """Names each request of one call from the TwiML document it answers."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.document: list[Spoken] = []  # what the call's current document said
        self.verbs: frozenset[str] = frozenset()  # the verbs it used (Gather, Pay, Redirect...)
        self.pay_method = ""  # its <Pay>'s paymentMethod, when it has one
        self.apologised = False  # the line said it failed, at some point of the call

    def name(self, url: str) -> str:
        """The turn a request to ``url`` is, given the documents seen so far."""
        path = path_of(url, self.base_url)
        if path in PATH_NAMES:
            return PATH_NAMES[path]
        if path not in CALL_PATHS:
            return path.removeprefix("/voice/").replace("-", " ") or path
        if "Pay" in self.verbs:
            bank = self.pay_method == "ach-debit"
            return step_name(Step.BANK_CAPTURE if bank else Step.CARD_CAPTURE)
        step = step_asked(self.document)
        if step is None and self.verbs == {"Say", "Redirect"}:
            return step_name(Step.CHARGING)  # no question: the caller holds for the charge
        return step_name(step) if step is not None else UNKNOWN

    def answered(self, url: str, status: int, body: str) -> None:
        """Take in a response: the call's next document when it is one of the call's turns."""
        if path_of(url, self.base_url) not in CALL_PATHS or not 200 <= status < 300:
            return
        try:
            verbs = parse_twiml(body)
        except TwimlError:
            self.document, self.verbs, self.pay_method = [], frozenset(), ""
            return
        self.verbs = frozenset(local_name(verb) for verb in verbs)
        pay = next((verb for verb in verbs if local_name(verb) == "Pay"), None)
        self.pay_method = pay.get("paymentMethod") or "" if pay is not None else ""
        says = [say for verb in verbs for say in verb.iter() if local_name(say) == "Say"]
        self.document = [Spoken(say_text(say), say.get("language") or "") for say in says]
        self.apologised = self.apologised or any(
            prompts.match(APOLOGY, spoken) is not None for spoken in self.document)
