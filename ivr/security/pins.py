"""PIN hashing with salted scrypt; PINs themselves are never stored or logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flows.keys import is_digits

# scrypt cost: n=2**14, r=8 takes ~16 MiB and tens of milliseconds, which is the point.
_N, _R, _P = 2**14, 8, 1


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def hash_pin(pin: str) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for a PIN (salt and hash base64)."""
    salt = secrets.token_bytes(16)
    digest = _derive(pin, salt, _N, _R, _P)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches the stored hash; constant-time comparison."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = _derive(pin, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(actual, base64.b64decode(digest))


def is_valid_pin(pin: str) -> bool:
    """A PIN is exactly four digits."""
    return len(pin) == 4 and is_digits(pin)
