"""What a caller keyed for a secret, as a failure report shows it: its kind and length only.

A failing script's report quotes the call before the failure, and that report goes to CI
logs and JUnit files. The scripts hold demo values, but what a caller keys (or says) for a
PIN, an account number, a card, its expiry, security code or ZIP, a bank account or a callback
number (every number the step table declares ``secret``) is shown as ``<PIN, 4 digits>``,
never the digits, as the card data rule asks of every report.

The simulator tells such a question the way a caller does, by its words: a ``<Say>`` since
the caller's previous action that is one of those steps' questions in the flow's table
(matched against the catalogs, in any language: :mod:`ivr.sim.prompts`). Every ``<Pay>``
field is one. Telling a question wrongly for a secret only hides keys that were harmless.
"""

from __future__ import annotations

from flows.logged import holds_a_number
from flows.spec import Entry
from flows.table import STEPS
from flows.wording import prompt_ids
from ivr.sim import prompts
from ivr.sim.pay_twiml import PayFieldSpec
from ivr.sim.results import Action, Spoken
from ivr.sim.script_load import Step as ScriptStep
from ivr.sim.twiml import DTMF_KEYS, GatherSpec

# The flow's questions for a secret, and what a report calls what is keyed at each: the
# numbers the step table declares ``secret``, as the call log masks them.
SECRET_STEPS = {step: spec.secret for step, spec in STEPS.items()
                if isinstance(spec, Entry) and spec.secret is not None}
# Every <Pay> field is card or bank data.
PAY_FIELDS = {
    "payment-card-number": "card number", "expiration-date": "card expiry",
    "security-code": "security code", "postal-code": "ZIP code",
    "bank-routing-number": "routing number", "bank-account-number": "bank account number",
}
DIGITS = frozenset("0123456789")


def _secret_prompts() -> dict[str, str]:
    """Each secret question's prompt ids (either wording of one), and its kind."""
    found: dict[str, str] = {}
    for spec in STEPS.values():
        if isinstance(spec, Entry) and spec.secret is not None:
            found |= dict.fromkeys(prompt_ids(spec.prompt), spec.secret)
    return found


SECRET_PROMPTS = _secret_prompts()


def secret_kind(heard: list[Spoken], gather: GatherSpec) -> str | None:
    """What the caller is asked for, when it is a secret: ``"PIN"``, ``"card number"``..."""
    if isinstance(gather, PayFieldSpec):
        return PAY_FIELDS.get(gather.field, "card or bank data")
    for spoken in heard:
        for prompt_id, kind in SECRET_PROMPTS.items():
            if prompts.match(prompt_id, spoken) is not None:
                return kind
    return None


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def masked(action: Action, kind: str | None) -> str:
    """The transcript line for ``action``; for a secret, its kind and length, e.g.
    ``caller presses <card number, 16 digits>#``. Keys that are not digits (a # to end, a
    lone * to cancel) are shown: they are no part of the number."""
    if kind is None:
        return action.describe()
    if action.kind == "say":
        return f"caller says <{kind}, {_count(len(action.words.split()), 'word')}>"
    digits = sum(key in DIGITS for key in action.keys)
    if action.kind != "press" or not digits:
        return action.describe()
    others = "".join(key for key in action.keys if key in DTMF_KEYS - DIGITS)
    return f"caller presses <{kind}, {_count(digits, 'digit')}>{others}"


def shown_step(step: ScriptStep) -> str:
    """A script's step as a failure's first line names it: as written, but for keys pressed
    with more than one digit, or words holding a number, shown by their length (the question
    may be for a secret, or was never asked): ``step 4 (press: <16 digits>#)``."""
    if step.kind == "press":
        digits = sum(key in DIGITS for key in step.value)
        others = "".join(key for key in step.value if key in DTMF_KEYS - DIGITS)
        if digits > 1:
            return f"step {step.number} (press: <{_count(digits, 'digit')}>{others})"
    if step.kind == "say" and holds_a_number(step.value, "en-US"):
        words = _count(len(step.value.split()), "word")
        return f"step {step.number} (say: <{words} with a number>)"
    return step.describe()
