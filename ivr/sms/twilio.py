"""Sending texts through Twilio's Messages API, and which of its errors are worth retrying.

A Twilio error code in ``PERMANENT_CODES`` means the same request will be refused
again until a person changes something (the number, the recipient's consent, the
account's settings), so the outbox gives up at once. Everything else is retried
with backoff, at most ``ivr.sms.outbox.MAX_ATTEMPTS`` times:

* HTTP 429 / 20429: "never processed and is always safe to retry"
  (https://www.twilio.com/docs/api/errors/20429).
* HTTP 5xx / 20500, 20503: temporary (https://www.twilio.com/docs/api/errors/20503
  says retry with exponential back-off). Twilio warns that a POST that got a 500
  may still have created the message (https://www.twilio.com/docs/api/errors/20500),
  so a retry can, rarely, deliver a text twice; losing a payment receipt is worse.
* Network errors and timeouts: the same, for the same reason.
* Any other 4xx (for example 20003 bad credentials, 20404 wrong account, 21608
  unverified number on a trial account): a refused request was not created, so a
  retry never sends twice, and these are account settings an operator can fix
  within the retry window; an unknown code is never treated as final.
"""

from __future__ import annotations

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ivr.errors import SmsSendError
from ivr.settings_values import TWILIO_API_BASE

# Where Twilio posts each text's delivery status (ivr.web.sms_status), under IVR_PUBLIC_URL.
STATUS_CALLBACK_PATH = "/sms/status"

# Twilio's default is no timeout at all; a drain must never hang on the network.
_HTTP_TIMEOUT_SECONDS = 10.0

# Twilio error code -> why the text can never be sent as it stands, in plain words.
# Sources: https://www.twilio.com/docs/api/errors/<code>
PERMANENT_CODES: dict[int, str] = {
    # Returned by the create request (HTTP 400), before anything is sent:
    21211: "'To' is not a valid phone number",
    21265: "'To' is a short code, which cannot receive texts from a Twilio number",
    21408: "texts to this country are not enabled in Twilio's Messaging Geo Permissions",
    21606: "the 'From' number cannot send texts to this destination from this account",
    21610: "recipient has unsubscribed (replied STOP)",
    21612: "Twilio cannot route a text between this 'To' and 'From'",
    21614: "'To' is not a mobile number (a landline or an invalid number)",
    21617: "the message is longer than Twilio's 1600-character limit",
    21635: "'To' is a landline",
    # Delivery errors, reported later on the Message resource / status callback.
    30004: "the recipient's carrier or handset blocked the message",
    30005: "'To' is unknown to its carrier or no longer in service",
    30006: "'To' is a landline or its carrier cannot be reached",
    30007: "the message was filtered as spam by Twilio or the carrier",
}

# Delivery errors (Twilio's status callback: ``undelivered`` or ``failed`` with this
# ErrorCode) after which the message is marked failed with this reason. By the time Twilio
# reports 30003 or 30008 the carrier has already retried, so they are final here too; the
# outbox never resends a text Twilio accepted. Other codes (30001 queue overflow, 30002
# account suspended, 30010 price limit, ...) are the account's to fix: recorded, not failed.
DELIVERY_FAILURES: dict[int, str] = {
    30003: "the recipient's handset is switched off or unreachable",
    **{code: reason for code, reason in PERMANENT_CODES.items() if 30000 <= code < 31000},
    30008: "the carrier reported an unknown error",
}


def twilio_error(status: int, code: int | None, detail: str) -> SmsSendError:
    """The SmsSendError for a refused request: permanent if ``code`` is in PERMANENT_CODES.

    The Twilio library falls back to the HTTP status as ``code`` when the body has
    none; that is not a Twilio code, so it is not recorded as one.
    """
    twilio_code = code if code is not None and code != status else None
    if twilio_code in PERMANENT_CODES:
        return SmsSendError(f"{twilio_code}: {PERMANENT_CODES[twilio_code]}",
                            code=str(twilio_code), permanent=True)
    label = twilio_code if twilio_code is not None else "without a code"
    return SmsSendError(f"Twilio HTTP {status} error {label}: {detail}",
                        code=None if twilio_code is None else str(twilio_code))


class TwilioBackend:
    """Sends through Twilio's Messages API."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 status_callback: str = "", api_base: str = TWILIO_API_BASE) -> None:
        """``status_callback``: the absolute URL Twilio reports delivery to (none if empty).

        ``api_base`` replaces ``https://api.twilio.com``, the base URL of the library's
        ``api`` domain (``twilio.base.domain.Domain.base_url``), which every Messages request
        is built from: a stand-in for tests, or an operator's proxy.
        """
        self.from_number = from_number
        self.status_callback = status_callback
        http_client = TwilioHttpClient(timeout=_HTTP_TIMEOUT_SECONDS)
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._client.api.base_url = api_base

    def send(self, to: str, body: str) -> str:
        """Create the message; Twilio errors and network failures become SmsSendError."""
        try:
            message = self._client.messages.create(
                to=to, from_=self.from_number, body=body,
                status_callback=self.status_callback or values.unset)
        except TwilioRestException as exc:
            raise twilio_error(exc.status, exc.code, exc.msg) from None
        except TwilioServiceException as exc:
            raise twilio_error(exc.status, exc.code, exc.title) from None
        except (TwilioException, requests.RequestException) as exc:
            # These messages can embed request URLs; the class name is enough to go on.
            raise SmsSendError(f"could not reach Twilio ({type(exc).__name__})") from None
        return str(message.sid)
