"""Authorize.Net as the payment gateway: keyed cards, NACHA TEL bank debits, customer profiles.

Cards keyed on the call are charged whole in one ``createTransactionRequest`` flagged as a
telephone order (``retail.marketType`` 1); bank accounts are debited as TEL entries and stay
``pending`` until :meth:`AuthorizeNetGateway.settlement` says they settled or came back.
Methods on file are customer profiles, kept as ``customerProfileId:paymentProfileId``.
The request shapes live in :mod:`.authorize_net_api`; the search behind
:meth:`~AuthorizeNetGateway.find_charge` in :mod:`.authorize_net_search`.

Authorize.Net has no idempotency keys. A charge carries a 20-character digest of ours as its
invoice number (and refId), the whole key in a user field, and a duplicate window: a resend
of the same request within it is refused as a duplicate (reason 11) naming the first
transaction, whose outcome is looked up and returned instead of a second charge.

Whether a failure charged: a connection never made did not (GatewayError); a read timeout,
a dropped connection, a 5xx, an unreadable answer, a transaction held for review, or an
answer with no transaction did or might have (GatewayOutcomeUnknown). ``ivr payments
reconcile`` then finds the transaction by its invoice number.

Twilio has no Authorize.Net Pay Connector (its branded ones are Stripe, Braintree,
CardConnect, Chase Paymentech, Base Commerce and Adyen). ``<Pay>`` can only hand us a
profile pair through a Generic Pay Connector endpoint the operator runs; any other token is
refused by :meth:`~AuthorizeNetGateway.accept_token`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ivr.config import Settings
from ivr.errors import ConfigError, GatewayError, GatewayOutcomeUnknown
from ivr.payments.gateways import authorize_net_api as api
from ivr.payments.gateways.authorize_net_search import MAYBE_CHARGED, Client, find_invoice
from ivr.payments.gateways.base import BANK, CARD, GatewayCharge, Settlement
from ivr.security.card_store import BankDetails, CardDetails

DEFAULT_API_BASE = api.PRODUCTION_BASE
# A method is saved without charging it ("a payment for later"): testMode checks the
# number's form and expiry without an authorisation, so the payer sees no hold and we pay
# no fee; liveMode's $0 authorisation would catch a dead card, but save_* has no decline.
VALIDATION_MODE = "testMode"
# ACH returns for insufficient funds, a closed or unknown account come within two banking
# days of settlement: a settled debit is reported settled once this has passed. Returns as
# unauthorised may come up to 60 days later: settlement keeps asking about settled debits
# (ivr.payments.settlement), and a return on one is reported whatever its status says.
RETURN_WINDOW = timedelta(days=5)
MAX_MATCHES = 5  # transactions looked at per invoice number when reconciling
# Accepting a <Pay> token asks for its payment profile inside a webhook turn: a short wait.
ACCEPT_TIMEOUT = (3.0, 4.0)
_TOKEN = re.compile(r"[0-9]+:[0-9]+")
_CREDENTIALS = ("IVR_AUTHORIZE_NET_LOGIN_ID", "IVR_AUTHORIZE_NET_TRANSACTION_KEY")


class AuthorizeNetGateway:
    """Charges keyed cards, debits bank accounts and keeps both as customer profiles."""

    name = "authorize-net"
    supports_bank = True
    supports_keypad_cards = True
    lookup_read_after_write = True  # assumed: no delay is documented for its lists (README)

    def __init__(self, login_id: str, transaction_key: str, api_base: str = DEFAULT_API_BASE,
                 clock: Callable[[], datetime] | None = None) -> None:
        """A gateway posting to ``api_base`` (the sandbox: :data:`api.SANDBOX_BASE`)."""
        self.api_base = api_base.rstrip("/")
        self._client = Client(self.api_base + api.API_PATH, login_id, transaction_key)
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"AuthorizeNetGateway(api_base={self.api_base!r})"  # never the credentials

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthorizeNetGateway:
        """Build from the login ID and transaction key (both required) and the API base."""
        login = settings.authorize_net_login_id.strip()
        key = settings.authorize_net_transaction_key.strip()
        missing = [name for name, value in zip(_CREDENTIALS, (login, key), strict=True)
                   if not value]
        if missing:
            raise ConfigError(f"{' and '.join(missing)} must be set when "
                              "IVR_PAYMENT_GATEWAY=authorize-net")
        if len(login) > 25 or len(key) > 16:  # the schema's limits
            raise ConfigError("IVR_AUTHORIZE_NET_LOGIN_ID (at most 25 characters) or "
                              "IVR_AUTHORIZE_NET_TRANSACTION_KEY (at most 16) is too long")
        return cls(login, key, settings.authorize_net_api_base or DEFAULT_API_BASE)

    def charge_card(self, card: CardDetails, amount_cents: int, idempotency_key: str,
                    description: str) -> GatewayCharge:
        """Charge a keyed card as a telephone order, its ZIP sent for address verification."""
        _check(amount_cents, idempotency_key)
        if not card.complete:
            raise GatewayError("the card is not completely keyed; nothing was sent")
        request = api.transaction(idempotency_key, amount_cents, description,
                                  payment=api.card_payment(card), zip_code=card.postal_code,
                                  moto=True)
        return self._transact(request, idempotency_key, CARD, keyed=True)

    def debit_bank(self, bank: BankDetails, amount_cents: int, idempotency_key: str,
                   description: str) -> GatewayCharge:
        """Submit a TEL debit of a keyed account: approved means pending until it settles."""
        _check(amount_cents, idempotency_key)
        request = api.transaction(idempotency_key, amount_cents, description,
                                  payment=api.bank_payment(bank))
        return self._transact(request, idempotency_key, BANK, keyed=True)

    def charge_saved(self, kind: str, token: str, amount_cents: int, idempotency_key: str,
                     description: str) -> GatewayCharge:
        """Charge a customer profile's card, or debit its account (pending until settled).

        No market type is sent: nobody keys a method on file, and the payer may not be on
        the line (scheduled payments, AutoPay). The token was checked when it was accepted.
        """
        _check(amount_cents, idempotency_key)
        _check_kind(kind)
        request = api.transaction(idempotency_key, amount_cents, description,
                                  profile=api.saved_profile(_profile_pair(token)))
        return self._transact(request, idempotency_key, kind, keyed=False)

    def keep(self, kind: str, reusable: str) -> str:
        """A profile made from an approved transaction (its transId) with what it charged."""
        _check_kind(kind)
        if not reusable.isdigit():
            raise GatewayError("not an Authorize.Net transaction ID")
        return self._profile("createCustomerProfileFromTransactionRequest", transId=reusable,
                             customer={"merchantCustomerId": _new_reference()})

    def save_card(self, card: CardDetails) -> str:
        """A profile holding a keyed card, checked in form only (see VALIDATION_MODE)."""
        if not card.complete:
            raise GatewayError("the card is not completely keyed; nothing was sent")
        profile = api.new_profile(_new_reference(), api.card_payment(card), card.postal_code)
        return self._profile("createCustomerProfileRequest", profile=profile,
                             validationMode=VALIDATION_MODE)

    def save_bank(self, bank: BankDetails) -> str:
        """A profile holding a keyed bank account, to be debited as TEL entries later."""
        profile = api.new_profile(_new_reference(), api.bank_payment(bank))
        return self._profile("createCustomerProfileRequest", profile=profile,
                             validationMode=VALIDATION_MODE)

    def accept_token(self, kind: str, token: str) -> str:
        """A ``customerProfileId:paymentProfileId`` pair whose payment profile holds a
        ``kind`` ("card": a creditCard, "bank": a bankAccount), as it is; anything else
        refused, so a card is never debited as a bank account without its TEL authorisation,
        nor the reverse. One getCustomerPaymentProfileRequest, within :data:`ACCEPT_TIMEOUT`:
        it runs inside a Twilio webhook turn (15 s in all).
        """
        _check_kind(kind)
        customer, payment = _profile_pair(token).split(":")
        answer = self._client.lookup("getCustomerPaymentProfileRequest", ACCEPT_TIMEOUT,
                                     customerProfileId=customer,
                                     customerPaymentProfileId=payment)
        held = api.profile_kind(answer)
        if held != kind:
            raise GatewayError(f"the payment profile holds {held or 'no'} payment method, "
                               f"not a {kind}")
        return token

    def settlement(self, reference: str) -> Settlement:
        """Where a debit stands, from its transaction details.

        Returned (with its ACH code) once it has a return: ``returnedItems`` (or
        ``hasReturnedItems``) is read whatever the transactionStatus says, as the schema
        carries returns apart from it. Settled only :data:`RETURN_WINDOW` after its batch
        settled; a debit that never went out (declined, voided, failed review or settlement)
        is returned, so its amount is given back.
        """
        details = self._client.details(reference)
        status = details.get("transactionStatus")
        if status == "returnedItem" or api.has_returns(details):
            return Settlement("returned", api.return_code(details))
        if status == "chargeback":
            return Settlement("returned", "chargeback")
        if status in api.NOT_TAKEN:
            return Settlement("returned", api.safe(status))
        if status == "settledSuccessfully" and self._past_returns(details):
            return Settlement("settled")
        return Settlement("pending")

    def find_charge(self, idempotency_key: str,
                    since: datetime | None = None) -> GatewayCharge | None:
        """The transaction with this key's invoice number, as a charge; None if there is none.

        An approved one wins over others with the same invoice. Raises GatewayOutcomeUnknown
        while one is held for review or the search could not see far enough (ChargeOutOfSight
        when the payment, sent ``since``, is older than its lists reach).
        """
        found: GatewayCharge | None = None
        for trans_id in find_invoice(self._client, api.invoice(idempotency_key),
                                     self._clock(), since)[:MAX_MATCHES]:
            charge = api.charge_of(self._client.details(trans_id))
            if charge.approved:
                return charge
            found = found or charge
        return found

    def _transact(self, request: api.Json, key: str, kind: str, keyed: bool) -> GatewayCharge:
        """Send one createTransactionRequest and map its answer."""
        body = self._client.call("createTransactionRequest", money=True, refId=api.invoice(key),
                                 transactionRequest=request)
        response = body.get("transactionResponse")
        if isinstance(response, dict) and response.get("responseCode"):
            return self._answer(response, key, kind, keyed)
        result, codes = api.result(body)
        detail = ",".join(codes) or "-"
        if result == "Ok" or "E00001" in codes:  # E00001: a system error, outcome unknown
            raise GatewayOutcomeUnknown(f"Authorize.Net answered without a transaction "
                                        f"({detail}); {MAYBE_CHARGED}")
        raise GatewayError(f"Authorize.Net refused the transaction ({detail})")

    def _answer(self, response: Mapping[str, Any], key: str, kind: str,
                keyed: bool) -> GatewayCharge:
        """A transactionResponse: approved, declined, a duplicate, or not known yet."""
        code, why = str(response["responseCode"]), api.reason(response)
        reference = api.trans_id(response)
        if code == api.ERROR and why == api.DUPLICATE:
            return self._original(reference, key, keyed)
        if code == api.APPROVED and reference:
            return GatewayCharge(approved=True, reference=reference, pending=kind == BANK,
                                 reusable=reference if keyed else "")
        if code in (api.DECLINED, api.ERROR) and why not in api.MAYBE_CHARGED:
            return GatewayCharge(approved=False, reference=reference,
                                 decline_reason=api.decline_reason(code, why))
        # Held for review (4), approved with no transaction ID (a test-mode account), or an
        # error whose system void failed: it may yet take the money.
        raise GatewayOutcomeUnknown(f"Authorize.Net answered response code {api.safe(code)} "
                                    f"reason {why} for transaction {reference or '-'}; "
                                    f"{MAYBE_CHARGED}")

    def _original(self, reference: str, key: str, keyed: bool) -> GatewayCharge:
        """The first answer to a request resent within the duplicate window.

        There was a first request, so failing to learn its answer is an unknown outcome,
        never a plain error (which would say nothing was charged).
        """
        try:
            details = self._client.details(reference) if reference else None
            if details is not None and api.invoice_of(details) == api.invoice(key):
                charge: GatewayCharge | None = api.charge_of(details)
            else:
                charge = self.find_charge(key)
        except GatewayOutcomeUnknown:
            raise
        except GatewayError as error:
            raise GatewayOutcomeUnknown(f"Authorize.Net refused a duplicate and its original "
                                        f"could not be read ({error})") from None
        if charge is None:
            raise GatewayOutcomeUnknown("Authorize.Net refused a duplicate but its original "
                                        f"was not found; {MAYBE_CHARGED}")
        return replace(charge, reusable=charge.reference if keyed and charge.approved else "")

    def _profile(self, request: str, **fields: Any) -> str:
        """Create a customer profile; its token ``customerProfileId:paymentProfileId``."""
        body = self._client.call(request, money=False, **fields)
        result, codes = api.result(body)
        payment_ids = body.get("customerPaymentProfileIdList")
        customer = str(body.get("customerProfileId") or "")
        if result != "Ok" or not customer or not isinstance(payment_ids, list) \
                or not payment_ids:
            raise GatewayError(f"Authorize.Net did not create the profile "
                               f"({','.join(codes) or '-'})")
        return f"{customer}:{payment_ids[0]}"

    def _past_returns(self, details: Mapping[str, Any]) -> bool:
        """Whether the debit's batch settled more than RETURN_WINDOW ago."""
        settled = api.settled_at(details)
        return settled is not None and self._clock() - settled >= RETURN_WINDOW


def _check(amount_cents: int, idempotency_key: str) -> None:
    """Refuse, before sending anything, a charge that cannot be right."""
    if amount_cents <= 0:
        raise GatewayError("amount must be a positive number of cents")
    if not idempotency_key:
        raise GatewayError("an idempotency key is required")


def _profile_pair(token: str) -> str:
    """A ``customerProfileId:paymentProfileId`` token, as it is; anything else refused."""
    if _TOKEN.fullmatch(token or "") is None:
        raise GatewayError("not an Authorize.Net payment profile token (expected "
                           "customerProfileId:paymentProfileId)")
    return token


def _check_kind(kind: str) -> None:
    """Refuse a kind of method other than a card or a bank account."""
    if kind not in (CARD, BANK):
        raise GatewayError(f"kind must be {CARD!r} or {BANK!r}")


def _new_reference() -> str:
    """A fresh merchantCustomerId (20 characters): profiles with equal ones are refused."""
    return secrets.token_hex(10)
