"""Building blocks for questions: menu options said as "To ..., press N."."""

from __future__ import annotations

from flows.keys import STAR
from flows.ports import PaymentSource, SavedMethod
from flows.speech import Digits, Key, Prompt, load_catalog, say
from flows.state import Ask


def option(prompt_id: str, key: str, **params: object) -> Prompt:
    """One menu option; its catalog text reads "To ..., press {key}."."""
    return say(prompt_id, key=Key(key), **params)


def menu(*options: Prompt, before: list[Prompt] | None = None, repeat: bool = True) -> Ask:
    """A single-key menu, ending with the offer to repeat itself when ``repeat`` (star
    repeats it either way)."""
    offer = [option("option.repeat", STAR)] if repeat else []
    return Ask([*(before or []), *options, *offer], num_digits=1)


def method_words(kind: str, label: str, last4: str) -> Prompt:
    """ "the Visa card ending in 4 2 4 2" or "the checking account ending in 6 7 8 9"."""
    if kind != "bank":
        if not label:
            return say("method.card_no_brand", last4=Digits(last4))
        return say("method.card", label=label, last4=Digits(last4))
    account_type = label if f"value.bank_type.{label}" in load_catalog() else "unknown"
    return say("method.bank", label=say(f"value.bank_type.{account_type}"), last4=Digits(last4))


def source_words(source: PaymentSource) -> Prompt:
    """How a payment source is named to the caller."""
    return method_words("bank" if source.is_bank else "card", source.label, source.last4)


def saved_words(method: SavedMethod) -> Prompt:
    """How a saved method is named to the caller."""
    return method_words(method.kind, method.label, method.last4)
