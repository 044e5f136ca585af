"""An in-memory implementation of flows.ports.Ports, for testing flows as data in, decision out.

It keeps the database ports' rules that a call can notice (lockouts, the caller throttle,
never taking more than is payable, held amounts, decline limits, scheduled payments listed
and cancellable): ``tests/ports/test_ports_contract.py`` runs the same cases against both.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from flows.errors import CallerThrottled
from flows.ports import (
    AccountSummary,
    Authorization,
    CaptureResult,
    CardPart,
    ChargeResult,
    DeclineReason,
    KeptMethod,
    PaymentOrder,
    PaymentRecord,
    PaymentSource,
    PinCheck,
    SavedMethod,
    ScheduledPayment,
)
from flows.recording import DisputeCase, RecordingReport

OUTCOMES = {
    "4000000000000002": DeclineReason.DECLINED,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
}
SCHEDULED = ChargeResult(approved=True, confirmation_number="5550001111", scheduled=True)
# The database ports' defaults (ivr.security.pin_policy.PinPolicy, ivr.ports.payments).
MAX_PIN_FAILURES, CALLER_MAX_FAILURES = 5, 10
MAX_DECLINES_PER_CALL, MAX_DECLINES_PER_ACCOUNT = 3, 5


def captured_result(capture: CaptureResult) -> ChargeResult:
    """<Pay>'s report as the database ports tell it (``ivr.ports.payments``): charged, in
    doubt (its amount stays held), or not charged (cancelled and failed: a processing error)."""
    if capture.approved:
        return ChargeResult(approved=True, confirmation_number="9990001111")
    if capture.unknown:
        return ChargeResult(approved=False, unknown=True, confirmation_number="9990002222")
    reason = None if capture.cancelled else capture.decline_reason
    return ChargeResult(approved=False, decline_reason=reason or DeclineReason.PROCESSING_ERROR)


@dataclass
class FakePorts:
    """Accounts, PINs and payments held in dictionaries; records every order."""

    accounts: dict[int, AccountSummary] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    pins: dict[int, str] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    pin_failures: Counter[int] = field(default_factory=Counter)
    throttled_callers: set[str] = field(default_factory=set)
    caller_failures: Counter[str] = field(default_factory=Counter)
    history: dict[int, list[PaymentRecord]] = field(default_factory=dict)
    orders: list[PaymentOrder] = field(default_factory=list)
    opened: dict[str, PaymentOrder] = field(default_factory=dict)
    results: dict[str, ChargeResult] = field(default_factory=dict)  # charged: the answer
    captured: dict[str, CaptureResult] = field(default_factory=dict)
    declined: set[str] = field(default_factory=set)  # keys the issuer refused
    held: dict[str, dict[str, str]] = field(default_factory=dict)  # call SID: what was keyed
    keep_expiry: dict[str, str] = field(default_factory=dict)  # keep token: the card's expiry
    saved: dict[int, list[SavedMethod]] = field(default_factory=dict)
    scheduled: dict[int, list[ScheduledPayment]] = field(default_factory=dict)
    autopay: dict[int, int] = field(default_factory=dict)
    # The authorisation AutoPay or an arrangement was last agreed with, by account.
    authorizations: dict[int, Authorization | None] = field(default_factory=dict)
    arrangements: list[tuple[int, list[tuple[date, int]], PaymentSource]] = field(
        default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    # Dispute cases by recording SID: (case number, account, where its number was texted).
    disputes: dict[str, tuple[str, int, str | None]] = field(default_factory=dict)
    # Callback requests by call SID: (account id, number, verified).
    callbacks: dict[str, tuple[int | None, str, bool]] = field(default_factory=dict)

    def add(self, account_id: int, number: str, pin: str, balance_cents: int, due: date,
            phone: str | None = None, name: str = "", language: str = "en-US") -> None:
        """Add an account."""
        self.accounts[account_id] = AccountSummary(account_id, number, balance_cents, due,
                                                   name=name, phone=phone or "",
                                                   language=language)
        self.pins[account_id] = pin
        if phone:
            self.phones[account_id] = phone

    @property
    def charges(self) -> list[PaymentOrder]:
        """Orders paid now (not scheduled)."""
        return [o for o in self.orders if o.scheduled_for is None]

    # -- accounts and PINs

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        return [self.accounts[i] for i, phone in self.phones.items() if phone == e164]

    def find_account(self, number: str, caller: str | None = None) -> AccountSummary | None:
        if self._throttled(caller):
            raise CallerThrottled(caller or "withheld")
        found = next((a for a in self.accounts.values() if a.number == number), None)
        if found is None:
            self.caller_failures[caller or ""] += 1
        return found

    def get_account(self, account_id: int) -> AccountSummary:
        held = sum(o.amount_cents for o in self.charges
                   if o.account_id == account_id and self._held(o.idempotency_key))
        return replace(self.accounts[account_id], held_cents=held)

    def set_language(self, account_id: int, language: str) -> None:
        self.accounts[account_id] = replace(self.accounts[account_id], language=language)

    def check_pin(self, account_id: int, pin: str, caller: str | None = None) -> PinCheck:
        if self._throttled(caller):
            return PinCheck.THROTTLED
        if account_id in self.locked:
            result = PinCheck.LOCKED  # even with the right PIN
        elif self.pins[account_id] == pin:
            self.pin_failures[account_id] = 0
            return PinCheck.OK
        else:
            self.pin_failures[account_id] += 1
            result = PinCheck.WRONG
            if self.pin_failures[account_id] >= MAX_PIN_FAILURES:
                self.locked.add(account_id)
                result = PinCheck.LOCKED
        self.caller_failures[caller or ""] += 1
        return result

    def _throttled(self, caller: str | None) -> bool:
        """Named in ``throttled_callers``, or too many wrong PINs and unknown accounts."""
        return (caller is not None and caller in self.throttled_callers) \
            or self.caller_failures[caller or ""] >= CALLER_MAX_FAILURES

    def recent_payments(self, account_id: int, limit: int) -> list[PaymentRecord]:
        return self.history.get(account_id, [])[:limit]

    # -- holding what the caller keys

    def hold_card_part(self, call_sid: str, part: CardPart, value: str) -> bool:
        if part is CardPart.NUMBER:
            self.held[call_sid] = {part.value: value}
            return True
        if "number" not in self.held.get(call_sid, {}):
            return False
        self.held[call_sid][part.value] = value
        return True

    def hold_bank_account(self, call_sid: str, routing: str, number: str,
                          account_type: str) -> None:
        self.held[call_sid] = {"routing": routing, "account_number": number,
                               "account_type": account_type}

    def fingerprint(self, value: str) -> str:
        return hashlib.sha256(b"test:" + value.encode()).hexdigest()

    # -- paying

    def open_payment(self, order: PaymentOrder) -> ChargeResult:
        if order.idempotency_key in self.opened:
            return self.payment_result(order.idempotency_key)
        if order.source.is_bank and not self._tel_complete(
                order.account_id, order.authorization_text, order.notify_number):
            return ChargeResult(approved=False, decline_reason=DeclineReason.NOT_AUTHORISED)
        if self._decline_limit(order.account_id, order.call_sid):
            return ChargeResult(approved=False, retry_allowed=False,
                                decline_reason=DeclineReason.TOO_MANY_DECLINES)
        if order.amount_cents > self.get_account(order.account_id).payable_cents:
            return ChargeResult(approved=False, decline_reason=DeclineReason.BALANCE_CHANGED)
        self.orders.append(order)
        self.opened[order.idempotency_key] = order
        if order.scheduled_for is not None:
            self._schedule(order.account_id, order.amount_cents, order.scheduled_for,
                           self._method_of(order.account_id, order.source))
            return SCHEDULED
        return ChargeResult(approved=False, processing=True)

    def payment_result(self, idempotency_key: str) -> ChargeResult:
        """Charged (once) as the fake vault's token says: ok, or a decline reason.

        A payment written ahead for Twilio's <Pay> is charged by Twilio, not here: it stays
        ``processing`` until :meth:`finish_captured` says what <Pay> did.
        """
        order = self.opened[idempotency_key]
        if order.scheduled_for is not None:
            return SCHEDULED
        if idempotency_key not in self.results:
            if order.source.kind == "captured" and idempotency_key not in self.captured:
                return ChargeResult(approved=False, processing=True)
            self._settle(order, self._charge(order))
        result = self.results[idempotency_key]
        if idempotency_key not in self.declined:
            return result
        return replace(result, retry_allowed=not self._decline_limit(order.account_id,
                                                                     order.call_sid))

    def _settle(self, order: PaymentOrder, result: ChargeResult) -> None:
        """Record the charge's answer, once; an approved one comes off the balance."""
        self.results[order.idempotency_key] = result
        if result.decline_reason is not None and self._is_decline(order.idempotency_key):
            self.declined.add(order.idempotency_key)
        if result.approved:
            account = self.accounts[order.account_id]
            self.accounts[order.account_id] = replace(
                account, balance_cents=account.balance_cents - order.amount_cents)

    def _is_decline(self, key: str) -> bool:
        """Refused by the card's issuer (what the limits count), not cancelled or failed."""
        capture = self.captured.get(key)
        return capture is None or (capture.decline_reason is not None
                                   and not capture.cancelled and not capture.unknown)

    def _charge(self, order: PaymentOrder) -> ChargeResult:
        capture = self.captured.get(order.idempotency_key)
        if capture is not None:
            return captured_result(capture)
        keyed = self.held.pop(order.call_sid, {}) if order.source.saved_id is None else {}
        keep = f"keep-{order.source.last4}" if keyed else ""
        self.keep_expiry[keep] = keyed.get("expiry_mmyy", "")
        if order.source.is_bank:
            return ChargeResult(approved=True, confirmation_number="2223334444", pending=True,
                                keep_token=keep)
        outcome = OUTCOMES.get(keyed.get("number", ""))
        if outcome is None:
            return ChargeResult(approved=True, confirmation_number="1234567890", keep_token=keep)
        return ChargeResult(approved=False, decline_reason=outcome)

    def _tel_complete(self, account_id: int, text: str | None, notify: str | None) -> bool:
        """A bank debit's telephone authorisation, as the database ports require it
        (``ivr.sms.notices.tel_complete``): said, naming the payer, its notice deliverable."""
        account = self.accounts[account_id]
        return bool(text) and bool(account.name) and bool(notify or account.phone)

    def _held(self, key: str) -> bool:
        """Written ahead and unanswered, or answered in doubt: it may have been taken."""
        result = self.results.get(key)
        return result is None or result.unknown

    def _decline_limit(self, account_id: int, call_sid: str) -> bool:
        """The call has had as many declines as it may, or the account as many declines and
        charges in flight (the database ports count both: card testers call in parallel)."""
        declined = [self.opened[key] for key in self.declined]
        tried = declined + [o for o in self.charges if self._held(o.idempotency_key)]
        return sum(o.call_sid == call_sid for o in declined) >= MAX_DECLINES_PER_CALL \
            or sum(o.account_id == account_id for o in tried) >= MAX_DECLINES_PER_ACCOUNT

    def finish_captured(self, idempotency_key: str, capture: CaptureResult) -> ChargeResult:
        """Record what <Pay> did, once: a replay (or a later report) changes nothing."""
        if idempotency_key not in self.results:
            self.captured.setdefault(idempotency_key, capture)
        return self.payment_result(idempotency_key)

    def accept_token(self, kind: str, token: str) -> str | None:
        """A <Pay> token kept as it is, unless it names nothing to charge: empty, or a bare
        customer (``cus_...`` alone, as Stripe's gateway refuses it)."""
        if not token or (token.startswith("cus_") and ":" not in token):
            return None
        return token

    # -- methods on file, scheduled payments, AutoPay, arrangements

    def saved_methods(self, account_id: int) -> list[SavedMethod]:
        return list(self.saved.get(account_id, []))

    def save_method(self, account_id: int, source: PaymentSource) -> SavedMethod:
        methods = self.saved.setdefault(account_id, [])
        expiry = source.expiry_mmyy or self.keep_expiry.get(source.token, "")
        method = SavedMethod(100 + len(methods), "bank" if source.is_bank else "card",
                             source.label, source.last4, expiry or None)
        methods.append(method)
        return method

    def keep_for_later(self, account_id: int, source: PaymentSource, call_sid: str,
                       idempotency_key: str, amount_cents: int) -> KeptMethod:
        if self._decline_limit(account_id, call_sid):
            return KeptMethod(refused=DeclineReason.TOO_MANY_DECLINES, retry_allowed=False)
        if amount_cents > self.get_account(account_id).payable_cents:
            return KeptMethod(refused=DeclineReason.BALANCE_CHANGED)
        keyed = self.held.pop(call_sid, {})
        kept = replace(source, expiry_mmyy=keyed.get("expiry_mmyy", source.expiry_mmyy))
        return KeptMethod(saved_id=self.save_method(account_id, kept).id)

    def _method_of(self, account_id: int, source: PaymentSource) -> SavedMethod:
        """The saved method a scheduled payment uses: kept on file first when it is new."""
        if source.saved_id is None:
            return self.save_method(account_id, source)
        return next(m for m in self.saved.get(account_id, []) if m.id == source.saved_id)

    def _schedule(self, account_id: int, cents: int, when: date, method: SavedMethod) -> None:
        payment = ScheduledPayment(next(self.ids), cents, when, method.kind, method.label,
                                   method.last4)
        waiting = [*self.scheduled.get(account_id, []), payment]
        self.scheduled[account_id] = sorted(waiting, key=lambda p: (p.scheduled_for, p.id))

    def scheduled_payments(self, account_id: int) -> list[ScheduledPayment]:
        return list(self.scheduled.get(account_id, []))

    def cancel_scheduled(self, account_id: int, payment_id: int) -> bool:
        before = self.scheduled.get(account_id, [])
        self.scheduled[account_id] = [p for p in before if p.id != payment_id]
        return len(before) != len(self.scheduled[account_id])

    def autopay_method(self, account_id: int) -> SavedMethod | None:
        method_id = self.autopay.get(account_id)
        return next((m for m in self.saved.get(account_id, []) if m.id == method_id), None)

    def set_autopay(self, account_id: int, method_id: int | None,
                    authorization: Authorization | None = None,
                    notify_number: str | None = None) -> None:
        if method_id is None:
            self.autopay.pop(account_id, None)
            return
        method = next((m for m in self.saved.get(account_id, []) if m.id == method_id), None)
        if method is None:
            raise PermissionError("that method belongs to another account")
        if method.kind == "bank" and not self._tel_complete(
                account_id, authorization.text if authorization else None, notify_number):
            raise PermissionError("a bank debit without a complete telephone authorisation")
        self.autopay[account_id] = method_id
        self.authorizations[account_id] = authorization

    def create_arrangement(self, account_id: int, instalments: list[tuple[date, int]],
                           source: PaymentSource, call_sid: str, notify_number: str | None,
                           authorization: Authorization | None) -> list[str]:
        if sum(cents for _, cents in instalments) > self.get_account(account_id).payable_cents:
            return []
        if source.is_bank and not self._tel_complete(
                account_id, authorization.text if authorization else None, notify_number):
            raise PermissionError("a bank debit without a complete telephone authorisation")
        self.arrangements.append((account_id, instalments, source))
        self.authorizations[account_id] = authorization
        method = self._method_of(account_id, source)
        for when, cents in instalments:
            self._schedule(account_id, cents, when, method)
        return [f"77700000{n:02d}" for n in range(1, len(instalments) + 1)]

    # -- disputes

    def open_dispute(self, account_id: int, call_sid: str, recording: RecordingReport,
                     notify_number: str | None, language: str) -> DisputeCase:
        if recording.sid not in self.disputes:
            number = f"{next(self.ids) + 20000000:08d}"
            to = notify_number or self.phones.get(account_id)
            self.disputes[recording.sid] = (number, account_id, to)
        number, _, to = self.disputes[recording.sid]
        return DisputeCase(number, texted=to is not None)
    def request_callback(self, account_id: int | None, number: str, call_sid: str,
                         verified: bool) -> None:
        self.callbacks.setdefault(call_sid, (account_id, number, verified))
