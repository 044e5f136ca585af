"""An in-memory implementation of flows.ports.Ports, for testing flows as data in, decision out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from flows.cards import card_brand
from flows.ports import (
    AccountSummary,
    BankToken,
    CallerThrottled,
    CaptureResult,
    CardToken,
    ChargeResult,
    DeclineReason,
    PaymentOrder,
    PaymentRecord,
    PaymentSource,
    PinCheck,
    SavedMethod,
    ScheduledPayment,
)

OUTCOMES = {
    "4000000000000002": DeclineReason.DECLINED,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
}


@dataclass
class FakePorts:
    """Accounts, PINs and payments held in dictionaries; records every order."""

    accounts: dict[int, AccountSummary] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    pins: dict[int, str] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    throttled_callers: set[str] = field(default_factory=set)
    history: dict[int, list[PaymentRecord]] = field(default_factory=dict)
    orders: list[PaymentOrder] = field(default_factory=list)
    opened: dict[str, PaymentOrder] = field(default_factory=dict)
    captured: dict[str, CaptureResult] = field(default_factory=dict)
    vaulted_codes: list[str] = field(default_factory=list)
    saved: dict[int, list[SavedMethod]] = field(default_factory=dict)
    scheduled: dict[int, list[ScheduledPayment]] = field(default_factory=dict)
    autopay: dict[int, int] = field(default_factory=dict)
    arrangements: list[tuple[int, list[tuple[date, int]], PaymentSource]] = field(
        default_factory=list)

    def add(self, account_id: int, number: str, pin: str, balance_cents: int, due: date,
            phone: str | None = None) -> None:
        """Add an account."""
        self.accounts[account_id] = AccountSummary(account_id, number, balance_cents, due)
        self.pins[account_id] = pin
        if phone:
            self.phones[account_id] = phone

    @property
    def charges(self) -> list[PaymentOrder]:
        """Orders paid now (not scheduled)."""
        return [o for o in self.orders if o.scheduled_for is None]

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        return [self.accounts[i] for i, phone in self.phones.items() if phone == e164]

    def find_account(self, number: str, caller: str | None = None) -> AccountSummary | None:
        if caller is not None and caller in self.throttled_callers:
            raise CallerThrottled(caller)
        return next((a for a in self.accounts.values() if a.number == number), None)

    def get_account(self, account_id: int) -> AccountSummary:
        return self.accounts[account_id]

    def check_pin(self, account_id: int, pin: str, caller: str | None = None) -> PinCheck:
        if caller is not None and caller in self.throttled_callers:
            return PinCheck.THROTTLED
        if account_id in self.locked:
            return PinCheck.LOCKED
        return PinCheck.OK if self.pins[account_id] == pin else PinCheck.WRONG

    def recent_payments(self, account_id: int, limit: int) -> list[PaymentRecord]:
        return self.history.get(account_id, [])[:limit]

    def vault_card(self, number: str) -> CardToken:
        brand = card_brand(number)
        assert brand is not None
        return CardToken(token=f"tok-{number[:1]}-{number[-4:]}-{OUTCOMES.get(number, 'ok')}",
                         brand=str(brand), last4=number[-4:])

    def vault_security_code(self, card: CardToken, code: str) -> CardToken:
        self.vaulted_codes.append(code)
        return CardToken(card.token + "+cvc", card.brand, card.last4)

    def vault_bank_account(self, routing: str, number: str, account_type: str) -> BankToken:
        return BankToken(f"bank-{routing}-{number[-4:]}", account_type, number[-4:])

    def fingerprint(self, value: str) -> str:
        return hashlib.sha256(b"test:" + value.encode()).hexdigest()

    def open_payment(self, order: PaymentOrder) -> ChargeResult:
        if order.idempotency_key in self.opened:
            return self.payment_result(order.idempotency_key)
        self.orders.append(order)
        self.opened[order.idempotency_key] = order
        if order.scheduled_for is not None:
            return ChargeResult(approved=True, confirmation_number="5550001111", scheduled=True)
        return ChargeResult(approved=False, processing=True)

    def payment_result(self, idempotency_key: str) -> ChargeResult:
        """Charged as the fake vault's token says: ok, or a decline reason."""
        order = self.opened[idempotency_key]
        if order.scheduled_for is not None:
            return ChargeResult(approved=True, confirmation_number="5550001111", scheduled=True)
        if idempotency_key in self.captured:
            capture = self.captured[idempotency_key]
            if capture.approved:
                return ChargeResult(approved=True, confirmation_number="9990001111")
            return ChargeResult(approved=False, decline_reason=capture.decline_reason
                                or DeclineReason.PROCESSING_ERROR)
        if order.source.is_bank:
            return ChargeResult(approved=True, confirmation_number="2223334444", pending=True)
        outcome = order.source.token.split("-")[3].split("+")[0] if order.source.token else "ok"
        if outcome == "ok":
            return ChargeResult(approved=True, confirmation_number="1234567890")
        return ChargeResult(approved=False, decline_reason=DeclineReason(outcome))

    def finish_captured(self, idempotency_key: str, capture: CaptureResult) -> ChargeResult:
        self.captured.setdefault(idempotency_key, capture)
        return self.payment_result(idempotency_key)

    def saved_methods(self, account_id: int) -> list[SavedMethod]:
        return list(self.saved.get(account_id, []))

    def save_method(self, account_id: int, source: PaymentSource) -> SavedMethod:
        methods = self.saved.setdefault(account_id, [])
        method = SavedMethod(100 + len(methods), "bank" if source.is_bank else "card",
                             source.label, source.last4, source.expiry_mmyy or None)
        methods.append(method)
        return method

    def scheduled_payments(self, account_id: int) -> list[ScheduledPayment]:
        return list(self.scheduled.get(account_id, []))

    def cancel_scheduled(self, account_id: int, payment_id: int) -> bool:
        before = self.scheduled.get(account_id, [])
        self.scheduled[account_id] = [p for p in before if p.id != payment_id]
        return len(before) != len(self.scheduled[account_id])

    def autopay_method(self, account_id: int) -> SavedMethod | None:
        method_id = self.autopay.get(account_id)
        return next((m for m in self.saved.get(account_id, []) if m.id == method_id), None)

    def set_autopay(self, account_id: int, method_id: int | None) -> None:
        if method_id is None:
            self.autopay.pop(account_id, None)
        else:
            self.autopay[account_id] = method_id

    def create_arrangement(self, account_id: int, instalments: list[tuple[date, int]],
                           source: PaymentSource, call_sid: str, notify_number: str | None,
                           authorization_text: str | None) -> list[str]:
        self.arrangements.append((account_id, instalments, source))
        return [f"77700000{n:02d}" for n in range(1, len(instalments) + 1)]
