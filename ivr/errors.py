"""Every exception the line raises on purpose, in one hierarchy.

Catch :class:`IvrError` for "the line refused or could not do this, and said why"; its
subclasses say which part refused. The pure call flow has its own two (``flows.money``'s
``AmountError`` and ``flows.machine``'s ``FlowError``) because ``flows`` imports nothing here.
"""

from __future__ import annotations

from typing import Any


class IvrError(Exception):
    """Base of the line's exceptions; ``str()`` is one line fit for an operator."""


class ConfigError(IvrError, RuntimeError):
    """A setting is missing or malformed; the message says which and why."""


class ImportRowError(IvrError, ValueError):
    """A row (or the header) of an import file is invalid; str() names line and field."""

    def __init__(self, line: int, message: str, field: str | None = None) -> None:
        self.line = line
        self.field = field
        self.message = message
        where = f'line {line}, field "{field}"' if field else f"line {line}"
        super().__init__(f"{where}: {message}")


class LedgerError(IvrError, RuntimeError):
    """A status change the transition table does not allow (a bug, never caller input)."""


class StatusChanged(IvrError, RuntimeError):
    """The payment is no longer in the status it was read in: another request moved it
    first, and nothing was changed. The caller reads it again and decides anew."""


class NotPayable(IvrError):
    """The amount is more than the account owes once held payments are counted."""


class CardEntryLost(IvrError):
    """The card or bank account keyed on a call is no longer held (swept, or the key was
    rotated): it must be keyed again."""


class NotAuthorisedByPhone(IvrError, PermissionError):
    """A bank debit without a complete telephone authorisation (NACHA TEL: the words said and
    agreed, naming the payer, with a number its written notice can reach): never written.
    The call flow offers none, so this is a bug, never caller input."""


class GatewayError(IvrError, RuntimeError):
    """The gateway refused the request or could not be reached: nothing was charged."""


class GatewayOutcomeUnknown(GatewayError):
    """The request may have been carried out but its answer was lost (timeout, 5xx, garbage).

    The payment is recorded as ``unknown`` and its amount held; ``ivr payments reconcile``
    looks the charge up by its idempotency key (:meth:`PaymentGateway.find_charge`).
    """


class ChargeOutOfSight(GatewayOutcomeUnknown):
    """The gateway's search cannot reach back far enough to say whether this charge was made
    (Authorize.Net's lists: a week of settled batches; Stripe's list: 1,000 PaymentIntents
    made since, its search not showing it succeeded). Only an operator can say, at the
    processor (``ivr payments resolve``); it is never taken to mean nothing was charged."""


class SmsSendError(IvrError):
    """The provider did not accept a message; str() is short and holds no secrets.

    ``code`` is the provider's error code when it gave one (Twilio's 21610, say);
    ``permanent`` means sending the same text again cannot work, so don't retry.
    """

    def __init__(self, message: str, code: str | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent


class ServerUnreachable(IvrError):
    """Nothing answers HTTP at the URL the simulator was pointed at; str() names the URL."""


class TwimlError(IvrError, ValueError):
    """A response the simulator read is not a TwiML document Twilio could execute."""


class DiagramError(IvrError, RuntimeError):
    """The call flow could not be drawn: Graphviz's ``dot`` is missing or failed, or a file
    has no place marked for the diagram."""


class ScriptError(IvrError, ValueError):
    """A call script itself is malformed; the message says where."""


class ScriptFailure(IvrError, AssertionError):
    """A call script's expectation did not hold; the message shows the call around it.

    ``result`` is the simulator's ``CallResult`` up to that point (typed loosely here:
    this module sits below the simulator and imports nothing).
    """

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


class PhoneBusy(IvrError, RuntimeError):
    """The browser phone (``ivr phone``) already holds as many calls as it may."""


class CallNotLogged(IvrError, LookupError):
    """``ivr calls replay``: the call log holds no turn of that call; str() names it."""
