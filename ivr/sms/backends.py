"""The backends that send a text: the console (development) and Twilio's Messages API."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Protocol

from ivr.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN, Settings
from ivr.errors import ConfigError
from ivr.sms.twilio import STATUS_CALLBACK_PATH, TwilioBackend

log = logging.getLogger(__name__)

E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class SmsBackend(Protocol):
    """Something that sends one text message and returns the provider's message id."""

    def send(self, to: str, body: str) -> str:
        """Send ``body`` to the E.164 number ``to``; raise SmsSendError on failure."""
        ...


class ConsoleBackend:
    """Development backend: logs the message instead of sending it."""

    name = "console"

    def send(self, to: str, body: str) -> str:
        """Log the message at INFO and return a made-up id."""
        log.info("SMS to %s: %s", to, body)
        return f"console-{uuid.uuid4().hex[:16]}"


def make_sms_backend(settings: Settings) -> SmsBackend:
    """The backend ``IVR_SMS_BACKEND`` names: ``console`` (default) or ``twilio``."""
    name = (settings.sms_backend or "console").strip().lower()
    if name == "console":
        return ConsoleBackend()
    if name != "twilio":
        raise ConfigError(f"IVR_SMS_BACKEND must be 'console' or 'twilio', got {name!r}")
    from_number = settings.sms_from.strip()
    if not E164.fullmatch(from_number):
        raise ConfigError("IVR_SMS_BACKEND=twilio needs IVR_SMS_FROM, the sending number in "
                          f"E.164 form like +14155550100 (got {from_number!r})")
    sid, token = settings.twilio_account_sid, settings.twilio_auth_token
    if not sid or not token or sid == DEV_ACCOUNT_SID or token == DEV_AUTH_TOKEN:
        raise ConfigError("IVR_SMS_BACKEND=twilio needs real TWILIO_ACCOUNT_SID and "
                          "TWILIO_AUTH_TOKEN values")
    if not settings.public_url:
        raise ConfigError("IVR_PUBLIC_URL must be set with IVR_SMS_BACKEND=twilio: the line's "
                          "public base URL, like https://pay.example.com, where Twilio reports "
                          "each text's delivery (POST /sms/status)")
    return TwilioBackend(sid, token, from_number,
                         status_callback=settings.public_url + STATUS_CALLBACK_PATH,
                         api_base=settings.twilio_api_base)
