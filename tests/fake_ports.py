"""An in-memory implementation of flows.ports.Ports, for testing flows as data in, decision out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flows.cards import card_brand
from flows.ports import (
    AccountSummary,
    CardToken,
    ChargeRequest,
    ChargeResult,
    DeclineReason,
    PaymentRecord,
    PinCheck,
)

OUTCOMES = {
    "4000000000000002": DeclineReason.DECLINED,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
}


@dataclass
class FakePorts:
    """Accounts, PINs and payments held in dictionaries; records every charge."""

    accounts: dict[int, AccountSummary] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    pins: dict[int, str] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    history: dict[int, list[PaymentRecord]] = field(default_factory=dict)
    charges: list[ChargeRequest] = field(default_factory=list)
    vaulted_codes: list[str] = field(default_factory=list)

    def add(self, account_id: int, number: str, pin: str, balance_cents: int, due: date,
            phone: str | None = None) -> None:
        """Add an account."""
        self.accounts[account_id] = AccountSummary(account_id, number, balance_cents, due)
        self.pins[account_id] = pin
        if phone:
            self.phones[account_id] = phone

    def accounts_for_phone(self, e164: str) -> list[AccountSummary]:
        return [self.accounts[i] for i, phone in self.phones.items() if phone == e164]

    def find_account(self, number: str) -> AccountSummary | None:
        return next((a for a in self.accounts.values() if a.number == number), None)

    def get_account(self, account_id: int) -> AccountSummary:
        return self.accounts[account_id]

    def check_pin(self, account_id: int, pin: str) -> PinCheck:
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

    def charge(self, request: ChargeRequest) -> ChargeResult:
        self.charges.append(request)
        outcome = request.card.token.split("-")[3].split("+")[0]
        if outcome == "ok":
            return ChargeResult(approved=True, confirmation_number="1234567890")
        return ChargeResult(approved=False, decline_reason=DeclineReason(outcome))
