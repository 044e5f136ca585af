"""The keys of the line's menus as tests press them, named once: a change of menus changes
these, not every test that walks past them.

After the PIN a caller hears the balance and the offer to pay it now (``PAY_NOW``): by a new
card, by a new bank account (when the line takes bank debits and the account names its
holder), with each method on file, then other amounts or dates, then more options (the main
menu). Accounts with nothing on file that can be debited (demo accounts 10001234, 20005678
and 30003456; the flow tests' account 1) hear the same four keys.
"""

from __future__ import annotations

NOW_BY_CARD, NOW_BY_BANK, OTHER, MORE = "1", "2", "3", "4"
# At other amounts or dates (PAY_CHOICE): another amount, or the full balance on a later date.
OTHER_AMOUNT, FULL_LATER = (OTHER, "1"), (OTHER, "2")

# Demo account 30009012 (Alex, keyed: the phone is shared) has a Visa (expired) and a
# checking account on file, offered after the new card and bank account.
ALEX_SAVED_CARD, ALEX_SAVED_CHECKING, ALEX_OTHER, ALEX_MORE = "3", "4", "5", "6"

# Demo account 10001234 (Jordan, matched by caller ID) from the first prompt: this account,
# then its PIN, reaches the offer to pay now; then the main menu.
JORDAN_PIN = "2468"
JORDAN_PAY_NOW = ("1", JORDAN_PIN)
JORDAN_MAIN_MENU = (*JORDAN_PAY_NOW, MORE)
# ... and on to paying the full balance today by a new card (then its number, expiry, code
# and ZIP code), or from a new bank account (then 1 checking or 2 savings, and its numbers);
# the full balance on a later date (then the date and the method); another amount (then the
# amount, 1 today or 2 later, and the method).
JORDAN_NEW_CARD = (*JORDAN_PAY_NOW, NOW_BY_CARD)
JORDAN_NEW_BANK = (*JORDAN_PAY_NOW, NOW_BY_BANK)
JORDAN_LATER = (*JORDAN_PAY_NOW, *FULL_LATER)
JORDAN_OTHER_AMOUNT = (*JORDAN_PAY_NOW, *OTHER_AMOUNT)
# The main menu of demo account 20005678 (Sam, past due: arrangements are offered there as 5),
# matched by caller ID; and of 30009012 (Alex), keyed.
SAM_MAIN_MENU = ("1", "1357", MORE)
ALEX_MAIN_MENU = ("30009012", "8024", ALEX_MORE)
