"""Twilio's ``<Pay>`` verb for the call simulator: ask, check, then charge or tokenise.

``PaySession(call, pay, url).run()`` asks the caller for each field the way Twilio does
(the app's nested ``<Prompt>`` or a default one, up to ``maxAttempts`` tries per field),
charges or tokenises as the call's Pay Connector would (``call.pay_connector``: the sandbox
or Stripe, see ``ivr.sim.pay_connectors``), and returns the action URL and the parameters
to post there. Full card numbers, security codes and bank
account numbers reach neither the transcript nor the posted parameters.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import urljoin

from stdnum.us import rtn

from flows.cards import (
    Brand,
    CardProblem,
    check_card_number,
    check_expiry,
    check_security_code,
    security_code_length,
)
from ivr.security.card_store import BankDetails, CardDetails
from ivr.sim.pay_connectors import process_bank, process_card
from ivr.sim.pay_twiml import (
    DEFAULT_ERRORS,
    DEFAULT_PROMPTS,
    DEFAULT_REPEAT,
    PayAttributes,
    PayFieldSpec,
    choose_prompt,
    is_matching,
    mask_account,
    mask_card,
    shown_keys,
)
from ivr.sim.results import SECONDS_PER_KEY, Action, PayingCall
from ivr.sim.twiml import local_name

CARD_TYPES = {Brand.VISA: "visa", Brand.MASTERCARD: "mastercard", Brand.AMEX: "amex",
              Brand.DISCOVER: "discover"}
_ACCOUNT_LENGTHS = range(4, 18)  # NACHA allows account numbers of up to 17 digits
_MIN_POSTAL_CODE = 5  # a US ZIP code, unless minPostalCodeLength says otherwise


class _Ended(Exception):
    """The session ends before every field is valid; ``result`` is Twilio's ``Result``."""

    def __init__(self, result: str) -> None:
        super().__init__(result)
        self.result = result


class PaySession:
    """One ``<Pay>``: capture every field, then charge or tokenise through the connector."""

    def __init__(self, call: PayingCall, pay: ET.Element, current_url: str) -> None:
        """Nothing happens until ``run()``."""
        self.call = call
        self.pay = pay
        self.current_url = current_url
        self.prompts = [child for child in pay if local_name(child) == "Prompt"]
        self.values: dict[str, str] = {}
        self.brand: Brand | None = None
        self.error: str | None = None
        self.sid = f"PK{secrets.token_hex(16)}"
        self.attrs = PayAttributes()

    def run(self) -> tuple[str, dict[str, str]] | None:
        """The action URL and its parameters; None when the caller hung up (already posted)."""
        try:
            self.attrs = PayAttributes.from_element(self.pay)
        except ValueError as exc:
            return self._finish("validation-error", {"PaymentError": str(exc)})
        try:
            for field in self.attrs.fields():
                self._capture(field)
        except _Ended as ended:
            if ended.result == "caller-hung-up":
                self._post_hangup()
                return None
            extra = {"PaymentError": self.error} if self.error else {}
            return self._finish(ended.result, extra)
        return self._finish(*self._process())

    def _capture(self, field: str) -> None:
        """Up to maxAttempts tries at one field; raise _Ended when they run out."""
        error: str | None = None
        for attempt in range(1, self.attrs.max_attempts + 1):
            digits = self._take(field, error, attempt)
            error = self._validate(field, digits)
            if error is None and any(p.get("for") == field and is_matching(p)
                                     for p in self.prompts):
                again = self._take(field, None, attempt, matching=True)
                error = None if again == digits else "input-matching-failed"
            if error is None:
                self.values[field] = digits
                return
            self.error = error
        raise _Ended("too-many-failed-attempts")

    def _take(self, field: str, error: str | None, attempt: int, matching: bool = False) -> str:
        """Prompt, wait for the caller and return the digits entered ('' on a timeout)."""
        self._say_prompt(field, error, attempt, matching)
        self._status({"For": field, "Attempt": str(attempt),
                      **({"ErrorType": error} if error else {})})
        spec = PayFieldSpec(action=None, num_digits=self._length(field),
                            timeout=self.attrs.timeout, field=field)
        action = self.call.ask_caller(spec)
        self._record(field, action)
        if action.kind == "hangup":
            raise _Ended("caller-hung-up")
        keys = action.keys if action.kind == "press" else ""
        if "*" in keys:  # even after the field's digits: it would reach the next field
            raise _Ended("caller-interrupted-with-star")
        self.call.seconds += len(keys) * SECONDS_PER_KEY
        if not spec.ends_early(keys):
            self.call.seconds += spec.timeout  # Twilio waits out the timeout, then validates
        return spec.digits(keys)

    def _record(self, field: str, action: Action) -> None:
        """Show the caller's keys masked; failure reports quote the masked action too."""
        pressed = action.kind == "press"
        shown = Action("press", label=shown_keys(field, action.keys)) if pressed else action
        self.call.last_action = shown
        self.call.heard_since_action, self.call.spoken_since_action = [], []
        self.call.line(shown.describe())

    def _length(self, field: str) -> int | None:
        """Fixed-length fields end by themselves; the others on # or the timeout."""
        if field == "expiration-date":
            return 4
        if field == "security-code" and self.brand is not None:
            return security_code_length(self.brand)
        return None

    def _say_prompt(self, field: str, error: str | None, attempt: int, matching: bool) -> None:
        """The app's fitting <Prompt>; otherwise Twilio's error sentence and default prompt."""
        card_type = CARD_TYPES.get(self.brand) if self.brand else None
        prompt = choose_prompt(self.prompts, field, error=error, attempt=attempt,
                               card_type=card_type, matching=matching)
        if prompt is None and error:
            self._say(DEFAULT_ERRORS.get(error, "Sorry, that is not valid."))
            prompt = choose_prompt(self.prompts, field, error=None, attempt=attempt,
                                   card_type=card_type, matching=matching)
        if prompt is None:
            self._say(DEFAULT_REPEAT if matching else DEFAULT_PROMPTS[field])
            return
        for child in prompt:
            if local_name(child) in ("Say", "Play", "Pause"):
                self.call.speak(child)

    def _say(self, text: str) -> None:
        say = ET.Element("Say")
        say.text = text
        self.call.speak(say)

    def _validate(self, field: str, digits: str) -> str | None:
        """Twilio's errorType for what was entered, or None when it is valid."""
        if not digits:
            return "timeout"
        if field == "payment-card-number":
            return self._validate_card(digits)
        if field == "expiration-date":
            today = datetime.now(UTC).date()  # Twilio's clock, not the app's IVR_TODAY
            return "invalid-date" if check_expiry(digits, today) else None
        if field == "security-code":
            valid = self.brand is not None and not check_security_code(digits, self.brand)
        elif field == "postal-code":
            shortest = self.attrs.min_postal_code_length or _MIN_POSTAL_CODE
            valid = digits.isdigit() and shortest <= len(digits) <= 10
        elif field == "bank-routing-number":
            valid = rtn.is_valid(digits)
        else:
            valid = digits.isdigit() and len(digits) in _ACCOUNT_LENGTHS
        return None if valid else f"invalid-{field}"

    def _validate_card(self, digits: str) -> str | None:
        """Luhn and length first (invalid-card-number), then the accepted brands."""
        brand, problem = check_card_number(digits)
        if problem is CardProblem.INVALID_NUMBER:
            return "invalid-card-number"
        if brand is None or CARD_TYPES[brand] not in self.attrs.valid_card_types:
            return "invalid-card-type"
        self.brand = brand
        return None

    def _process(self) -> tuple[str, dict[str, str]]:
        """Say the processing prompt, then charge or tokenise as the Pay Connector would."""
        self._say_prompt("payment-processing", None, 1, False)
        connector, values = self.call.pay_connector, self.values
        if self.attrs.payment_method == "ach-debit":
            kind = "savings" if self.attrs.bank_account_type.endswith("savings") else "checking"
            return process_bank(connector, self.attrs, BankDetails(
                values["bank-routing-number"], values["bank-account-number"], kind))
        return process_card(connector, self.attrs, CardDetails(
            values["payment-card-number"], values["expiration-date"],
            values.get("security-code", ""), self._postal_code()))

    def _postal_code(self) -> str:
        return self.values.get("postal-code") or self.attrs.fixed_postal_code()

    def _captured(self) -> dict[str, str]:
        """What Twilio reports about the fields captured so far, masked as Twilio masks it."""
        params = {"PaymentMethod": self.attrs.payment_method}
        values = self.values
        if self.attrs.payment_method == "ach-debit":
            params["BankAccountType"] = self.attrs.bank_account_type
        elif self.brand is not None:
            params["PaymentCardNumber"] = mask_card(values["payment-card-number"])
            params["PaymentCardType"] = CARD_TYPES[self.brand]
        account = values.get("bank-account-number")
        optional = {"ExpirationDate": values.get("expiration-date"),
                    "SecurityCode": "*" * len(values.get("security-code", "")),
                    "PaymentCardPostalCode": self._postal_code() if self.brand else "",
                    "BankRoutingNumber": values.get("bank-routing-number"),
                    "BankAccountNumber": mask_account(account) if account else ""}
        params.update({name: value for name, value in optional.items() if value})
        return params

    def _finish(self, result: str, extra: dict[str, str]) -> tuple[str, dict[str, str]]:
        """Tell the status callback, and hand the action URL and parameters to the call."""
        params = {"Result": result, **self._captured(), **extra}
        self.call.line(f"[<Pay> result: {result}]")
        self._status(params)
        return self._action_url(), params

    def _action_url(self) -> str:
        """``action``, or the current document's URL as Twilio defaults to."""
        action = self.pay.get("action")
        return urljoin(self.current_url, action) if action else self.current_url

    def _post_hangup(self) -> None:
        """Twilio still tells the action URL; the call is over, so its TwiML is ignored."""
        self.call.end("hangup", by="caller")
        params = {"Result": "caller-hung-up", **self._captured()}
        self.call.line("[<Pay> result: caller-hung-up]")
        self._status(params)
        self.call.result.requests += 1
        response = self.call.transport.request(
            "POST", self._action_url(), self.call.webhook_params(CallStatus="completed", **params))
        if not 200 <= response.status < 300:
            self.call.warn(f"<Pay> action got HTTP {response.status} after the hang-up")

    def _status(self, params: dict[str, str]) -> None:
        """Progress to ``statusCallback``, when the app asked for it."""
        target = self.pay.get("statusCallback")
        if not target:
            return
        method = (self.pay.get("statusCallbackMethod") or "POST").upper()
        body = {"AccountSid": self.call.transport.account_sid,
                "CallSid": self.call.result.call_sid, "Sid": self.sid,
                "PaymentConnector": self.attrs.payment_connector, **self._captured(), **params}
        response = self.call.transport.request(method, urljoin(self.current_url, target), body)
        if not 200 <= response.status < 300:
            self.call.warn(f"<Pay> statusCallback got HTTP {response.status}")
