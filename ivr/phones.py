"""Phone numbers, always through phonenumbers and always stored as E.164."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "US"


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Normalise a phone number in any common format to E.164, or None if it isn't one.

    Twilio sends withheld or unknown caller IDs as words ("anonymous", "+266696687");
    those, and anything phonenumbers cannot validate, give None.
    """
    if not raw:
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def written(e164: str) -> str:
    """An E.164 number as a text message writes it: ``(800) 555-0100`` in North America,
    ``+44 20 7946 0958`` elsewhere (as dialled from abroad)."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    style = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(
        parsed, style.NATIONAL if parsed.country_code == 1 else style.INTERNATIONAL)
