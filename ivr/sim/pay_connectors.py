"""What the simulated Twilio's Pay Connector does once ``<Pay>`` has every field.

A Pay Connector charges (``chargeAmount`` above 0) or tokenises what the caller keyed, at
the gateway it is set up for, and ``<Pay>`` posts the parameters it reported. Two are
emulated, offline:

- ``sandbox``: the line's sandbox gateway, whose tokens (``sbx-...``) it charges later.
- ``stripe``: Twilio's Stripe connector, so ``IVR_CARD_CAPTURE=pay`` can be replayed against
  the Stripe gateway. It tokenises as Twilio documents per ``tokenType``: ``payment-method``
  gives a PaymentMethod as ``PaymentToken`` ("Twilio's action callback will send the
  PaymentMethod Object ID in the PaymentToken parameter", Twilio changelog 2024-04-09);
  ``reusable`` a one-time token and a Customer as ``ProfileId``; ``one-time`` the token
  alone. The PaymentMethod is Stripe's own test PaymentMethod for the card
  (``pm_card_visa``, ``pm_card_chargeDeclinedInsufficientFunds``, ...), which Stripe's test
  mode (and the tests' stand-in) takes on any account, so a later charge of it has the
  test card's outcome. It comes with no ``ProfileId``: the emulation cannot make a Customer
  at Stripe, and an invented ``cus_`` would name one Stripe never made (refused as
  ``resource_missing``); the line attaches the method to a Customer of its own at its
  first charge. A charge gives a PaymentIntent id as ``PaymentConfirmationCode``. Bank
  accounts it refuses: the line's Stripe gateway takes none.

Test cards have Stripe's outcomes under both (the sandbox's table is Stripe's). No full card
or account number is ever in what is returned.
"""

from __future__ import annotations

import secrets

from flows.cards import Brand, card_brand
from flows.ports import DeclineReason
from ivr.config import has_settings, settings_of
from ivr.payments.gateways.sandbox import SANDBOX_OUTCOMES, SandboxGateway
from ivr.security.card_store import BankDetails, CardDetails
from ivr.sim.pay_twiml import PayAttributes
from ivr.sim.transport import InProcessTransport, Transport

CONNECTORS = ("sandbox", "stripe")
Reported = tuple[str, dict[str, str]]  # <Pay>'s Result, and the connector's parameters

# Stripe's message for each decline, which a Stripe Pay Connector passes on as PaymentError.
DECLINE_MESSAGES = {
    DeclineReason.DECLINED: "Your card was declined.",
    DeclineReason.INSUFFICIENT_FUNDS: "Your card has insufficient funds.",
    DeclineReason.EXPIRED_CARD: "Your card has expired.",
    DeclineReason.INCORRECT_CVC: "Your card's security code is incorrect.",
    DeclineReason.PROCESSING_ERROR: "An error occurred while processing your card.",
}
GATEWAY_REJECTED_CARD = "64012"  # Twilio's error "Pay: Payment Gateway rejected the card."
# Stripe's test PaymentMethods: one for each declining test card, and one per brand.
STRIPE_TEST_METHODS = {
    DeclineReason.DECLINED: "pm_card_chargeDeclined",
    DeclineReason.INSUFFICIENT_FUNDS: "pm_card_chargeDeclinedInsufficientFunds",
    DeclineReason.EXPIRED_CARD: "pm_card_chargeDeclinedExpiredCard",
    DeclineReason.INCORRECT_CVC: "pm_card_chargeDeclinedIncorrectCvc",
    DeclineReason.PROCESSING_ERROR: "pm_card_chargeDeclinedProcessingError",
}
STRIPE_BRAND_METHODS = {Brand.VISA: "pm_card_visa", Brand.MASTERCARD: "pm_card_mastercard",
                        Brand.AMEX: "pm_card_amex", Brand.DISCOVER: "pm_card_discover"}
STRIPE_NO_BANK = "the Stripe Pay Connector emulation takes cards only"


def connector_for(transport: Transport) -> str:
    """The connector that fits the line called: in process, its own gateway's (``stripe``
    for ``IVR_PAYMENT_GATEWAY=stripe``); a server's gateway cannot be seen: the sandbox."""
    if isinstance(transport, InProcessTransport) and has_settings(transport.app):
        name = settings_of(transport.app).payment_gateway
        return name if name in CONNECTORS else "sandbox"
    return "sandbox"


def process_card(connector: str, attrs: PayAttributes, card: CardDetails) -> Reported:
    """Charge or tokenise a card (already checked by <Pay>) as ``connector`` would."""
    if connector == "stripe":
        return _stripe_card(attrs, card)
    gateway = SandboxGateway()
    if not attrs.charge_cents:
        # A one-time token is as good as a reusable one to the sandbox's charge.
        return "success", {"PaymentToken": gateway.save_card(card)}
    key = secrets.token_hex(12)
    charge = gateway.charge_card(card, attrs.charge_cents, key, attrs.description)
    if charge.approved:
        return "success", {"PaymentConfirmationCode": f"ch_{key}"}
    return declined(charge.decline_reason or DeclineReason.DECLINED)


def process_bank(connector: str, attrs: PayAttributes, bank: BankDetails) -> Reported:
    """Tokenise a bank account, or submit its debit (pending: returns show days later)."""
    if connector == "stripe":
        return "payment-connector-error", {"PaymentError": STRIPE_NO_BANK}
    gateway = SandboxGateway()
    if not attrs.charge_cents:
        return "success", {"PaymentToken": gateway.save_bank(bank)}
    key = secrets.token_hex(12)
    gateway.debit_bank(bank, attrs.charge_cents, key, attrs.description)
    return "success", {"PaymentConfirmationCode": f"py_{key}"}


def declined(reason: DeclineReason) -> Reported:
    """A decline as Twilio reports a connector's refusal."""
    return "payment-connector-error", {"PaymentError": DECLINE_MESSAGES[reason],
                                       "PayErrorCode": GATEWAY_REJECTED_CARD,
                                       "ConnectorError": reason.value}


def stripe_test_method(card: CardDetails) -> str:
    """Stripe's test PaymentMethod with this card's outcome (any other card: its brand's)."""
    outcome = SANDBOX_OUTCOMES.get(card.number)
    if outcome is not None:
        return STRIPE_TEST_METHODS[outcome]
    brand = card_brand(card.number)
    return STRIPE_BRAND_METHODS.get(brand, "pm_card_visa") if brand else "pm_card_visa"


def _stripe_card(attrs: PayAttributes, card: CardDetails) -> Reported:
    """Twilio's Stripe connector: a PaymentIntent for a charge, or tokens by ``tokenType``."""
    if attrs.charge_cents:
        outcome = SANDBOX_OUTCOMES.get(card.number)
        if outcome is not None:
            return declined(outcome)
        return "success", {"PaymentConfirmationCode": f"pi_{secrets.token_hex(12)}"}
    if attrs.token_type == "payment-method":
        return "success", {"PaymentToken": stripe_test_method(card)}
    one_time = f"tok_{secrets.token_hex(12)}"
    if attrs.token_type == "reusable":
        # A token the line never charges (it asks Stripe's connector for payment-method).
        return "success", {"PaymentToken": one_time, "ProfileId": f"cus_{secrets.token_hex(7)}"}
    return "success", {"PaymentToken": one_time}
