"""Phone numbers, always through phonenumbers and always stored as E.164."""

from __future__ import annotations

import functools
import re

import phonenumbers
from phonenumbers import PhoneMetadata

DEFAULT_REGION = "US"
# A North American number written the usual ways: (415) 555-0100, 415-555-0100, 415.555.0100,
# 4155550100, +1 415 555 0100, 1-415-555-0100. phonenumbers reads each as country code 1 and
# these ten digits, so its E.164 form is "+1" and the digits.
_NANP_WRITTEN = re.compile(r"(?:\+?1[ .-]?)?"  # the country code, if written
                           r"(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})[ .-]?)"  # area code
                           r"([2-9][0-9]{2})[ .-]?([0-9]{4})")


def to_e164(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """Normalise a phone number in any common format to E.164, or None if it isn't one.

    Twilio sends withheld or unknown caller IDs as words ("anonymous", "+266696687");
    those, and anything phonenumbers cannot validate, give None.
    """
    if not raw:
        return None
    if region == "US" and (national := _written_nanp(raw)) and _valid_in_us(national):
        return "+1" + national  # what the full parse below gives, 50 times faster
    return _parsed_e164(raw, region)


def e164_of_valid(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """:func:`to_e164` of a number already found valid by it, without checking it again."""
    if region == "US" and (national := _written_nanp(raw)):
        return "+1" + national
    return _parsed_e164(raw, region)


def _written_nanp(raw: str) -> str | None:
    """The ten digits of a North American number written a usual way, else None."""
    match = _NANP_WRITTEN.fullmatch(raw)
    return "".join(filter(None, match.groups())) if match else None


def _valid_in_us(national: str) -> bool:
    """``phonenumbers.is_valid_number_for_region(+1 national, "US")``, in one regex match.

    A number valid for the US is valid (phonenumbers tries the US first among the regions
    of country code 1, and it has no leading digits). phonenumbers checks the general
    pattern, then each kind of number's pattern one by one through its regex cache (20 µs);
    :func:`_us_pattern` is the same patterns compiled into one (1 µs), which an import of a
    million accounts needs.
    """
    return _us_pattern().fullmatch(national) is not None


@functools.cache
def _us_pattern() -> re.Pattern[str]:
    """Matches a 10-digit national number when phonenumbers' US metadata says it is valid:
    it fits the general pattern and that of some kind of number (fixed line, mobile, toll
    free, premium rate, personal, ...), each of which allows ten digits."""
    meta = PhoneMetadata.metadata_for_region("US")
    assert meta is not None and meta.general_desc is not None  # phonenumbers ships the US
    kinds = (meta.premium_rate, meta.toll_free, meta.shared_cost, meta.voip, meta.personal_number,
             meta.pager, meta.uan, meta.voicemail, meta.fixed_line, meta.mobile)
    patterns = [kind.national_number_pattern for kind in kinds
                if kind is not None and kind.national_number_pattern
                and (not kind.possible_length or 10 in kind.possible_length)]
    general = meta.general_desc.national_number_pattern
    return re.compile(rf"(?=(?:{general})\Z)(?:{'|'.join(f'(?:{p})' for p in patterns)})")


def _parsed_e164(raw: str, region: str) -> str | None:
    """phonenumbers' own parse, validation and format: any number, from anywhere."""
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
