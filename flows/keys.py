"""What counts as keys pressed on a telephone keypad.

``str.isdigit()`` is true for digits of every script ("٣", "۳", "³"), and ``int()``
reads most of them, so it would let a forged or garbled webhook key an amount or
a menu option no telephone can send. Caller input is checked here instead.
"""

from __future__ import annotations

ASCII_DIGITS = frozenset("0123456789")
STAR = "*"  # repeats a menu; cancels a payment being keyed
AGREE = "1"  # authorises what was read back: a payment, a bank debit, AutoPay, an arrangement
BACK = "9"  # leaves a menu: back a level, or ends the call from the top menus
SLOWER = "8"  # at any menu (and the first question): the rest of the call is spoken slower
AGENT = "0"  # at any menu, when agents take calls: hand the call to one (offered at the main menu)
LANGUAGE = "9"  # at the first step (which has no BACK): the call changes language
KEYPAD = ASCII_DIGITS | {STAR, "#"}
# What the flow is handed in place of keys that are not on a keypad: no step accepts it,
# so each answers with its ordinary "not one of the options" or format reprompt.
NOT_A_KEY = "?"


def is_digits(text: str) -> bool:
    """True when ``text`` is one or more of the ASCII digits 0 to 9, and nothing else."""
    return bool(text) and all(char in ASCII_DIGITS for char in text)


def is_keypad(text: str) -> bool:
    """True when every character of ``text`` is a telephone key: 0 to 9, star or pound."""
    return all(char in KEYPAD for char in text)
