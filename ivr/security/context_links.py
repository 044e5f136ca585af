"""Signed, expiring links to a call's context, for the desktop of the agent it is handed to.

A link names the call and the moment it expires (Unix seconds), and carries
HMAC-SHA256(``IVR_AGENT_CONTEXT_KEY``, call SID and expiry) in hex. Whoever holds a link
may read that call's context until it expires, and nothing else: the signature cannot be
moved to another call or a later expiry without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum


class LinkCheck(StrEnum):
    """What a link presented is worth."""

    VALID = "valid"
    FORGED = "forged"  # no signature, or not ours for this call and expiry
    EXPIRED = "expired"  # ours, but past its expiry


def signature(key: bytes, call_sid: str, expires: int) -> str:
    """The link's signature: HMAC-SHA256 of the call SID and the expiry, in hex."""
    message = f"{call_sid}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check(key: bytes, call_sid: str, expires: str, signed: str, now: float) -> LinkCheck:
    """Whether a link for ``call_sid`` expiring at ``expires`` with signature ``signed`` is
    valid at ``now`` (Unix seconds). The signature is checked first (in constant time), so
    an unsigned link learns nothing, not even whether it would have expired."""
    if not (expires.isascii() and expires.isdigit() and len(expires) <= 12 and signed.isascii()):
        return LinkCheck.FORGED
    if not hmac.compare_digest(signature(key, call_sid, int(expires)), signed):
        return LinkCheck.FORGED
    return LinkCheck.EXPIRED if int(expires) <= now else LinkCheck.VALID
