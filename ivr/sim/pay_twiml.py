"""Reading ``<Pay>`` TwiML for the call simulator: attributes, ``<Prompt>`` choice, masking.

The session itself (asking the caller, checking, charging) is ``ivr.sim.pay``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ivr.sim.twiml import GatherSpec

CARD_FIELDS = ("payment-card-number", "expiration-date", "security-code", "postal-code")
ACH_FIELDS = ("bank-routing-number", "bank-account-number")
# Twilio's own wording when the app gives no <Prompt> (a close paraphrase, en-US).
DEFAULT_PROMPTS = {
    "payment-card-number": "Please enter your credit card number, followed by the pound key.",
    "expiration-date": "Please enter your expiration date, two digits for the month and two "
                       "digits for the year.",
    "security-code": "Please enter your security code.",
    "postal-code": "Please enter your billing postal code, followed by the pound key.",
    "bank-routing-number": "Please enter your bank routing number, followed by the pound key.",
    "bank-account-number": "Please enter your bank account number, followed by the pound key.",
    "payment-processing": "Please wait while we process your payment.",
}
DEFAULT_REPEAT = "Please enter it again."  # requireMatchingInputs without its own <Prompt>
DEFAULT_ERRORS = {
    "timeout": "Sorry, we did not receive any input.",
    "invalid-card-number": "The card number you entered is not valid.",
    "invalid-card-type": "That type of card is not accepted.",
    "invalid-date": "The expiration date you entered is not valid.",
    "invalid-security-code": "The security code you entered is not valid.",
    "invalid-postal-code": "The postal code you entered is not valid.",
    "invalid-bank-routing-number": "The routing number you entered is not valid.",
    "invalid-bank-account-number": "The account number you entered is not valid.",
    "input-matching-failed": "The two numbers you entered did not match.",
}
# Fields whose digits the transcript never shows, and how many trailing digits it may show.
SECRET_FIELDS = {"payment-card-number": 4, "security-code": 0, "bank-account-number": 2}
_METHODS = ("credit-card", "ach-debit")
# Twilio's <Pay> and <Prompt> schema (its generated TwiML types): anything else is refused,
# as Twilio warns of it (12200 for an unknown attribute, 64020 for a value it does not know).
PAY_ATTRIBUTES = frozenset({
    "input", "action", "bankAccountType", "statusCallback", "statusCallbackMethod", "timeout",
    "maxAttempts", "securityCode", "postalCode", "minPostalCodeLength", "paymentConnector",
    "paymentMethod", "tokenType", "chargeAmount", "currency", "description", "validCardTypes",
    "language"})
PROMPT_ATTRIBUTES = frozenset({"for", "errorType", "cardType", "attempt",
                               "requireMatchingInputs"})
PROMPT_FOR = frozenset({*CARD_FIELDS, *ACH_FIELDS, "payment-processing"})
ERROR_TYPES = frozenset({"timeout", "invalid-card-number", "invalid-card-type", "invalid-date",
                         "invalid-security-code", "internal-error", "input-matching-failed"})
TOKEN_TYPES = ("reusable", "one-time", "payment-method")
_BOOLEANS = frozenset({"true", "false"})
_CARD_TYPES = frozenset({"visa", "mastercard", "amex", "maestro", "discover", "optima", "jcb",
                         "diners-club", "enroute"})
# Attribute values Twilio's types enumerate; those in LISTS are space-separated lists.
PAY_VALUES = {
    "language": frozenset({"de-DE", "en-AU", "en-CA", "en-GB", "en-IN", "en-IE", "en-NZ",
                           "en-PH", "en-ZA", "en-US", "es-ES", "es-US", "fr-CA", "fr-FR",
                           "it-IT"}),
    "statusCallbackMethod": frozenset({"GET", "POST"}),
    "validCardTypes": _CARD_TYPES, "securityCode": _BOOLEANS,
}
PROMPT_VALUES = {"errorType": ERROR_TYPES, "cardType": _CARD_TYPES,
                 "requireMatchingInputs": _BOOLEANS, "attempt": frozenset[str]()}
LISTS = frozenset({"validCardTypes", "errorType", "cardType", "attempt"})
_ACCOUNT_TYPES = ("consumer-checking", "consumer-savings", "commercial-checking",
                  "commercial-savings")
_MAX_CHARGE = Decimal("1000000")


@dataclass(frozen=True)
class PayAttributes:
    """The ``<Pay>`` attributes the simulator acts on, with Twilio's defaults."""

    payment_method: str = "credit-card"
    charge_cents: int = 0  # 0: tokenise only
    currency: str = "usd"
    description: str = ""
    payment_connector: str = "Default"
    token_type: str = "reusable"
    valid_card_types: tuple[str, ...] = ("visa", "mastercard", "amex")
    security_code: bool = True
    postal_code: str = "true"  # "true", "false", or the postal code to pass on unasked
    min_postal_code_length: int | None = None
    timeout: int = 5
    max_attempts: int = 1
    bank_account_type: str = "consumer-checking"

    @classmethod
    def from_element(cls, pay: ET.Element) -> PayAttributes:
        """Read a ``<Pay>``; ValueError (Twilio's validation-error) names a bad attribute."""
        check_schema(pay)
        get = pay.get
        _check_choice("input", get("input") or "dtmf", ("dtmf",))
        method = _check_choice("paymentMethod", get("paymentMethod") or _METHODS[0], _METHODS)
        account = _check_choice("bankAccountType", get("bankAccountType") or _ACCOUNT_TYPES[0],
                                _ACCOUNT_TYPES)
        return cls(
            payment_method=method, charge_cents=_charge_cents(get("chargeAmount")),
            currency=get("currency") or "usd", description=get("description") or "",
            payment_connector=get("paymentConnector") or "Default",
            token_type=_check_choice("tokenType", get("tokenType") or "reusable", TOKEN_TYPES),
            valid_card_types=tuple((get("validCardTypes") or "visa mastercard amex").split()),
            security_code=(get("securityCode") or "true").lower() != "false",
            postal_code=get("postalCode") or "true",
            min_postal_code_length=_positive("minPostalCodeLength", get("minPostalCodeLength")),
            timeout=_positive("timeout", get("timeout")) or 5,
            max_attempts=_attempts(get("maxAttempts")), bank_account_type=account,
        )

    def fields(self) -> list[str]:
        """The fields to ask for, in Twilio's order."""
        if self.payment_method == "ach-debit":
            return list(ACH_FIELDS)
        skipped = set() if self.security_code else {"security-code"}
        if self.postal_code.lower() != "true":  # "false", or the postal code itself
            skipped.add("postal-code")
        return [field for field in CARD_FIELDS if field not in skipped]

    def fixed_postal_code(self) -> str:
        """The postal code the app passed in ``postalCode`` instead of asking, if any."""
        return "" if self.postal_code.lower() in ("true", "false") else self.postal_code


def check_schema(pay: ET.Element) -> None:
    """Refuse attributes and values Twilio's schema does not have (ValueError naming the
    warning Twilio gives), and an ACH <Pay> without the name on the account (64014)."""
    unknown = sorted(set(pay.attrib) - PAY_ATTRIBUTES)
    if unknown:
        raise ValueError(f"12200: <Pay> has no attribute {unknown[0]!r}")
    for name, allowed in PAY_VALUES.items():
        for value in (pay.get(name) or "").split() if name in LISTS else [pay.get(name)]:
            if value is not None and value not in allowed:
                raise ValueError(f"64020: <Pay {name}={value!r}> is not one of Twilio's")
    ach = pay.get("paymentMethod") == "ach-debit"
    if pay.get("bankAccountType") and not ach:
        raise ValueError("64020: bankAccountType needs paymentMethod='ach-debit'")
    children = [(child.tag.rpartition("}")[2], child) for child in pay]
    if ach and not any(tag == "Parameter" and child.get("name") == "AVSName"
                       and child.get("value") for tag, child in children):
        raise ValueError("64014: an ach-debit <Pay> needs <Parameter name='AVSName'>")
    for tag, child in children:
        if tag == "Prompt":
            _check_prompt(child)


def _check_prompt(prompt: ET.Element) -> None:
    unknown = sorted(set(prompt.attrib) - PROMPT_ATTRIBUTES)
    if unknown:
        raise ValueError(f"12200: <Prompt> has no attribute {unknown[0]!r}")
    fields = (prompt.get("for") or "").split()
    if len(fields) > 1:
        raise ValueError("64020: <Prompt for> names one field")
    if fields and fields[0] not in PROMPT_FOR:
        raise ValueError(f"64020: <Prompt for={fields[0]!r}> is not a <Pay> field")
    for name, allowed in PROMPT_VALUES.items():
        for value in (prompt.get(name) or "").split() if name in LISTS else [prompt.get(name)]:
            if value is not None and value not in allowed and not (
                    name == "attempt" and value.isdigit() and int(value) > 0):
                raise ValueError(f"64020: <Prompt {name}={value!r}> is not one of Twilio's")


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}='{value}' (not one of {', '.join(allowed)})")
    return value


def _charge_cents(raw: str | None) -> int:
    """``chargeAmount`` in cents; absent or 0 means tokenise."""
    if raw is None or not raw.strip():
        return 0
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or not 0 <= amount <= _MAX_CHARGE:
        raise ValueError(f"chargeAmount='{raw}' (not a number between 0.00 - 1,000,000.00)")
    return int((amount * 100).to_integral_value())


def _positive(name: str, raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name}='{raw}' (not a positive whole number)")
    return int(raw)


def _attempts(raw: str | None) -> int:
    """``maxAttempts``: how many tries each field gets (1 to 3)."""
    value = _positive("maxAttempts", raw) or 1
    if value > 3:
        raise ValueError(f"maxAttempts='{raw}' (not 1, 2 or 3)")
    return value


@dataclass(frozen=True)
class PayFieldSpec(GatherSpec):
    """One ``<Pay>`` field as the caller is asked for it (a Gather-like input point)."""

    field: str = ""

    def describe(self) -> str:
        """What the field wants, e.g. ``<Pay> expiration-date: 4 digit(s), ...``."""
        what = f"{self.num_digits} digit(s)" if self.num_digits else "digits, finish with #"
        return f"<Pay> {self.field}: {what}, * cancels, timeout {self.timeout}s"

    def keys_prompt(self) -> str:
        """The interactive prompt names the field."""
        return f"{self.field} keys> "


def mask_card(number: str) -> str:
    """``xxxx-xxxx-xxxx-4242``; a 15-digit card as ``xxxx-xxxxxx-x0005`` (Twilio's grouping)."""
    sizes = (4, 6, 5) if len(number) == 15 else (*(4,) * (len(number) // 4), len(number) % 4)
    masked = "x" * (len(number) - 4) + number[-4:]
    groups, start = [], 0
    for size in (s for s in sizes if s):
        groups.append(masked[start:start + size])
        start += size
    return "-".join(groups)


def mask_account(number: str) -> str:
    """All but the last two digits redacted, as Twilio posts ``BankAccountNumber``."""
    return "*" * (len(number) - 2) + number[-2:]


def shown_keys(field: str, keys: str) -> str:
    """The keys as the transcript shows them: secret fields by count and a short tail."""
    if field not in SECRET_FIELDS:
        return keys
    digits = keys.split("#")[0].split("*")[0]
    ending = "*" if "*" in keys else ("#" if "#" in keys else "")
    tail = SECRET_FIELDS[field]
    # Only a full-length number shows its tail: a short one would show most of itself.
    hint = f" (•••• {digits[-tail:]})" if tail and len(digits) >= 8 else ""
    return f"{len(digits)} digits{ending}{hint}"


def _listed(raw: str | None, value: str | None) -> bool:
    """Whether a space-separated attribute allows ``value``; absent allows everything."""
    if raw is None:
        return True
    return value is not None and value in raw.replace("master-card", "mastercard").split()


def is_matching(prompt: ET.Element) -> bool:
    """A ``<Prompt requireMatchingInputs="true">`` asks for the same field a second time."""
    return (prompt.get("requireMatchingInputs") or "").lower() == "true"


def choose_prompt(prompts: list[ET.Element], field: str, *, error: str | None, attempt: int,
                  card_type: str | None, matching: bool = False) -> ET.Element | None:
    """The app's ``<Prompt>`` for this moment; the most specific one wins, then the first.

    A prompt with ``errorType`` is only for a retry after one of those errors; one without
    is the normal prompt. ``attempt`` and ``cardType``, when given, must include the
    current attempt and the card's type.
    """
    def fits(prompt: ET.Element) -> bool:
        errors = (prompt.get("errorType") or "").split()
        return (prompt.get("for") == field and is_matching(prompt) == matching
                and (error in errors if error else not errors)
                and _listed(prompt.get("attempt"), str(attempt))
                and _listed(prompt.get("cardType"), card_type))

    fitting = [prompt for prompt in prompts if fits(prompt)]
    return max(fitting, default=None,
               key=lambda p: (p.get("attempt") is not None) + (p.get("cardType") is not None))
