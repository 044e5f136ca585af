"""Stripe as the payment gateway: keyed cards and cards on file, through PaymentIntents.

- A card keyed on the call (``IVR_CARD_CAPTURE=gather``) is charged whole in one request:
  a PaymentIntent created and confirmed with the card as ``payment_method_data`` and flagged
  as a telephone order (MOTO). Stripe must enable MOTO and its raw card data APIs on the
  account before it takes these requests (:func:`~.stripe_forms.keyed_intent_form`).
- A card on file is a Stripe token: ``cus_...:pm_...`` (a PaymentMethod attached to a
  Customer), from :meth:`StripeGateway.keep` after a keyed charge or
  :meth:`StripeGateway.save_card`; or, from Twilio's ``<Pay>`` with Stripe's Pay Connector
  (``IVR_CARD_CAPTURE=pay``, where card digits never reach this server), the same or a
  bare ``pm_...`` the connector attached to no Customer, which is attached to one at its
  first charge (:mod:`.stripe_methods`). They are charged off session: scheduled payments,
  AutoPay, arrangements, "pay with the card on file".
- Bank accounts are refused: see ``NO_BANK``.

Stripe keeps an idempotency key's first answer (even a 500) and may prune keys after 24
hours, so a lost answer is never settled by replaying the key: ``ivr payments reconcile``
looks the PaymentIntent up by the key kept in its metadata (:meth:`StripeGateway.find_charge`,
in the List PaymentIntents API, which is read-after-write: :mod:`.stripe_lookup`). The
answers themselves are read in :mod:`.stripe_http`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import requests

from flows.ports import DeclineReason
from ivr.config import Settings
from ivr.errors import ConfigError, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.base import BANK, CARD, GatewayCharge, Settlement
from ivr.payments.gateways.stripe_forms import (
    MAX_IDEMPOTENCY_KEY,
    card_fields,
    charge_instruction,
    check_charge,
    keyed_intent_form,
    parse_token,
    saved_intent_form,
    setup_form,
)
from ivr.payments.gateways.stripe_http import (
    MAYBE_CHARGED,
    decline_reason,
    outcome,
    post,
    safe,
)
from ivr.payments.gateways.stripe_lookup import find_intent
from ivr.payments.gateways.stripe_methods import StripeMethods
from ivr.security.card_store import BankDetails, CardDetails

__all__ = ["DEFAULT_API_BASE", "MAX_IDEMPOTENCY_KEY", "NO_BANK", "STRIPE_API_VERSION",
           "StripeGateway", "decline_reason", "parse_token"]

DEFAULT_API_BASE = "https://api.stripe.com"
# Pinned so a change of the account's default version cannot change these shapes.
STRIPE_API_VERSION = "2025-12-15.clover"

# Stripe's ACH Direct Debit verifies an account either instantly through Financial
# Connections (the payer signs in to their bank online) or by microdeposits the payer
# confirms 1-2 business days later, and takes a mandate accepted online or on paper: a
# debit authorised by telephone (NACHA TEL) with digits keyed on the call fits neither.
NO_BANK = ("bank payments are not supported with Stripe: its ACH Direct Debit needs the "
           "account verified online or by microdeposits over days, not a mandate by "
           "telephone; use a gateway that takes TEL debits, or a card")


class StripeGateway:
    """Charges keyed cards (MOTO) and Stripe card tokens; bank accounts are refused."""

    name = "stripe"
    supports_bank = False
    supports_keypad_cards = True  # MOTO PaymentIntents; Stripe must enable raw card data
    # find_charge reads the List PaymentIntents API, which Stripe says is not subject to its
    # search's delay (docs.stripe.com/search, "Data freshness"); the search is only a
    # fallback, trusted only to find a charge that succeeded.
    lookup_read_after_write = True

    def __init__(self, api_key: str, api_base: str = DEFAULT_API_BASE) -> None:
        """A gateway talking to ``api_base`` with a secret (``sk_``) or restricted (``rk_``) key."""
        self.api_base = api_base.rstrip("/")
        self._session = requests.Session()
        # Bearer auth is one of the two schemes Stripe documents (basic auth is the other).
        self._session.headers.update({"Authorization": f"Bearer {api_key}",
                                      "Stripe-Version": STRIPE_API_VERSION})
        self._methods = StripeMethods(self._session, self.api_base)

    def __repr__(self) -> str:
        return f"StripeGateway(api_base={self.api_base!r})"  # never the key

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        """Build from ``IVR_STRIPE_API_KEY`` (required) and ``IVR_STRIPE_API_BASE``."""
        key = settings.stripe_api_key.strip()
        if not key:
            raise ConfigError("IVR_STRIPE_API_KEY must be set when IVR_PAYMENT_GATEWAY=stripe")
        if not key.startswith(("sk_", "rk_")):
            why = " is a publishable key, not a secret one: it" if key.startswith("pk_") else ""
            raise ConfigError(f"IVR_STRIPE_API_KEY{why} must start with sk_ or rk_ (a secret "
                              "or restricted key, from the Stripe dashboard's API keys)")
        base = (settings.stripe_api_base or DEFAULT_API_BASE).strip()
        if not base.startswith(("https://", "http://")):
            raise ConfigError(f"IVR_STRIPE_API_BASE must be an http(s) URL, got {base!r}")
        return cls(key, base)

    def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                    description: str) -> GatewayCharge:
        """Charge a keyed card once per idempotency key, as a telephone order.

        An approved charge's ``reusable`` is its PaymentMethod, which :meth:`keep` can
        attach to a Customer when the caller asks to keep the card.
        """
        check_charge(amount_cents, idempotency_key)
        form = keyed_intent_form(card, amount_cents, idempotency_key, description)
        return outcome(self._post("/v1/payment_intents", form, idempotency_key, MAYBE_CHARGED))

    def debit_bank(self, bank: BankDetails, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Refused without a request: see ``NO_BANK``."""
        raise GatewayError(NO_BANK)

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Charge a card token once per idempotency key (a retry replays the first answer).

        A ``cus_...:pm_...`` is charged with its Customer, in one request. A bare ``pm_...``
        (a ``<Pay>`` card that came without a Customer) is read first: charged with the
        Customer it is attached to, or attached to a new one first (see :meth:`_attached`),
        since Stripe charges a PaymentMethod attached to nobody only once. Raises
        GatewayError for a bank account, a token that is not Stripe's, or a bare Customer
        (``cus_``) that names no card.
        """
        _cards_only(kind)
        check_charge(amount_cents, idempotency_key)
        customer, payment_method = charge_instruction(token)
        if customer is None:
            attached = self._attached(payment_method)
            if isinstance(attached, DeclineReason):
                return GatewayCharge(approved=False, reference="", decline_reason=attached)
            customer, payment_method = attached.split(":")
        form = saved_intent_form(customer, payment_method, amount_cents, idempotency_key,
                                 description)
        return outcome(self._post("/v1/payment_intents", form, idempotency_key, MAYBE_CHARGED))

    def keep(self, kind: str, reusable: str) -> str:
        """Attach a charged card's PaymentMethod to a new Customer: ``cus_...:pm_...``.

        This runs in the turn where the caller asks to keep the card, so its two requests
        (Customer, attach) have the short timeout: 12 s at worst, inside Twilio's 15. Doing
        it here rather than at the card's first charge keeps "pay with the card on file"
        (which may run in a call's hold turn) to the charge alone. Keeping the same card
        again replays the first Customer (keys from the PaymentMethod). A
        ``cus_...:pm_...`` is already on file and comes back unchanged.
        """
        _cards_only(kind)
        customer, payment_method = charge_instruction(reusable)
        if customer:
            return reusable
        kept = self._methods.attach_to_new_customer(payment_method)
        if isinstance(kept, DeclineReason):
            raise GatewayError(f"Stripe declined the card as it was kept ({kept.value})")
        return kept

    def save_card(self, card: CardDetails) -> str:
        """Keep a keyed card on file without charging it: ``cus_...:pm_...``.

        A new Customer, then a SetupIntent confirmed with the card (MOTO) for that Customer,
        both with the short timeout (this runs in a call's turn). Nothing here is charged,
        so each call draws fresh idempotency keys. Raises GatewayError when the card is
        malformed (before any request) or Stripe declines it.
        """
        fields = card_fields(card)  # checked before any request
        attempt = uuid.uuid4().hex
        customer = self._methods.new_customer(f"save-customer-{attempt}")
        setup = self._methods.set_up(setup_form(fields, customer), f"save-setup-{attempt}")
        return _set_up(setup, customer)

    def save_bank(self, bank: BankDetails) -> str:
        """Refused without a request: see ``NO_BANK``."""
        raise GatewayError(NO_BANK)

    def accept_token(self, kind: str, token: str) -> str:
        """A ``<Pay>`` token as it is kept on file: ``cus_...:pm_...``, or a bare ``pm_...``.

        This runs in the ``<Pay>`` action's webhook turn, so it makes one short request: the
        PaymentMethod is read (GET) to learn its own Customer. A ``ProfileId`` that is not
        that Customer is refused (Stripe would refuse the pair at every charge); a method
        with a Customer is kept with it; one with none is kept bare and attached to a new
        Customer at its first charge (:meth:`charge_saved`), never here. Raises GatewayError
        for a bare Customer (no PaymentMethod: not a charge instruction), a bank account, or
        a token that is not Stripe's (before any request), or a PaymentMethod Stripe does
        not have or that is not a card.
        """
        _cards_only(kind)
        profile, payment_method = charge_instruction(token)
        owner = self._methods.owner(payment_method)
        if profile is not None and profile != owner:
            raise GatewayError(f"the PaymentMethod is not attached to Customer {safe(profile)} "
                               f"(it is attached to {safe(owner)})")
        return f"{owner}:{payment_method}" if owner else payment_method

    def settlement(self, reference: str) -> Settlement:
        """Refused: there are no Stripe bank debits to settle."""
        raise GatewayError(NO_BANK)

    def find_charge(self, idempotency_key: str,
                    since: datetime | None = None) -> GatewayCharge | None:
        """The PaymentIntent whose metadata carries this key, as a charge; None if there is none.

        Read from the List PaymentIntents API (read-after-write, unlike Stripe's search) from
        shortly before ``since``: see :mod:`.stripe_lookup`. Raises GatewayError when Stripe
        cannot be asked, GatewayOutcomeUnknown while the intent is still processing, and
        ChargeOutOfSight when more intents were made since than it may read.
        """
        return find_intent(self._session, self.api_base, idempotency_key, since)

    def _attached(self, payment_method: str) -> str | DeclineReason:
        """``cus_...:pm_...`` for a bare PaymentMethod about to be charged: with the Customer
        it is attached to, or attached to a new one now (never one that has a Customer).

        Nothing is charged yet, so a lost answer here raises GatewayError: the charge was
        not sent, and a retry replays the same Customer and attachment (keys from the
        PaymentMethod).
        """
        owner = self._methods.owner(payment_method)
        if owner is not None:
            return f"{owner}:{payment_method}"
        try:
            return self._methods.attach_to_new_customer(payment_method)
        except GatewayOutcomeUnknown as error:
            raise GatewayError(f"could not attach the card before charging it ({error}); "
                               "nothing was charged") from None

    def _post(self, path: str, form: list[tuple[str, str]], key: str,
              doubt: str) -> requests.Response:
        return post(self._session, self.api_base + path, form, key, doubt)


def _cards_only(kind: str) -> None:
    """Refuse a bank account (see ``NO_BANK``) or a kind that is neither."""
    if kind == BANK:
        raise GatewayError(NO_BANK)
    if kind != CARD:
        raise GatewayError(f"unknown payment method kind {safe(kind)}")


def _set_up(setup: dict[str, object], customer: str) -> str:
    """``cus_...:pm_...`` for a SetupIntent that succeeded for ``customer``; else raise."""
    state, method = setup.get("status"), setup.get("payment_method")
    if state == "succeeded" and isinstance(method, str) and setup.get("customer") == customer:
        return f"{customer}:{method}"
    failure = setup.get("last_setup_error")
    reason = decline_reason(failure).value if isinstance(failure, dict) else "not set up"
    raise GatewayError(f"Stripe did not keep the card (status {safe(state)}, {reason})")
