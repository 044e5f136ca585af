"""A stand-in for Authorize.Net's JSON API: transactions, their details and lists, profiles.

It answers as the API reference describes (JSON after a byte order mark, lists as arrays,
each request's elements in the schema's order or E00003), keeping every transaction:

- ``createTransactionRequest`` (``authCaptureTransaction``) with ``creditCard``,
  ``bankAccount`` (eCheck) or ``profile``. A resend within the duplicate window (the same
  card or account, amount, invoice number and type; 120 s unless ``duplicateWindow`` says)
  is refused as response code 3, reason 11, naming the first transaction.
- Declines as Authorize.Net's testing guide triggers them: ZIP 46282 is a general decline
  (2, reason 2); card code 901 does not match, which this merchant's card code filter
  declines (2, reason 65); an expiry before today is reason 8 (response code 3); and the
  error-generation card 4222222222222 answers the reason code equal to the amount in
  dollars (19 is "An error occurred during processing", response code 3). Refusals of what
  was keyed (reasons 6 to 9: number, expiry, routing number) are taken to make no
  transaction (ID "0"); the rest are kept, as declined or general errors.
- ``getTransactionDetailsRequest``, ``getUnsettledTransactionListRequest``,
  ``getSettledBatchListRequest``, ``getTransactionListRequest`` (sorted, paged).
- ``createCustomerProfileFromTransactionRequest``, ``createCustomerProfileRequest`` and
  ``getCustomerPaymentProfileRequest`` (the profile's payment, masked).
- Each ``payment`` (a ``creditCard`` or ``bankAccount``) is checked against the schema's
  types (:mod:`.authorize_net_schema`): what it refuses is E00003, and no transaction.
- :meth:`AuthorizeNetStandIn.settle` closes a batch: charges settle; an eCheck debit of an
  account in :data:`RETURNS` comes back with that NACHA return code. A debit of an account
  in :data:`LATE_RETURNS` settles, then comes back :data:`LATE_AFTER` after its batch (an
  unauthorised debit may be returned up to 60 days after settlement); a test can also put a
  return on any transaction at any time. (Authorize.Net's own sandbox never returns a
  debit; these are the sandbox gateway's test accounts, so both gateways answer alike for
  the same keyed account.)

Faults (:attr:`AuthorizeNetStandIn.fault`): ``lost-reply`` carries out a request that writes
(a transaction, a profile), then raises ``requests.exceptions.ReadTimeout``; ``down`` raises
``ConnectTimeout`` before anything.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
import requests_mock as rm

from ivr.security.card_store import CardDetails
from tests.authorize_net_helpers import LOGIN, NO_RECORDS, OK, SECRET, UNSUCCESSFUL, URL, wire
from tests.gateway_standins.authorize_net_schema import E00003, payment_fault

Json = dict[str, Any]

GENERAL_DECLINE_ZIP = "46282"
CARD_CODE_MISMATCH = "901"
ERROR_CARD = "4222222222222"
# NACHA returns for the sandbox gateway's test accounts (routing 110000000).
RETURNS = {"000222222227": "R01", "000111111113": "R02", "000111111116": "R03",
           "000333333335": "R10"}
# ... and the one that settles first, then comes back (the sandbox's SANDBOX_LATE_RETURN).
LATE_RETURNS = {"000555555559": "R10"}
LATE_AFTER = timedelta(days=10)
_RETURN_TEXT = {"R01": "Insufficient Funds", "R02": "Account Closed",
                "R03": "No Account/Unable to Locate Account", "R10": "Customer Advises Not "
                "Authorized"}
# The response code of each reason code the stand-in answers (from the reason code list).
_CODE_OF = {"1": "1", "2": "2", "3": "2", "4": "2", "27": "2", "44": "2", "45": "2", "65": "2",
            **dict.fromkeys(("6", "7", "8", "9", "11", "19", "20", "21", "22", "23", "57"),
                            "3")}
_TEXT = {"1": "This transaction has been approved.", "8": "The credit card has expired.",
         "9": "The ABA code is invalid", "11": "A duplicate transaction has been submitted.",
         "19": "An error occurred during processing. Please try again in 5 minutes."}
_NOT_RECORDED = {"6", "7", "8", "9"}  # refused on sight: no transaction is made
# Each request's elements in the schema's order (AnetApiSchema.xsd, xs:sequence).
_ORDER = {
    "createTransactionRequest": ["merchantAuthentication", "refId", "transactionRequest"],
    "getTransactionDetailsRequest": ["merchantAuthentication", "refId", "transId"],
    "getUnsettledTransactionListRequest": ["merchantAuthentication", "refId", "status",
                                           "sorting", "paging"],
    "getSettledBatchListRequest": ["merchantAuthentication", "refId", "includeStatistics",
                                   "firstSettlementDate", "lastSettlementDate"],
    "getTransactionListRequest": ["merchantAuthentication", "refId", "batchId", "sorting",
                                  "paging"],
    "createCustomerProfileRequest": ["merchantAuthentication", "refId", "profile",
                                     "validationMode"],
    "createCustomerProfileFromTransactionRequest": [
        "merchantAuthentication", "refId", "transId", "customer", "customerProfileId",
        "defaultPaymentProfile", "defaultShippingAddress", "profileType"],
    "getCustomerPaymentProfileRequest": ["merchantAuthentication", "refId", "customerProfileId",
                                         "customerPaymentProfileId", "unmaskExpirationDate",
                                         "includeIssuerInfo"],
}
_TRANSACTION_ORDER = ["transactionType", "amount", "currencyCode", "payment", "profile",
                      "solution", "terminalNumber", "authCode", "refTransId", "splitTenderId",
                      "order", "lineItems", "tax", "duty", "shipping", "taxExempt",
                      "poNumber", "customer", "billTo", "shipTo", "customerIP",
                      "cardholderAuthentication", "retail", "employeeId",
                      "transactionSettings", "userFields"]
_WRITES = {"createTransactionRequest", "createCustomerProfileRequest",
           "createCustomerProfileFromTransactionRequest"}


class Refused(Exception):
    """A request refused as a whole (no transaction): its message code and text."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.body: Json = {"messages": {"resultCode": "Error",
                                        "message": [{"code": code, "text": text}]}}


@dataclass
class Method:
    """A card or bank account as Authorize.Net keeps it, with the billing ZIP sent."""

    payment: Json  # {"creditCard": {...}} or {"bankAccount": {...}}, as sent
    zip_code: str = ""

    @property
    def bank(self) -> bool:
        """Whether it is a bank account (eCheck)."""
        return "bankAccount" in self.payment

    @property
    def number(self) -> str:
        """The card or account number."""
        if self.bank:
            return str(self.payment["bankAccount"]["accountNumber"])
        return str(self.payment["creditCard"]["cardNumber"])

    def masked(self) -> Json:
        """The payment as the Transaction Details API shows it: last four only."""
        if self.bank:
            account = self.payment["bankAccount"]
            return {"bankAccount": {"routingNumber": "XXXX" + account["routingNumber"][-4:],
                                    "accountNumber": "XXXX" + self.number[-4:],
                                    "nameOnAccount": account.get("nameOnAccount", ""),
                                    "echeckType": account.get("echeckType", "WEB")}}
        return {"creditCard": {"cardNumber": "XXXX" + self.number[-4:],
                               "expirationDate": "XXXX", "cardType": "Visa"}}


@dataclass
class Transaction:
    """One transaction as the gateway keeps it."""

    trans_id: str
    request: Json
    method: Method
    cents: int
    code: str
    reason: str
    submitted: datetime
    profile: tuple[str, str] | None = None
    status: str = ""
    batch: Json | None = None
    returns: list[Json] = field(default_factory=list)

    @property
    def invoice(self) -> str:
        """The invoice number it was sent with."""
        return str(self.request.get("order", {}).get("invoiceNumber", ""))


@dataclass
class AuthorizeNetStandIn:
    """Authorize.Net, for one merchant: its transactions, batches and customer profiles."""

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    url: str = URL
    login: str = LOGIN
    transaction_key: str = SECRET
    fault: str = ""  # "" | "lost-reply" | "down"
    transactions: dict[str, Transaction] = field(default_factory=dict)
    profiles: dict[str, dict[str, Method]] = field(default_factory=dict)
    seen: list[tuple[str, Json]] = field(default_factory=list)
    _references: set[str] = field(default_factory=set)  # merchantCustomerIds taken
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def install(self, mocker: rm.Mocker) -> AuthorizeNetStandIn:
        """Answer every request posted to :attr:`url` on ``mocker``."""
        mocker.post(self.url, content=self._answer)
        return self

    # --- what a test reads back or does ------------------------------------------------

    def charged(self, invoice: str) -> list[Transaction]:
        """The transactions made with this invoice number."""
        return [t for t in self.transactions.values() if t.invoice == invoice]

    def lookups(self) -> list[tuple[str, Json]]:
        """Requests that carry no card or account by design (all but charges and saves)."""
        return [(name, body) for name, body in self.seen
                if name not in ("createTransactionRequest", "createCustomerProfileRequest")]

    def mint_profile(self, card: CardDetails) -> str:
        """A customer profile holding ``card``, made outside the line (as an operator's
        Generic Pay Connector would for ``<Pay>``): ``customerProfileId:paymentProfileId``."""
        payment = {"creditCard": {"cardNumber": card.number,
                                  "expirationDate": f"20{card.expiry_mmyy[2:]}-"
                                                    f"{card.expiry_mmyy[:2]}",
                                  "cardCode": card.security_code}}
        made = self._profile("", [Method(payment, card.postal_code)])
        return f"{made['customerProfileId']}:{made['customerPaymentProfileIdList'][0]}"

    def settle(self) -> None:
        """Close a batch now: every transaction not yet in one goes in (per payment type)."""
        now = self.clock()
        for bank in (False, True):
            batch = {"batchId": str(7_000_000 + next(self._serial)),
                     "settlementTimeUTC": _utc(now), "settlementTimeLocal": _local(now),
                     "settlementState": "settledSuccessfully",
                     "paymentMethod": "eCheck" if bank else "creditCard",
                     "marketType": "eCommerce", "product": "Card Not Present"}
            for txn in self.transactions.values():
                if txn.batch is None and txn.method.bank == bank:
                    txn.batch = batch
                    _settled(txn, now)

    def _return_late(self) -> None:
        """Put their return on settled debits of LATE_RETURNS accounts whose time has come."""
        now = self.clock()
        for txn in self.transactions.values():
            code = LATE_RETURNS.get(txn.method.number) if txn.method.bank else None
            if code is None or txn.batch is None or txn.returns \
                    or txn.status != "settledSuccessfully":
                continue
            when = datetime.fromisoformat(txn.batch["settlementTimeUTC"]) + LATE_AFTER
            if now >= when:
                txn.status = "returnedItem"
                txn.returns = [_returned(txn, code, when)]

    # --- the endpoint ------------------------------------------------------------------

    def _answer(self, request: Any, context: Any) -> bytes:
        if self.fault == "down":
            raise requests.exceptions.ConnectTimeout("stand-in: connection refused")
        [(name, fields)] = json.loads(request.body).items()
        self.seen.append((name, fields))
        self._return_late()
        try:
            _in_order(list(fields), _ORDER.get(name, []), name)
            auth = fields.get("merchantAuthentication", {})
            if (auth.get("name"), auth.get("transactionKey")) != (self.login,
                                                                  self.transaction_key):
                raise Refused("E00007", "User authentication failed due to invalid "
                                        "authentication values.")
            body = self._handle(name, fields)
        except Refused as refused:
            body = refused.body
        if self.fault == "lost-reply" and name in _WRITES:
            raise requests.exceptions.ReadTimeout("stand-in: the answer was lost")
        return wire(body)

    def _handle(self, name: str, fields: Json) -> Json:
        handlers: dict[str, Callable[[Json], Json]] = {
            "createTransactionRequest": self._transact,
            "getTransactionDetailsRequest": self._details,
            "getUnsettledTransactionListRequest": self._unsettled,
            "getSettledBatchListRequest": self._batches,
            "getTransactionListRequest": self._batch_list,
            "createCustomerProfileRequest": self._new_profile,
            "createCustomerProfileFromTransactionRequest": self._profile_from,
            "getCustomerPaymentProfileRequest": self._payment_profile,
        }
        if name not in handlers:
            raise Refused("E00004", "The name of the requested API method is invalid.")
        return handlers[name](fields)

    # --- transactions ------------------------------------------------------------------

    def _transact(self, fields: Json) -> Json:
        request = fields["transactionRequest"]
        _in_order(list(request), _TRANSACTION_ORDER, "transactionRequest")
        _check_payment(request.get("payment"))
        if request.get("transactionType") != "authCaptureTransaction":
            raise Refused("E00003", "The stand-in takes authCaptureTransaction only.")
        cents = int(Decimal(request["amount"]) * 100)
        method, profile = self._method_of(request)
        ref_id = fields.get("refId")
        original = self._duplicate(request, method, cents)
        if original is not None:
            return _response(original, ref_id, "3", "11")
        code, reason = self._decide(method, cents)
        txn = Transaction("0", request, method, cents, code, reason, self.clock(), profile)
        if reason not in _NOT_RECORDED:
            txn.trans_id = str(60_000_000_000 + next(self._serial))
            txn.status = {"1": "capturedPendingSettlement", "2": "declined"}.get(
                code, "generalError")
            self.transactions[txn.trans_id] = txn
        return _response(txn, ref_id, code, reason)

    def _method_of(self, request: Json) -> tuple[Method, tuple[str, str] | None]:
        zip_code = str(request.get("billTo", {}).get("zip", ""))
        if "payment" in request:
            return Method(request["payment"], zip_code), None
        profile = request.get("profile", {})
        customer = str(profile.get("customerProfileId", ""))
        payment = str(profile.get("paymentProfile", {}).get("paymentProfileId", ""))
        methods = self.profiles.get(customer, {})
        if payment not in methods:
            raise Refused("E00040", "Customer Profile ID or Customer Payment Profile ID not "
                                    "found.")
        return methods[payment], (customer, payment)

    def _duplicate(self, request: Json, method: Method, cents: int) -> Transaction | None:
        """The earlier transaction this one repeats within the duplicate window, if any."""
        settings = request.get("transactionSettings", {}).get("setting", [])
        window = next((int(item["settingValue"]) for item in settings
                       if item.get("settingName") == "duplicateWindow"), 120)
        since = self.clock() - timedelta(seconds=window)
        invoice = str(request.get("order", {}).get("invoiceNumber", ""))
        return next((txn for txn in reversed(self.transactions.values())
                     if txn.submitted >= since and txn.invoice == invoice
                     and txn.cents == cents and txn.method.number == method.number), None)

    def _decide(self, method: Method, cents: int) -> tuple[str, str]:
        """(response code, reason code) for a new transaction, by the testing guide."""
        if method.bank:
            routing = method.payment["bankAccount"]["routingNumber"]
            return ("1", "1") if _aba_valid(routing) else ("3", "9")
        card = method.payment["creditCard"]
        if card["cardNumber"] == ERROR_CARD:
            reason = str(cents // 100)
            return _CODE_OF.get(reason, "3"), reason
        year, month = (int(part) for part in card["expirationDate"].split("-"))
        now = self.clock()
        if (year, month) < (now.year, now.month):
            return "3", "8"
        if method.zip_code == GENERAL_DECLINE_ZIP:
            return "2", "2"
        if card.get("cardCode") == CARD_CODE_MISMATCH:
            return "2", "65"
        return "1", "1"

    def _details(self, fields: Json) -> Json:
        txn = self.transactions.get(str(fields.get("transId")))
        if txn is None:
            raise Refused("E00040", "The record cannot be found.")
        return {"transaction": _details(txn), "messages": OK}

    # --- lists -------------------------------------------------------------------------

    def _unsettled(self, fields: Json) -> Json:
        held = fields.get("status") == "pendingApproval"  # none is held for review here
        rows = [] if held else [txn for txn in self.transactions.values() if txn.batch is None]
        return _listed(rows, fields)

    def _batches(self, fields: Json) -> Json:
        first, last = (datetime.fromisoformat(fields[name]) for name in
                       ("firstSettlementDate", "lastSettlementDate"))
        found: dict[str, Json] = {}
        for txn in self.transactions.values():
            if txn.batch is not None and first <= datetime.fromisoformat(
                    txn.batch["settlementTimeUTC"]) <= last:
                found[txn.batch["batchId"]] = txn.batch
        if not found:
            return {"messages": NO_RECORDS}
        return {"batchList": list(found.values()), "messages": OK}

    def _batch_list(self, fields: Json) -> Json:
        rows = [txn for txn in self.transactions.values()
                if txn.batch is not None and txn.batch["batchId"] == fields.get("batchId")]
        return _listed(rows, fields)

    # --- customer profiles -------------------------------------------------------------

    def _new_profile(self, fields: Json) -> Json:
        profile = fields["profile"]
        payments = profile.get("paymentProfiles", {})
        payments = payments if isinstance(payments, list) else [payments]
        for item in payments:
            _check_payment(item.get("payment"))
        methods = [Method(item["payment"], str(item.get("billTo", {}).get("zip", "")))
                   for item in payments]
        return self._profile(str(profile.get("merchantCustomerId", "")), methods)

    def _profile_from(self, fields: Json) -> Json:
        txn = self.transactions.get(str(fields.get("transId")))
        if txn is None or txn.code != "1":
            raise Refused("E00040", "The record cannot be found.")
        reference = str(fields.get("customer", {}).get("merchantCustomerId", ""))
        return self._profile(reference, [txn.method])

    def _payment_profile(self, fields: Json) -> Json:
        customer = str(fields.get("customerProfileId", ""))
        payment = str(fields.get("customerPaymentProfileId", ""))
        method = self.profiles.get(customer, {}).get(payment)
        if method is None:
            raise Refused("E00040", "The record cannot be found.")
        return {"paymentProfile": {"customerType": "individual", "customerProfileId": customer,
                                   "customerPaymentProfileId": payment,
                                   "payment": method.masked()},
                "messages": OK}

    def _profile(self, reference: str, methods: list[Method]) -> Json:
        if reference and reference in self._references:
            raise Refused("E00039", "A duplicate record with ID 1 already exists.")
        customer = str(500_000_000 + next(self._serial))
        ids = [str(800_000_000 + next(self._serial)) for _ in methods]
        self.profiles[customer] = dict(zip(ids, methods, strict=True))
        self._references.add(reference)
        return {"customerProfileId": customer, "customerPaymentProfileIdList": ids,
                "customerShippingAddressIdList": [], "validationDirectResponseList": [],
                "messages": OK}


def _check_payment(payment: Any) -> None:
    """E00003 for a payment the schema refuses (none is no payment: a profile's charge)."""
    fault = payment_fault(payment) if payment is not None else ""
    if fault:
        raise Refused(E00003, fault)


def _in_order(names: list[str], order: list[str], element: str) -> None:
    """E00003 unless ``names`` are known elements in the schema's order."""
    if not order:
        return
    positions = [order.index(name) if name in order else -1 for name in names]
    if -1 in positions or positions != sorted(positions):
        raise Refused("E00003", f"The element '{element}' has invalid child element order.")


def _aba_valid(routing: str) -> bool:
    """The ABA routing number checksum (3, 7, 1 weights)."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    digits = [int(d) for d in routing]
    return sum(w * d for w, d in zip([3, 7, 1] * 3, digits, strict=True)) % 10 == 0


def _settled(txn: Transaction, now: datetime) -> None:
    """A transaction's status once its batch closed; a returned debit's return."""
    if txn.status != "capturedPendingSettlement":
        return
    txn.status = "settledSuccessfully"
    code = RETURNS.get(txn.method.number) if txn.method.bank else None
    if code is not None:
        txn.status = "returnedItem"
        txn.returns = [_returned(txn, code, now + timedelta(days=2))]


def _returned(txn: Transaction, code: str, when: datetime) -> Json:
    """A returnedItem: the NACHA return ``code`` on ``txn``, received ``when``."""
    return {"id": str(2_148_000_000 + int(txn.trans_id) % 1000), "dateUTC": _utc(when),
            "dateLocal": _local(when), "code": code, "description": _RETURN_TEXT[code]}


def _response(txn: Transaction, ref_id: Any, code: str, reason: str) -> Json:
    """A createTransactionResponse for ``txn`` answered with ``code`` and ``reason``."""
    bank = txn.method.bank
    response: Json = {
        "responseCode": code, "authCode": "HW617E" if txn.code == "1" else "",
        "avsResultCode": "P" if bank else "Y",
        "cvvResultCode": "" if bank else ("N" if txn.reason == "65" else "M"),
        "cavvResultCode": "", "transId": txn.trans_id, "refTransID": "", "transHash": "",
        "testRequest": "0", "accountNumber": "XXXX" + txn.method.number[-4:],
        "accountType": "eCheck" if bank else "Visa"}
    text = _TEXT.get(reason, "This transaction has been declined.")
    if code == "1":
        response["messages"] = [{"code": reason, "description": text}]
    else:
        response["errors"] = [{"errorCode": reason, "errorText": text}]
    if "userFields" in txn.request:
        response["userFields"] = txn.request["userFields"]["userField"]
    response["transHashSha2"] = ""
    body: Json = {"transactionResponse": response}
    if ref_id:
        body["refId"] = ref_id
    body["messages"] = OK if code == "1" else UNSUCCESSFUL
    return body


def _details(txn: Transaction) -> Json:
    """A transaction as getTransactionDetailsResponse shows it."""
    found: Json = {
        "transId": txn.trans_id, "submitTimeUTC": _utc(txn.submitted),
        "submitTimeLocal": _local(txn.submitted),
        "transactionType": "authCaptureTransaction", "transactionStatus": txn.status,
        "responseCode": int(txn.code), "responseReasonCode": int(txn.reason),
        "responseReasonDescription": "Approval" if txn.code == "1" else "Declined",
        "authCode": "HW617E" if txn.code == "1" else "",
        "AVSResponse": "P" if txn.method.bank else "Y"}
    if txn.batch is not None:
        found["batch"] = {key: txn.batch[key] for key in
                          ("batchId", "settlementTimeUTC", "settlementTimeLocal",
                           "settlementState")}
    found |= {"order": dict(txn.request.get("order", {})), "authAmount": txn.cents / 100,
              "settleAmount": txn.cents / 100, "taxExempt": False,
              "payment": txn.method.masked()}
    if txn.profile is not None:
        found["profile"] = {"customerProfileId": txn.profile[0],
                            "customerPaymentProfileId": txn.profile[1]}
    found |= {"recurringBilling": False, "product": "Card Not Present",
              "marketType": "MOTO" if "retail" in txn.request else "eCommerce"}
    if txn.returns:
        found["returnedItems"] = txn.returns
    return found


def _listed(rows: list[Transaction], fields: Json) -> Json:
    """A transaction list, sorted and paged as asked."""
    sorting = fields.get("sorting", {})
    rows = sorted(rows, key=lambda txn: txn.submitted,
                  reverse=bool(sorting.get("orderDescending")))
    paging = fields.get("paging", {"limit": "1000", "offset": "1"})
    limit, offset = int(paging["limit"]), int(paging["offset"])
    page = rows[(offset - 1) * limit: offset * limit]
    if not page:
        return {"totalNumInResultSet": len(rows), "messages": NO_RECORDS}
    return {"transactions": [_row(txn) for txn in page], "totalNumInResultSet": len(rows),
            "messages": OK}


def _row(txn: Transaction) -> Json:
    """One transaction summary in a list."""
    row: Json = {"transId": txn.trans_id, "submitTimeUTC": _utc(txn.submitted),
                 "submitTimeLocal": _local(txn.submitted), "transactionStatus": txn.status,
                 "invoiceNumber": txn.invoice,
                 "accountType": "eCheck" if txn.method.bank else "Visa",
                 "accountNumber": "XXXX" + txn.method.number[-4:],
                 "settleAmount": txn.cents / 100,
                 "marketType": "MOTO" if "retail" in txn.request else "eCommerce",
                 "product": "Card Not Present", "hasReturnedItems": bool(txn.returns)}
    if txn.profile is not None:
        row["profile"] = {"customerProfileId": txn.profile[0],
                          "customerPaymentProfileId": txn.profile[1]}
    return row


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _local(moment: datetime) -> str:
    """Mountain time, as Authorize.Net's local times are (UTC-7, ignoring summer time)."""
    return (moment.astimezone(UTC) - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
