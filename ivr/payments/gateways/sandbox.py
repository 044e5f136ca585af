"""The offline sandbox gateway: Stripe's test cards and bank accounts, with a record of its own.

Like a real gateway it keeps every charge it carries out (:mod:`.sandbox_record`), keyed by
the idempotency key it came with: a replay of the key gets the first answer (and charges
nothing), the same key with another amount or token is refused, and
:meth:`SandboxGateway.find_charge` looks a charge up for reconciliation.

Bank debits settle or come back by the test account debited, as Stripe's do; one account of
its own (:data:`SANDBOX_LATE_RETURN`) settles and then comes back as not authorised
:data:`LATE_RETURN_AFTER` after it was made, as NACHA lets a payer's bank do for 60 days.

``IVR_SANDBOX_FAULT`` rehearses outages: ``down`` refuses every request before it is carried
out; ``lost-reply`` carries the charge out and then loses the answer; ``slow`` carries it out
and answers only after :data:`SLOW_SECONDS` (time enough to stop a worker mid-charge).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flows.cards import card_brand
from flows.ports import DeclineReason
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.base import BANK, CARD, GatewayCharge, Settlement
from ivr.payments.gateways.sandbox_record import Charged, ChargeRecord, MemoryRecord
from ivr.security.card_store import BankDetails, CardDetails

# Stripe's published test card numbers and the outcome each one produces.
SANDBOX_OUTCOMES: dict[str, DeclineReason] = {
    "4000000000000002": DeclineReason.DECLINED,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
    "4000000000000127": DeclineReason.INCORRECT_CVC,
    "4000000000000119": DeclineReason.PROCESSING_ERROR,
}
# Stripe's test bank accounts (routing 110000000) and the ACH return each one gets.
SANDBOX_BANK_RETURNS: dict[str, str] = {
    "000111111116": "no_account",
    "000111111113": "account_closed",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
}
# The sandbox's own test account (not Stripe's) for a late return: its debits settle, then
# come back as not authorised once LATE_RETURN_AFTER has passed since they were made.
SANDBOX_LATE_RETURN = "000555555559"
LATE_RETURN_AFTER = timedelta(days=10)
_LATE = "late_return"
SLOW_SECONDS = 5.0
_APPROVE = "approve"
_SETTLE = "settle"
# A token's label is the outcome it records, and tells a card's from a bank account's.
_CARD_LABELS = frozenset({_APPROVE, *(reason.value for reason in SANDBOX_OUTCOMES.values())})
_BANK_LABELS = frozenset({_SETTLE, _LATE, *SANDBOX_BANK_RETURNS.values()})


class SandboxGateway:
    """An offline gateway that answers like Stripe's test cards and test bank accounts.

    It takes a keyed card or account whole, like a real gateway. Its tokens record the
    outcome a method on file will produce, and never the number, so any worker can charge
    one without shared memory.
    """

    name = "sandbox"
    supports_bank = True
    supports_keypad_cards = True
    # find_charge reads the charge record the charge itself wrote, in the same database.
    lookup_read_after_write = True

    def __init__(self, record: ChargeRecord | None = None,
                 fault: str | Callable[[], str] = "",
                 clock: Callable[[], datetime] | None = None) -> None:
        """``fault``: the ``IVR_SANDBOX_FAULT`` to rehearse, or where to read the current one.

        The app passes a reader of its current settings, so a test (or a script's settings)
        can rehearse an outage on a gateway already built. ``clock`` is when charges are
        made and settlement asked (a test moves it to see a late return).
        """
        self._fault_source = fault
        self.record: ChargeRecord = record or MemoryRecord()
        self._clock = clock or (lambda: datetime.now(UTC))

    def _fault(self) -> str:
        source = self._fault_source
        return source if isinstance(source, str) else source()

    def _refuse_when_down(self) -> None:
        """A gateway that is down refuses every request: charges, lookups and keeping."""
        if self._fault() == "down":
            raise GatewayError("sandbox: gateway unavailable (IVR_SANDBOX_FAULT)")

    def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                    description: str) -> GatewayCharge:
        """Approve or decline by the test card's outcome; a replayed key gets the first answer."""
        label = _card_label(card)
        token = _keyed_token(label, idempotency_key, card.number[-4:])
        return self._carry_out(Charged(idempotency_key, CARD, token, amount_cents,
                                       _card_answer(label, idempotency_key, token)))

    def debit_bank(self, bank: BankDetails, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Accept every debit as pending; the outcome shows at settlement."""
        label = _bank_label(bank)
        token = _keyed_token(label, idempotency_key, bank.account_number[-4:])
        return self._carry_out(Charged(idempotency_key, BANK, token, amount_cents,
                                       _bank_answer(label, idempotency_key, token)))

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Charge a token on file (or one the simulator's <Pay> made) by the outcome it records."""
        label = _label(self.accept_token(kind, token))
        answer = _bank_answer(label, idempotency_key, token) if kind == BANK else \
            _card_answer(label, idempotency_key, token)
        return self._carry_out(Charged(idempotency_key, kind, token, amount_cents, answer))

    def keep(self, kind: str, reusable: str) -> str:
        """The sandbox's reusable tokens are already tokens on file."""
        self._refuse_when_down()
        _label(reusable)
        return reusable

    def save_card(self, card: CardDetails) -> str:
        """A token on file recording the outcome the test card will produce."""
        self._refuse_when_down()
        return f"sbx-{_card_label(card)}-{secrets.token_hex(8)}"

    def save_bank(self, bank: BankDetails) -> str:
        """A token on file recording whether the test account's debits settle."""
        self._refuse_when_down()
        return f"sbx-{_bank_label(bank)}-{secrets.token_hex(8)}"

    def accept_token(self, kind: str, token: str) -> str:
        """A <Pay> token from the simulator's emulation: a sandbox token of that kind (its
        label is a card's outcome or a bank account's)."""
        self._refuse_when_down()
        if _label(token) not in (_BANK_LABELS if kind == BANK else _CARD_LABELS):
            raise GatewayError(f"sandbox: not a {kind} token")
        return token

    def find_charge(self, idempotency_key: str,
                    since: datetime | None = None) -> GatewayCharge | None:
        """What the request with this key did, or None if the sandbox never carried it out
        (it keeps every charge, so ``since`` is not needed)."""
        self._refuse_when_down()
        kept = self.record.find(idempotency_key)
        return kept.answer if kept is not None else None

    def settlement(self, reference: str) -> Settlement:
        """Settle or return a debit by the test account it came from."""
        if not reference.startswith("sbx-ach-"):
            raise GatewayError("not a sandbox bank debit")
        label = reference.split("-")[2]
        if label == _LATE:
            return self._late(reference.split("-", 3)[3])
        if label == _SETTLE:
            return Settlement("settled")
        return Settlement("returned", label)

    def _late(self, key: str) -> Settlement:
        """Settled, until LATE_RETURN_AFTER from the debit; then returned as not authorised."""
        kept = self.record.find(key)
        if kept is None:
            raise GatewayError("sandbox: no such bank debit")
        if self._clock() - kept.at < LATE_RETURN_AFTER:
            return Settlement("settled")
        return Settlement("returned", "debit_not_authorized")

    def _carry_out(self, request: Charged) -> GatewayCharge:
        """Record the request (or find the first one with its key), then answer, or fail to."""
        self._refuse_when_down()
        fault = self._fault()
        kept = self.record.keep(replace(request, at=self._clock()))
        if (kept.kind, kept.token, kept.amount_cents) != (request.kind, request.token,
                                                          request.amount_cents):
            # Stripe's idempotency_error: the key was used for another request.
            raise GatewayError("sandbox: idempotency key reused with other parameters")
        if fault == "lost-reply":
            raise GatewayOutcomeUnknown("sandbox: charged, but the reply was lost "
                                        "(IVR_SANDBOX_FAULT)")
        if fault == "slow":
            time.sleep(SLOW_SECONDS)
        return kept.answer


def _label(token: str) -> str:
    if not token.startswith("sbx-"):
        raise GatewayError("not a sandbox token")
    return token.split("-")[1]


def _card_label(card: CardDetails) -> str:
    """The test card's outcome; a card a real gateway would refuse outright is refused (a
    security code and ZIP are optional, as <Pay> may not ask for them)."""
    if not (card.number and card.expiry_mmyy) or card_brand(card.number) is None:
        raise GatewayError("sandbox: card without number or expiry, or brand not accepted")
    outcome = SANDBOX_OUTCOMES.get(card.number)
    return outcome.value if outcome else _APPROVE


def _bank_label(bank: BankDetails) -> str:
    """Whether the test account's debits settle, or the return they get."""
    if not (bank.routing.isdigit() and bank.account_number.isdigit()):
        raise GatewayError("sandbox: routing and account numbers must be digits")
    if bank.account_number == SANDBOX_LATE_RETURN:
        return _LATE
    return SANDBOX_BANK_RETURNS.get(bank.account_number, _SETTLE)


def _keyed_token(label: str, key: str, last4: str) -> str:
    """The token a keyed charge leaves: the same for a replay of the key with the same card
    or account (so the replay matches), made from the key and last four, never the number."""
    digest = hashlib.sha256(f"{key}:{last4}".encode()).hexdigest()[:16]
    return f"sbx-{label}-{digest}"


def _card_answer(label: str, key: str, reusable: str) -> GatewayCharge:
    reference = f"sbx_ch_{key}"
    if label == _APPROVE:
        return GatewayCharge(approved=True, reference=reference, reusable=reusable)
    return GatewayCharge(approved=False, reference=reference, decline_reason=DeclineReason(label))


def _bank_answer(label: str, key: str, reusable: str) -> GatewayCharge:
    return GatewayCharge(approved=True, pending=True, reference=f"sbx-ach-{label}-{key}",
                         reusable=reusable)
