"""PINs under a keyed hash (HMAC-SHA256 with a pepper held outside the database).

A 4-digit PIN has 10,000 values, so no hash cost stops a search of a stolen database; a
secret key the database does not hold does (NIST SP 800-63B 5.1.1.2's keyed hash), and the
lockout and throttles stop guessing on the line. So a PIN is stored as
``hmac-sha256$<key id>$<salt>$<digest>``: the digest is HMAC-SHA256, keyed by the pepper
(``IVR_PIN_PEPPER``), of a per-account random salt and the PIN. The key id names the pepper
without revealing it, so the pepper can be rotated: peppers in ``IVR_PIN_PEPPER_PREVIOUS``
still verify, and a PIN checked under one of them, or under the scrypt of earlier versions,
is hashed again under the current pepper (:meth:`PinHasher.is_current`).

PINs themselves are never stored or logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence

from flask import Flask

from flows.keys import is_digits
from ivr.config import Settings, settings_of

__all__ = ["KEYED_SCHEME", "PinHasher", "is_valid_pin", "key_id", "pins_of"]

KEYED_SCHEME = "hmac-sha256"
_SALT_BYTES = 16
_LEGACY_SCHEME = "scrypt"  # hashes of versions before the pepper, upgraded on a right PIN
_log = logging.getLogger(__name__)


def key_id(pepper: str) -> str:
    """A short name for a pepper, kept beside each hash: it reveals nothing of the pepper."""
    return hmac.new(pepper.encode(), b"ivr pin key id", hashlib.sha256).hexdigest()[:8]


class PinHasher:
    """Hashes PINs under the current pepper and verifies them under any pepper it holds."""

    def __init__(self, pepper: str, previous: Sequence[str] = ()) -> None:
        self._keys = {key_id(p): p.encode() for p in (*previous, pepper)}
        self.current_id = key_id(pepper)

    @classmethod
    def from_settings(cls, settings: Settings) -> PinHasher:
        """The line's: ``IVR_PIN_PEPPER``, and ``IVR_PIN_PEPPER_PREVIOUS`` still verifying."""
        previous = [p.strip() for p in settings.pin_pepper_previous.split(",") if p.strip()]
        return cls(settings.pin_pepper, previous)

    def hash(self, pin: str) -> str:
        """The stored form of ``pin`` under the current pepper and a new random salt."""
        salt = secrets.token_bytes(_SALT_BYTES)
        digest = self._digest(self._keys[self.current_id], salt, pin)
        return f"{KEYED_SCHEME}${self.current_id}${_b64(salt)}${_b64(digest)}"

    def verify(self, pin: str, stored: str) -> bool:
        """True when ``pin`` matches ``stored`` (keyed, or scrypt from before); constant time."""
        scheme, _, rest = stored.partition("$")
        if scheme == _LEGACY_SCHEME:
            return _verify_scrypt(pin, rest)
        parts = rest.split("$")
        if scheme != KEYED_SCHEME or len(parts) != 3:
            return False
        kid, salt, digest = parts
        key = self._key(kid)
        if key is None:
            return False
        try:
            salt_bytes = base64.b64decode(salt, validate=True)
            expected = base64.b64decode(digest, validate=True)
        except binascii.Error:
            return False
        return hmac.compare_digest(self._digest(key, salt_bytes, pin), expected)

    def can_check(self, stored: str) -> bool:
        """Whether a PIN can be checked against ``stored`` at all: scrypt, or keyed under a
        pepper held here. One that cannot is the operator's to fix (a pepper dropped from
        ``IVR_PIN_PEPPER_PREVIOUS`` too soon, a worker not yet given a new one), not a wrong PIN."""
        scheme, _, rest = stored.partition("$")
        if scheme == _LEGACY_SCHEME:
            return True
        parts = rest.split("$")
        return scheme == KEYED_SCHEME and len(parts) == 3 and self._key(parts[0]) is not None

    def _key(self, kid: str) -> bytes | None:
        key = self._keys.get(kid)
        if key is None:
            # Its pepper was dropped from IVR_PIN_PEPPER_PREVIOUS while hashes still used it.
            _log.error("A PIN hash is under pepper key id %s, which is neither IVR_PIN_PEPPER "
                       "nor in IVR_PIN_PEPPER_PREVIOUS: that PIN cannot be checked", kid)
        return key

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` is under the current pepper (otherwise: hash again once verified)."""
        return stored.startswith(f"{KEYED_SCHEME}${self.current_id}$")

    @staticmethod
    def _digest(key: bytes, salt: bytes, pin: str) -> bytes:
        return hmac.new(key, salt + pin.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _verify_scrypt(pin: str, parameters: str) -> bool:
    """``n$r$p$salt$hash`` of the scrypt hashes written before PINs were keyed."""
    try:
        n, r, p, salt, digest = parameters.split("$")
        actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), maxmem=64 * 1024 * 1024, dklen=32)
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


def pins_of(app: Flask) -> PinHasher:
    """The PIN hasher of ``app``'s settings."""
    return PinHasher.from_settings(settings_of(app))


def is_valid_pin(pin: str) -> bool:
    """A PIN is exactly four digits."""
    return len(pin) == 4 and is_digits(pin)
