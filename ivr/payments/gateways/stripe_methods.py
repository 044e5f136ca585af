"""Stripe PaymentMethods and Customers: reading a card's owner, attaching it to a new Customer.

None of these requests moves money, and each may run inside a Twilio webhook turn (15 s for
the whole answer), so each has the short timeout (:data:`~.stripe_http.SHORT_TIMEOUT`).

A PaymentMethod is charged more than once only when it is attached to a Customer: "To use a
PaymentMethod multiple times, you must attach it to a Customer first" (Stripe's error for
one used unattached). One set up for future use (``setup_future_usage``, as a keyed charge
is, or a method Twilio's Pay Connector made) may still be attached after it was charged:
"If you don't provide a Customer, you can still attach the payment method to a Customer
after the transaction completes" (Stripe's reference, ``setup_future_usage``).
"""

from __future__ import annotations

from typing import Any

import requests

from flows.ports import DeclineReason
from ivr.errors import GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways.stripe_http import (
    MAYBE_KEPT,
    SHORT_TIMEOUT,
    card_declined,
    get,
    post,
    safe,
    stripe_object,
)

CUSTOMER_DESCRIPTION = "Card kept on file by the phone payment line"


class StripeMethods:
    """Reads PaymentMethods and attaches them to Customers, for :class:`~.StripeGateway`."""

    def __init__(self, session: requests.Session, api_base: str) -> None:
        """Requests go through the gateway's ``session`` (its key) to ``api_base``."""
        self._session = session
        self._api_base = api_base

    def owner(self, payment_method: str) -> str | None:
        """The Customer a card PaymentMethod is attached to (None: to nobody), in one GET.

        Raises GatewayError when Stripe has no such PaymentMethod, it is not a card, or
        Stripe cannot be asked (a read changes nothing, so a lost answer is no doubt).
        """
        response = get(self._session, f"{self._api_base}/v1/payment_methods/{payment_method}")
        try:
            found = stripe_object(response, "payment_method", "nothing was changed")
        except GatewayOutcomeUnknown as error:
            raise GatewayError(f"could not read the PaymentMethod: {error}") from None
        if found.get("type") != "card":
            raise GatewayError(f"the Stripe PaymentMethod is not a card (type "
                               f"{safe(found.get('type'))})")
        owner = found.get("customer")
        owner = owner.get("id") if isinstance(owner, dict) else owner  # if expanded
        return owner if isinstance(owner, str) and owner else None

    def attach_to_new_customer(self, payment_method: str) -> str | DeclineReason:
        """Attach a PaymentMethod no Customer has to a new Customer: ``cus_...:pm_...``, or
        why the card was declined (Stripe checks a card as it attaches it).

        Both idempotency keys come from the PaymentMethod, so doing it again within Stripe's
        24 hours (a retry, or a charge after a keep whose answer was lost) replays the first
        Customer instead of making another. The PaymentMethod id is the one Stripe answers:
        attaching one of its shared test PaymentMethods (``pm_card_visa``) attaches a copy
        with a new id. Raises GatewayError, or GatewayOutcomeUnknown (``MAYBE_KEPT``) when
        an answer was lost.
        """
        customer = self.new_customer(f"attach-customer-{payment_method}")
        response = self._post(f"/v1/payment_methods/{payment_method}/attach",
                              [("customer", customer)], f"attach-{payment_method}")
        declined = card_declined(response)
        if declined is not None:
            return declined
        attached = stripe_object(response, "payment_method", MAYBE_KEPT)
        if attached.get("customer") != customer:
            raise GatewayError(f"Stripe did not attach the card to customer {safe(customer)}")
        return f"{customer}:{attached['id']}"

    def new_customer(self, key: str) -> str:
        """A new, empty Stripe Customer's id (created once per ``key``)."""
        form = [("description", CUSTOMER_DESCRIPTION)]
        return str(stripe_object(self._post("/v1/customers", form, key), "customer",
                                 MAYBE_KEPT)["id"])

    def set_up(self, form: list[tuple[str, str]], key: str) -> dict[str, Any]:
        """POST a SetupIntent (a card kept without a charge); the SetupIntent object."""
        return stripe_object(self._post("/v1/setup_intents", form, key), "setup_intent",
                             MAYBE_KEPT)

    def _post(self, path: str, form: list[tuple[str, str]], key: str) -> requests.Response:
        return post(self._session, self._api_base + path, form, key, MAYBE_KEPT,
                    timeout=SHORT_TIMEOUT)
