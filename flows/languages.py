"""Which language a call is said in: the line's, the account's, or the caller's choice.

A call starts in the line's language (``IVR_LANGUAGE``). Its first step offers another
language first of all, in that language's own words and voice ("Para español, oprima 9"):
a call in the line's language is offered the one its catalog names (``language.offered``),
a call in any other the line's own; each catalog says how it offers itself
(``option.language``). Pressing :data:`~flows.keys.LANGUAGE` at a start step (the
caller-ID menu, or the account number, which a lone 9 cannot be) switches the call for the
rest of it; a second press switches back.

Once the account is known, a caller who has not chosen hears the account's saved language;
a caller's choice is saved on the account once the PIN is right (so a stranger keying an
account number cannot change it), through the ports.
"""

from __future__ import annotations

from dataclasses import replace

from flows.context import Context
from flows.keys import LANGUAGE
from flows.ports import AccountSummary
from flows.speech import Key, Prompt, languages, load_catalog, say_in
from flows.state import CallState, Reply


def offered(language: str, home: str) -> str | None:
    """The language offered to a caller hearing ``language`` on a line speaking ``home``: the
    line's own to a call in another (so 9 always leads back, however many languages there
    are), else the one the line's catalog names, when the line has it."""
    other = home if language != home else load_catalog(language).get("language.offered", "")
    return other if other != language and other in languages() else None


def offer(state: CallState, home: str) -> Prompt | None:
    """ "Para español, oprima 9.", in the offered language, or None when none is."""
    other = offered(state.language, home)
    return None if other is None else say_in(other, "option.language", key=Key(LANGUAGE))


def switch(state: CallState, home: str) -> bool:
    """The caller pressed the language key: the call goes on in the language offered
    (False when none is, and the key means nothing here)."""
    other = offered(state.language, home)
    if other is None:
        return False
    state.language, state.language_chosen = other, True
    state.hints_said = []  # "to repeat" and "to cancel" were said in the other language
    return True


def follow_account(state: CallState, account: AccountSummary) -> None:
    """The account is known: a caller who has not chosen hears its saved language."""
    if not state.language_chosen and account.language in languages():
        state.language = account.language


def remember_choice(state: CallState, ctx: Context) -> None:
    """The PIN is right: the caller's choice becomes the account's saved language."""
    account = ctx.account(state)
    if state.language_chosen and account.language != state.language:
        ctx.ports.set_language(account.id, state.language)


def offered_first(reply: Reply, state: CallState, home: str) -> Reply:
    """``reply`` at a start step, with the offer of another language said before anything
    else; what it says before its question moves into the question, so the language key
    (and the account number) can be pressed from the first word."""
    spoken = offer(state, home)
    if reply.ask is None or spoken is None:
        return reply
    return replace(reply, say=[], ask=replace(reply.ask,
                                              prompts=[spoken, *reply.say, *reply.ask.prompts]))
