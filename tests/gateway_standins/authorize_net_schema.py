"""What AnetApiSchema.xsd allows in a ``payment``, as the Authorize.Net stand-in checks it.

Authorize.Net validates each request against its schema before anything else and refuses
what it does not allow with E00003, making no transaction. The stand-in checks the payment
types this line sends (``paymentType``: a ``creditCard`` or a ``bankAccount``) element by
element, from the schema (github.com/AuthorizeNet/sdk-php, AnetApiSchema.xsd):

- ``creditCardType`` extends ``creditCardSimpleType``: ``cardNumber`` (4 to 16 characters),
  ``expirationDate`` (4 to 7), then optional ``cardCode`` (a numericString of 3 or 4),
  ``isPaymentToken``, ``cryptogram``, ``tokenRequestorName``, ``tokenRequestorId``,
  ``tokenRequestorEci``;
- ``bankAccountType``: optional ``accountType`` (bankAccountTypeEnum: checking, savings,
  businessChecking), ``routingNumber`` (at most 9), ``accountNumber`` (at most 17),
  ``nameOnAccount`` (required, at most 22), optional ``echeckType`` (echeckTypeEnum: PPD,
  WEB, CCD, TEL, ARC, BOC), ``bankName`` (at most 50), ``checkNumber`` (at most 15).

A routing number of fewer than 9 digits passes the schema (``maxLength`` 9) and is refused
by the processing rules instead (reason 9, "The ABA code is invalid"), as the stand-in does.
The error text names the element, never its value (the real one quotes it: a card number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

E00003 = "E00003"


@dataclass(frozen=True)
class Element:
    """One element of an ``xs:sequence``: whether it is required and what its value may be."""

    name: str
    required: bool = False
    min_length: int = 0
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    pattern: str = ""

    def fault(self, value: Any) -> str:
        """Why ``value`` is invalid for this element ("" if it is valid)."""
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if self.choices and text not in self.choices:
            return "The Enumeration constraint failed."
        if len(text) < self.min_length:
            return "The actual length is less than the MinLength value."
        if self.max_length is not None and len(text) > self.max_length:
            return "The actual length is greater than the MaxLength value."
        if self.pattern and re.fullmatch(self.pattern, text) is None:
            return "The Pattern constraint failed."
        return ""


CREDIT_CARD = (
    Element("cardNumber", required=True, min_length=4, max_length=16),
    Element("expirationDate", required=True, min_length=4, max_length=7),
    Element("cardCode", min_length=3, max_length=4, pattern="[0-9]+"),
    Element("isPaymentToken", choices=("true", "false")),
    Element("cryptogram"),
    Element("tokenRequestorName"),
    Element("tokenRequestorId"),
    Element("tokenRequestorEci"),
)
BANK_ACCOUNT = (
    Element("accountType", choices=("checking", "savings", "businessChecking")),
    Element("routingNumber", required=True, max_length=9),
    Element("accountNumber", required=True, max_length=17),
    Element("nameOnAccount", required=True, max_length=22),
    Element("echeckType", choices=("PPD", "WEB", "CCD", "TEL", "ARC", "BOC")),
    Element("bankName", max_length=50),
    Element("checkNumber", max_length=15),
)
PAYMENT_TYPES = {"creditCard": CREDIT_CARD, "bankAccount": BANK_ACCOUNT}


def payment_fault(payment: Any) -> str:
    """Why a ``paymentType`` (of the kinds the line sends) breaks the schema; "" if it does
    not. The choice is exactly one of creditCard or bankAccount."""
    if not isinstance(payment, dict) or len(payment) != 1 \
            or next(iter(payment)) not in PAYMENT_TYPES:
        return "The element 'payment' has invalid child element (creditCard or bankAccount)."
    [(name, fields)] = payment.items()
    if not isinstance(fields, dict):
        return f"The element '{name}' is invalid."
    return sequence_fault(name, fields, PAYMENT_TYPES[name])


def sequence_fault(name: str, fields: dict[str, Any], sequence: tuple[Element, ...]) -> str:
    """Why ``fields`` break ``sequence`` (unknown, out of order, missing or invalid)."""
    order = [element.name for element in sequence]
    if any(field not in order for field in fields) or \
            [order.index(field) for field in fields] != sorted(order.index(f) for f in fields):
        return f"The element '{name}' has invalid child element order."
    for element in sequence:
        if element.name not in fields:
            if element.required:
                return f"The element '{name}' has incomplete content: '{element.name}'."
            continue
        why = element.fault(fields[element.name])
        if why:
            return f"The '{element.name}' element is invalid - {why}"
    return ""
