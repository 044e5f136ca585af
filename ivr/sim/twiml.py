"""TwiML reading for the call simulator: parse documents, flatten speech, read <Gather>."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ivr.errors import TwimlError

# Keys a telephone keypad can send as DTMF.
DTMF_KEYS = frozenset("0123456789*#")
# SSML that a text-to-speech engine reads character by character.
_SPELLED = {"digits", "characters", "spell-out"}
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,!?;:])")


def local_name(element: ET.Element) -> str:
    """The tag without any XML namespace, e.g. ``Say`` or ``say-as``."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def parse_twiml(body: str | bytes) -> list[ET.Element]:
    """Parse a TwiML document and return the verbs of its ``<Response>`` in order."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise TwimlError(f"the response is not XML ({exc})") from None
    if local_name(root) != "Response":
        raise TwimlError(f"the root element is <{local_name(root)}>, not <Response>")
    return list(root)


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace to one space and trim the ends."""
    return " ".join(text.split())


def _ssml_text(element: ET.Element) -> str:
    """What a TTS engine speaks for one SSML element and its children (not its tail)."""
    name = local_name(element)
    if name == "break":
        return " "
    if name == "sub" and element.get("alias") is not None:
        return f" {element.get('alias')} "
    if name == "say-as" and element.get("interpret-as") in _SPELLED:
        spelled = "".join(ch for ch in "".join(element.itertext()) if not ch.isspace())
        return f" {' '.join(spelled)} "
    parts = [element.text or ""]
    for child in element:
        parts.append(_ssml_text(child))
        parts.append(child.tail or "")
    # Elements like <s>, <p>, <w> are separate words even when written without spaces.
    return f" {''.join(parts)} "


def say_text(say: ET.Element) -> str:
    """The plain text a ``<Say>`` speaks, with SSML children flattened."""
    text = normalise_space(_ssml_text(say))
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def _int_attr(element: ET.Element, name: str, default: int | None) -> int | None:
    raw = element.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise TwimlError(f"<{local_name(element)} {name}={raw!r}> is not a whole number") from None


@dataclass(frozen=True)
class GatherSpec:
    """The attributes of a ``<Gather>`` that decide what the caller's keys produce."""

    action: str | None
    method: str = "POST"
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    action_on_empty_result: bool = False
    speech: bool = False  # input="dtmf speech": words are heard too
    speech_timeout: int = 1  # seconds of silence that end a spoken answer

    @classmethod
    def from_element(cls, gather: ET.Element) -> GatherSpec:
        """Read a ``<Gather>`` element, applying Twilio's defaults."""
        num_digits = _int_attr(gather, "numDigits", None)
        speech_timeout = gather.get("speechTimeout", "")
        return cls(
            action=gather.get("action") or None,
            method=(gather.get("method") or "POST").upper(),
            num_digits=num_digits if num_digits and num_digits > 0 else None,
            finish_on_key=gather.get("finishOnKey", "#"),
            timeout=_int_attr(gather, "timeout", 5) or 5,
            action_on_empty_result=gather.get("actionOnEmptyResult", "").lower() == "true",
            speech="speech" in (gather.get("input") or "dtmf").split(),
            # "auto" ends the answer at the first pause, about a second.
            speech_timeout=1 if speech_timeout == "auto" else
            _int_attr(gather, "speechTimeout", None) or 1,
        )

    def digits(self, keys: str) -> str:
        """The ``Digits`` Twilio reports for ``keys``: up to the finish key or numDigits."""
        collected = ""
        for key in keys:
            if self.finish_on_key and key in self.finish_on_key:
                break
            collected += key
            if self.num_digits is not None and len(collected) >= self.num_digits:
                break
        return collected

    def ends_early(self, keys: str) -> bool:
        """Whether ``keys`` end the Gather before its timeout (finish key or numDigits)."""
        digits = self.digits(keys)
        if self.num_digits is not None and len(digits) >= self.num_digits:
            return True
        return bool(self.finish_on_key) and self.finish_on_key in keys[len(digits):len(digits) + 1]

    def describe(self) -> str:
        """A short human description of what input this Gather accepts."""
        limit = f"{self.num_digits} digit(s)" if self.num_digits else "digits"
        finish = f", finish with {self.finish_on_key}" if self.finish_on_key else ""
        words = " or words" if self.speech else ", keys only"
        return f"{limit}{finish}{words}, timeout {self.timeout}s"

    def keys_prompt(self) -> str:
        """What the interactive keypad shows while waiting here (a <Pay> names its field)."""
        return "keys or words> " if self.speech else "keys> "


def dial_target(dial: ET.Element) -> str:
    """The number (or client, SIP address, conference) a ``<Dial>`` connects to."""
    nouns = [normalise_space("".join(child.itertext())) for child in dial]
    targets = [normalise_space(dial.text or ""), *nouns]
    return ", ".join(t for t in targets if t) or "(nobody)"
