"""Authorize.Net's JSON API: the requests we send and what its answers mean, no HTTP.

Every request is one JSON object posted to ``/xml/v1/request.api``. Authorize.Net converts it
to XML and validates it against its schema (AnetApiSchema.xsd), where each type is an
``xs:sequence``: elements out of order are refused (E00003). So every builder here writes its
keys in the schema's order, and Python's dicts keep that order on the wire. Answers begin
with a UTF-8 byte order mark, and their lists come as plain JSON arrays.

Nothing here puts a card or account number anywhere but the request body; the gateway never
logs bodies, and error messages carry only Authorize.Net's codes, never its texts (a schema
error's text can echo the value it refused).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flows.ports import DeclineReason
from ivr.errors import GatewayOutcomeUnknown
from ivr.payments.gateways.base import GatewayCharge
from ivr.security.card_store import BankDetails, CardDetails

API_PATH = "/xml/v1/request.api"
PRODUCTION_BASE = "https://api.authorize.net"
SANDBOX_BASE = "https://apitest.authorize.net"

Json = dict[str, Any]

# The duplicate window, in seconds (transactionSettings "duplicateWindow", 0 to 28800):
# within it Authorize.Net refuses a transaction with the same card or account, amount,
# invoice number and type as an earlier one (response code 3, reason 11), and - because we
# send the setting - returns the first one's transaction ID. Our invoice number is a digest
# of the idempotency key, so only a resend of the same request can match, and any resend
# gets the first answer instead of a second charge. Payments never send a key once it is
# two minutes old; the documented maximum (8 hours) also covers an operator's resend.
DUPLICATE_WINDOW = 28800
MOTO = "1"  # retail.marketType: 0 e-commerce, 1 mail/telephone order, 2 retail
# orderType.invoiceNumber and the request's refId are at most 20 characters; our keys run to
# 128. Both carry a digest of the key: the invoice number is kept with the transaction (the
# lists reconcile searches show it, and the duplicate check compares it), while refId is
# only echoed in the answer. The whole key goes in a user field (merchant-defined name and
# value, up to 20 per transaction), shown in the Merchant Interface for an operator.
INVOICE_LENGTH = 20
NAME_LENGTH = 22  # bankAccountType.nameOnAccount
# The schema requires nameOnAccount: the line sends the bill account's name; without one (a
# caller cannot key a name), this. NACHA lets the receiving bank post by account number alone.
UNNAMED = "ACCOUNT HOLDER"
KEY_FIELD = "idempotency_key"  # the userField carrying our whole key

APPROVED, DECLINED, ERROR, HELD = "1", "2", "3", "4"  # transactionResponse.responseCode
DUPLICATE = "11"
# Reason codes whose note says a system void of the original failed: it may stand.
MAYBE_CHARGED = frozenset({"120", "121", "122", "181"})
_CVC = ("44", "45", "65", "78", "165")  # card code mismatch (45: with AVS), or malformed
_RETRY = ("19", "20", "21", "22", "23", "25", "26", "35", "57", "58", "59", "60", "61", "62",
          "63", "152", "180", "192")  # "An error occurred during processing"
# Keyed wrong or not accepted here (response code 3 like a retry, but a retry cannot help).
_INVALID = ("6", "7", "9", "10", "17", "28", "37")
REASONS: dict[str, DeclineReason] = {"8": DeclineReason.EXPIRED_CARD,
                                     **dict.fromkeys(_CVC, DeclineReason.INCORRECT_CVC),
                                     **dict.fromkeys(_RETRY, DeclineReason.PROCESSING_ERROR),
                                     **dict.fromkeys(_INVALID, DeclineReason.DECLINED)}
# ACH return reason codes -> the return codes the line texts payers about.
RETURNS = {"R01": "insufficient_funds", "R09": "insufficient_funds",
           "R02": "account_closed", "R03": "no_account", "R04": "no_account",
           **dict.fromkeys(("R05", "R07", "R08", "R10", "R11", "R29"), "debit_not_authorized")}
# transactionStatus values (Transaction Details API) by what they mean for one charge.
TAKEN = frozenset({"capturedPendingSettlement", "settledSuccessfully", "approvedReview",
                   "pendingSettlement", "pendingFinalSettlement", "returnedItem",
                   "chargeback", "chargebackReversal"})
NOT_TAKEN = frozenset({"declined", "voided", "expired", "failedReview", "generalError",
                       "communicationError", "settlementError"})
_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def amount(cents: int) -> str:
    """Dollars with two decimals from whole cents, without floats: 4550 -> "45.50"."""
    return f"{cents // 100}.{cents % 100:02d}"


def expiration(mmyy: str) -> str:
    """The card's expiry as Authorize.Net's YYYY-MM, from the MMYY keyed on the call."""
    return f"20{mmyy[2:]}-{mmyy[:2]}"


def invoice(key: str) -> str:
    """A stable 20-character digest of an idempotency key (which may be 128 long)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:INVOICE_LENGTH].upper()


def safe(value: Any) -> str:
    """An Authorize.Net code or ID fit for a log line or an error; never free text."""
    return _SAFE.sub("", str(value))[:40] if value not in (None, "") else "-"


def envelope(name: str, login: str, key: str, **fields: Any) -> Json:
    """The request ``name`` with its credentials first, then ``fields`` in the given order."""
    return {name: {"merchantAuthentication": {"name": login, "transactionKey": key},
                   **{field: value for field, value in fields.items() if value is not None}}}


def card_payment(card: CardDetails) -> Json:
    """paymentType with a creditCard (cardNumber, expirationDate, cardCode)."""
    return {"creditCard": {"cardNumber": card.number,
                           "expirationDate": expiration(card.expiry_mmyy),
                           "cardCode": card.security_code}}


def bank_payment(bank: BankDetails) -> Json:
    """paymentType with a bankAccount debited as a NACHA TEL entry (authorised by phone)."""
    return {"bankAccount": {"accountType": bank.account_type,
                            "routingNumber": bank.routing,
                            "accountNumber": bank.account_number,
                            "nameOnAccount": (bank.holder_name or UNNAMED)[:NAME_LENGTH],
                            "echeckType": "TEL"}}


def transaction(key: str, cents: int, description: str, *, payment: Json | None = None,
                profile: Json | None = None, zip_code: str = "", moto: bool = False) -> Json:
    """transactionRequestType for authCaptureTransaction, in the schema's element order."""
    request: Json = {"transactionType": "authCaptureTransaction", "amount": amount(cents)}
    if payment is not None:
        request["payment"] = payment
    if profile is not None:
        request["profile"] = profile
    request["order"] = {"invoiceNumber": invoice(key), "description": description[:255]}
    if zip_code:
        request["billTo"] = {"zip": zip_code}
    if moto:
        request["retail"] = {"marketType": MOTO}
    request["transactionSettings"] = {"setting": [
        {"settingName": "duplicateWindow", "settingValue": str(DUPLICATE_WINDOW)}]}
    request["userFields"] = {"userField": [{"name": KEY_FIELD, "value": key}]}
    return request


def saved_profile(token: str) -> Json:
    """customerProfilePaymentType for a token ``customerProfileId:paymentProfileId``."""
    customer, payment = token.split(":")
    return {"customerProfileId": customer, "paymentProfile": {"paymentProfileId": payment}}


def new_profile(reference: str, payment: Json, zip_code: str = "") -> Json:
    """customerProfileType with one payment profile; ``reference`` makes it unique."""
    payment_profile: Json = {"customerType": "individual"}
    if zip_code:
        payment_profile["billTo"] = {"zip": zip_code}
    payment_profile["payment"] = payment
    return {"merchantCustomerId": reference, "description": "kept by the phone payment line",
            "paymentProfiles": payment_profile}


def parse(content: bytes) -> Json | None:
    """An answer's JSON object (after its byte order mark), or None if it is not one."""
    try:
        body = json.loads(content.decode("utf-8-sig"))
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def result(body: Mapping[str, Any]) -> tuple[str, list[str]]:
    """messages.resultCode ("Ok" or "Error") and the message codes, made safe to log."""
    messages = body.get("messages")
    if not isinstance(messages, dict):
        return "", []
    codes = [safe(item.get("code")) for item in messages.get("message") or []
             if isinstance(item, dict)]
    return str(messages.get("resultCode") or ""), codes


def reason(response: Mapping[str, Any]) -> str:
    """The response reason code of a transactionResponse: its first error, or message."""
    for field, code in (("errors", "errorCode"), ("messages", "code")):
        items = response.get(field)
        if isinstance(items, list) and items and isinstance(items[0], dict):
            return safe(items[0].get(code))
    return "-"


def decline_reason(response_code: str, reason_code: str) -> DeclineReason:
    """What the caller is told: a card code or expiry problem, a retry, or a plain decline.

    Authorize.Net gives no reason code of its own for insufficient funds on a card (the
    issuer's decline is reason 2), so that is a plain decline here.
    """
    default = DeclineReason.PROCESSING_ERROR if response_code == ERROR else DeclineReason.DECLINED
    return REASONS.get(reason_code, default)


def items(value: Any) -> list[Json]:
    """A list from an answer, keeping only objects. Arrays come as JSON arrays; an array
    still wrapped in its element (``{"transaction": [...]}``) or one bare object is read too."""
    if isinstance(value, dict) and len(value) == 1 \
            and isinstance(next(iter(value.values())), list | dict):
        value = next(iter(value.values()))
    if isinstance(value, dict):
        value = [value]
    return [item for item in value or [] if isinstance(item, dict)] \
        if isinstance(value, list) else []


def trans_id(response: Mapping[str, Any]) -> str:
    """The transaction ID, or "" when there is none (Authorize.Net sends "0")."""
    found = str(response.get("transId") or "")
    return found if found.isdigit() and found.strip("0") else ""


def invoice_of(transaction_details: Mapping[str, Any]) -> str:
    """The invoice number a transaction was sent with ("" without one)."""
    order = transaction_details.get("order")
    return str(order.get("invoiceNumber") or "") if isinstance(order, dict) else ""


def return_code(transaction_details: Mapping[str, Any]) -> str | None:
    """The latest ACH return of a returned debit, as one of our return codes (or raw)."""
    returned = items(transaction_details.get("returnedItems"))
    if not returned:
        return None
    code = safe(returned[-1].get("code"))
    return RETURNS.get(code, code)


def has_returns(transaction_details: Mapping[str, Any]) -> bool:
    """Whether a transaction (details or list summary) has an ACH return on it: details
    carry ``returnedItems``, list summaries ``hasReturnedItems``."""
    return bool(items(transaction_details.get("returnedItems"))) or \
        transaction_details.get("hasReturnedItems") is True


def is_bank(transaction_details: Mapping[str, Any]) -> bool:
    """Whether a transaction (details or list summary) debited a bank account."""
    payment = transaction_details.get("payment")
    return (isinstance(payment, dict) and "bankAccount" in payment) or \
        transaction_details.get("accountType") == "eCheck"


def settled_at(transaction_details: Mapping[str, Any]) -> datetime | None:
    """When a transaction's batch settled (else when it was submitted), or None if unreadable."""
    batch = transaction_details.get("batch")
    when = batch.get("settlementTimeUTC") if isinstance(batch, dict) else None
    try:
        moment = datetime.fromisoformat(str(when or transaction_details.get("submitTimeUTC")))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def profile_kind(answer: Mapping[str, Any]) -> str:
    """What a getCustomerPaymentProfileResponse's profile holds: "card" (a creditCard),
    "bank" (a bankAccount), or "" (neither, or no profile)."""
    profile = answer.get("paymentProfile")
    payment = profile.get("payment") if isinstance(profile, dict) else None
    if not isinstance(payment, dict):
        return ""
    return "card" if "creditCard" in payment else "bank" if "bankAccount" in payment else ""


def charge_of(details: Mapping[str, Any]) -> GatewayCharge:
    """A transaction's details as a charge; GatewayOutcomeUnknown while it is undecided."""
    status, reference = details.get("transactionStatus"), trans_id(details)
    if status in TAKEN:
        return GatewayCharge(approved=True, reference=reference, pending=is_bank(details))
    if status in NOT_TAKEN:
        reason = decline_reason(safe(details.get("responseCode")),
                                safe(details.get("responseReasonCode")))
        return GatewayCharge(approved=False, reference=reference, decline_reason=reason)
    raise GatewayOutcomeUnknown(f"Authorize.Net transaction {reference or '-'} is "
                                f"{safe(status)}; reconcile again later")
