"""Authorize.Net answers shaped like the samples of its API reference, and a stand-in endpoint.

Each answer is JSON after a UTF-8 byte order mark, as Authorize.Net sends it; lists are JSON
arrays. Fields follow the reference's samples for each call (values changed to ours).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests_mock as rm

from ivr.payments.gateways.authorize_net_api import invoice
from ivr.security.card_store import BankDetails, CardDetails

URL = "https://api.authorize.net/xml/v1/request.api"
LOGIN = "5KP3u95bQpv"
SECRET = "346HZ32z3fP4hTG2"  # a transaction key: 16 characters
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CARD = CardDetails("4111111111111111", "1228", "842", "46282")  # Authorize.Net's test Visa
BANK = BankDetails("021000021", "9876543210", "checking")
DESCRIPTION = "Account 100200300 (phone payment)"
BOM = "\ufeff".encode()
KEY = "CA0f1e2d3c4b5a69788796a5b4c3d2e1f0-1"  # an idempotency key: a call SID and attempt
TRANS_ID = "40012345678"
OK = {"resultCode": "Ok", "message": [{"code": "I00001", "text": "Successful."}]}
UNSUCCESSFUL = {"resultCode": "Error",
                "message": [{"code": "E00027", "text": "The transaction was unsuccessful."}]}
NO_RECORDS = {"resultCode": "Ok", "message": [{"code": "I00004", "text": "No records found."}]}

Json = dict[str, Any]


def wire(body: Mapping[str, Any]) -> bytes:
    """An answer as Authorize.Net sends it: a byte order mark, then the JSON."""
    return BOM + json.dumps(body).encode("utf-8")


def error(code: str, text: str) -> Json:
    """An answer refused as a whole (no transaction), like E00007 for bad credentials."""
    return {"messages": {"resultCode": "Error", "message": [{"code": code, "text": text}]}}


def transaction(code: str = "1", reason: str = "1", text: str = "", trans_id: str = TRANS_ID,
                bank: bool = False, key: str = KEY) -> Json:
    """A createTransactionResponse: approved (1), declined (2), error (3) or held (4)."""
    response: Json = {"responseCode": code, "authCode": "HW617E" if code == "1" else "",
                      "avsResultCode": "P" if bank else "Y", "cvvResultCode": "" if bank else "M",
                      "cavvResultCode": "", "transId": trans_id, "refTransID": "",
                      "transHash": "", "testRequest": "0",
                      "accountNumber": "XXXX3210" if bank else "XXXX1111",
                      "accountType": "eCheck" if bank else "Visa"}
    if code in ("1", "4"):
        response["messages"] = [{"code": reason, "description": text or
                                 "This transaction has been approved."}]
    else:
        response["errors"] = [{"errorCode": reason, "errorText": text or
                               "This transaction has been declined."}]
    response["userFields"] = [{"name": "idempotency_key", "value": key}]
    response["transHashSha2"] = ""
    response["SupplementalDataQualificationIndicator"] = 0
    return {"transactionResponse": response, "refId": invoice(key),
            "messages": OK if code in ("1", "4") else UNSUCCESSFUL}


def details(status: str, *, bank: bool = False, trans_id: str = TRANS_ID, key: str = KEY,
            response_code: int = 1, reason: int = 1, settled_at: str | None = None,
            returns: Iterable[str] = ()) -> Json:
    """A getTransactionDetailsResponse for one of our charges of $45.50."""
    payment = ({"bankAccount": {"routingNumber": "XXXX0021", "accountNumber": "XXXX3210",
                                "nameOnAccount": "ACCOUNT HOLDER", "echeckType": "TEL"}}
               if bank else {"creditCard": {"cardNumber": "XXXX1111", "expirationDate": "XXXX",
                                            "cardType": "Visa"}})
    found: Json = {"transId": trans_id, "submitTimeUTC": "2026-11-13T17:49:20.757Z",
                   "submitTimeLocal": "2026-11-13T12:49:20.757",
                   "transactionType": "authCaptureTransaction", "transactionStatus": status,
                   "responseCode": response_code, "responseReasonCode": reason,
                   "responseReasonDescription": "Approval" if reason == 1 else "Declined",
                   "authCode": "" if bank else "HW617E", "AVSResponse": "P" if bank else "Y"}
    if settled_at:
        found["batch"] = {"batchId": "6418230", "settlementTimeUTC": settled_at,
                          "settlementTimeLocal": settled_at.rstrip("Z"),
                          "settlementState": "settledSuccessfully"}
    found |= {"order": {"invoiceNumber": invoice(key),
                        "description": "Account 100200300 (phone payment)",
                        "discountAmount": 0.0, "taxIsAfterDiscount": False},
              "authAmount": 45.50, "settleAmount": 45.50, "taxExempt": False,
              "payment": payment, "recurringBilling": False,
              "product": "Card Not Present", "marketType": "eCommerce" if bank else "MOTO"}
    items = [{"id": "2148878904", "dateUTC": "2026-11-18T09:00:00.000Z",
              "dateLocal": "2026-11-18T04:00:00.000", "code": code,
              "description": "Insufficient Funds" if code == "R01" else "Returned"}
             for code in returns]
    if items:
        found["returnedItems"] = items
    return {"transaction": found, "messages": OK}


def listed(*rows: Json, total: int | None = None) -> Json:
    """A getUnsettledTransactionListResponse or getTransactionListResponse."""
    if not rows:
        return {"totalNumInResultSet": total or 0, "messages": NO_RECORDS}
    return {"transactions": list(rows), "totalNumInResultSet": total or len(rows), "messages": OK}


def row(trans_id: str = TRANS_ID, key: str = KEY, status: str = "capturedPendingSettlement",
        bank: bool = False) -> Json:
    """One transaction summary in a list."""
    return {"transId": trans_id, "submitTimeUTC": "2026-11-21T11:49:20Z",
            "submitTimeLocal": "2026-11-21T06:49:20", "transactionStatus": status,
            "invoiceNumber": invoice(key), "accountType": "eCheck" if bank else "Visa",
            "accountNumber": "XXXX3210" if bank else "XXXX1111", "settleAmount": 45.50,
            "marketType": "eCommerce" if bank else "MOTO", "product": "Card Not Present",
            "hasReturnedItems": False}


def batches(*batch_ids: str) -> Json:
    """A getSettledBatchListResponse."""
    return {"batchList": [{"batchId": batch_id, "settlementTimeUTC": f"2026-11-{18 + n}T16:43:04Z",
                           "settlementTimeLocal": f"2026-11-{18 + n}T11:43:04",
                           "settlementState": "settledSuccessfully", "paymentMethod": "creditCard",
                           "marketType": "eCommerce", "product": "Card Not Present"}
                          for n, batch_id in enumerate(batch_ids)], "messages": OK}


def profile(customer: str = "190178", payment: str = "157497") -> Json:
    """A createCustomerProfileResponse (also the answer to one made from a transaction)."""
    return {"customerProfileId": customer, "customerPaymentProfileIdList": [payment],
            "customerShippingAddressIdList": [],
            "validationDirectResponseList": ["1,1,1,This transaction has been approved.,"
                                             "000000,P,0,none,Test transaction for "
                                             "ValidateCustomerPaymentProfile.,0.00,CC,auth_only"],
            "messages": OK}


def payment_profile(kind: str, customer: str = "190178", payment: str = "157497") -> Json:
    """A getCustomerPaymentProfileResponse (customerPaymentProfileMaskedType): the profile's
    card (``kind`` "card") or bank account ("bank"), masked."""
    held = ({"creditCard": {"cardNumber": "XXXX1111", "expirationDate": "XXXX",
                            "cardType": "Visa"}} if kind == "card" else
            {"bankAccount": {"accountType": "checking", "routingNumber": "XXXX0021",
                             "accountNumber": "XXXX3210", "nameOnAccount": "SAM PATEL",
                             "echeckType": "TEL"}})
    return {"paymentProfile": {"customerType": "individual", "customerProfileId": customer,
                               "customerPaymentProfileId": payment, "payment": held},
            "messages": OK}


def serve(requests_mock: rm.Mocker, **answers: Json | list[Json]) -> None:
    """Answer each request by its name (``createTransactionRequest=...``); a list answers
    successive requests of that name in turn."""
    queues = {name: list(value) if isinstance(value, list) else [value]
              for name, value in answers.items()}

    def answer(request: Any, context: Any) -> bytes:
        [name] = request.json()
        queue = queues[name]
        return wire(queue.pop(0) if len(queue) > 1 else queue[0])

    requests_mock.post(URL, content=answer)


def sent(requests_mock: rm.Mocker) -> list[tuple[str, Json]]:
    """Every request sent: its name and its body."""
    return [next(iter(request.json().items())) for request in requests_mock.request_history]


def in_order(value: Any) -> Any:
    """JSON with every object as its list of (key, value) pairs: equal only in the same order."""
    if isinstance(value, dict):
        return [(key, in_order(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [in_order(item) for item in value]
    return value


def wire_order(requests_mock: rm.Mocker, index: int = -1) -> Any:
    """One sent request's JSON, parsed keeping the order of its keys."""
    return in_order(json.loads(requests_mock.request_history[index].text))
