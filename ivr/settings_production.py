"""What production is strict about: ``IVR_ENV`` itself, the secrets, and the gateway.

Development runs with no settings at all: each secret has a stand-in here (the ``DEV_*``
values), published in the source and so worth nothing as a secret. Production refuses to
start without real ones and refuses the stand-ins set by hand, so an environment copied from
a development machine cannot go live; nor can the sandbox gateway, which charges nothing.
Each function raises :class:`~ivr.errors.ConfigError` with one line naming the variable and
never repeating a secret. :mod:`ivr.config` builds the settings from these.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from ivr.errors import ConfigError

# IVR_ENV, spelt exactly so: a misspelt "prod" must not quietly run as development.
ENVIRONMENTS = ("development", "production")
# Only for development and the simulator: production refuses to start without real ones.
DEV_AUTH_TOKEN = "dev-auth-token-not-secret"
DEV_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEV_FINGERPRINT_KEY = "dev-fingerprint-key-not-secret-0000000000"
DEV_PIN_PEPPER = "dev-pin-pepper-not-secret-00000000000000"
# The AES-256 key of the card store (ivr.security.card_store): 32 bytes, standard base64.
CARD_DATA_KEY_BYTES = 32
DEV_CARD_DATA_KEY = base64.b64encode(b"dev-card-data-key-not-secret-000").decode("ascii")
CARD_DATA_KEY_HINT = ('generate one with python -c "import os,base64;'
                      'print(base64.b64encode(os.urandom(32)).decode())"')
# The HMAC key of bank account digests: short keys are guessable, so refuse them.
MIN_FINGERPRINT_KEY_LENGTH = 32
# The gateways that move real money; the default, "sandbox", is offline and charges nothing.
REAL_GATEWAYS = ("stripe", "authorize-net")


def environment(env: Mapping[str, str]) -> str:
    """``IVR_ENV``: ``development`` (the default) or ``production``, in lower case.

    Exact, like every other setting with a few allowed values (and like the simulator, which
    compares it when it signs requests): ``Production`` is refused rather than guessed at.
    """
    value = env.get("IVR_ENV") or ENVIRONMENTS[0]
    if value not in ENVIRONMENTS:
        raise ConfigError(f"IVR_ENV must be development or production (in lower case), "
                          f"got {value!r}")
    return value


def production_secret(env: Mapping[str, str], name: str, environment: str,
                      development: str) -> str:
    """A secret that must be set in production, to anything but ``development``, which
    stands in for it elsewhere."""
    value = env.get(name, "")
    if environment != "production":
        return value or development
    if not value:
        raise ConfigError(f"{name} must be set when IVR_ENV=production")
    if value == development:
        raise ConfigError(f"{name} must not be the development default when "
                          "IVR_ENV=production: it is published in the source")
    return value


def auth_token(env: Mapping[str, str], environment: str) -> str:
    """``TWILIO_AUTH_TOKEN``: required in production, a development token otherwise."""
    return production_secret(env, "TWILIO_AUTH_TOKEN", environment, DEV_AUTH_TOKEN)


def account_sid(env: Mapping[str, str], environment: str) -> str:
    """``TWILIO_ACCOUNT_SID``: a placeholder when unset (the Twilio SMS backend refuses it),
    which production refuses when set by hand."""
    value = env.get("TWILIO_ACCOUNT_SID", "")
    if value == DEV_ACCOUNT_SID and environment == "production":
        raise ConfigError("TWILIO_ACCOUNT_SID must not be the development placeholder when "
                          "IVR_ENV=production")
    return value or DEV_ACCOUNT_SID


def fingerprint_key(env: Mapping[str, str], environment: str) -> str:
    """``IVR_FINGERPRINT_KEY``: required in production, at least 32 characters when set."""
    key = production_secret(env, "IVR_FINGERPRINT_KEY", environment, DEV_FINGERPRINT_KEY)
    if len(key) < MIN_FINGERPRINT_KEY_LENGTH:
        raise ConfigError(f"IVR_FINGERPRINT_KEY must be at least {MIN_FINGERPRINT_KEY_LENGTH} "
                          f"characters, got {len(key)}")
    return key


def pin_pepper(env: Mapping[str, str], environment: str) -> str:
    """``IVR_PIN_PEPPER``: the key of PIN hashes; required in production, 32+ characters.

    No comma and no space or newline at either end: rotating it moves it to
    ``IVR_PIN_PEPPER_PREVIOUS``, which is split at commas and each part stripped, and what
    came out would not be the pepper its hashes were made under.
    """
    pepper = production_secret(env, "IVR_PIN_PEPPER", environment, DEV_PIN_PEPPER)
    _check_pepper("IVR_PIN_PEPPER", pepper, env, environment)
    if "," in pepper:
        raise ConfigError("IVR_PIN_PEPPER must not hold a comma: once rotated into "
                          "IVR_PIN_PEPPER_PREVIOUS it would be split there")
    if pepper != pepper.strip():
        raise ConfigError("IVR_PIN_PEPPER must not begin or end with a space or newline: once "
                          "rotated into IVR_PIN_PEPPER_PREVIOUS it would be stripped")
    return pepper


def previous_pin_peppers(env: Mapping[str, str], environment: str, current: str) -> str:
    """``IVR_PIN_PEPPER_PREVIOUS``: earlier peppers, comma-separated, whose hashes still verify.

    Each is checked like the current one; repeating the current one is refused (a rotation
    that did not happen), as is the development pepper in production.
    """
    text = env.get("IVR_PIN_PEPPER_PREVIOUS", "")
    for pepper in filter(None, (part.strip() for part in text.split(","))):
        if pepper == current:
            raise ConfigError("IVR_PIN_PEPPER_PREVIOUS must not hold IVR_PIN_PEPPER itself")
        if environment == "production" and pepper == DEV_PIN_PEPPER:
            raise ConfigError("IVR_PIN_PEPPER_PREVIOUS must not hold the development pepper "
                              "when IVR_ENV=production: it is published in the source")
        _check_pepper("IVR_PIN_PEPPER_PREVIOUS", pepper, env, environment)
    return text


def _check_pepper(name: str, pepper: str, env: Mapping[str, str], environment: str) -> None:
    """Long enough; in production none of the published development secrets nor a character
    repeated; never the fingerprint key (one secret, one use: a leak of either is not both)."""
    if len(pepper) < MIN_FINGERPRINT_KEY_LENGTH:
        raise ConfigError(f"{name} must be at least {MIN_FINGERPRINT_KEY_LENGTH} characters "
                          f"per pepper, got {len(pepper)}")
    if environment == "production":
        if pepper in (DEV_FINGERPRINT_KEY, DEV_AUTH_TOKEN, DEV_CARD_DATA_KEY):
            raise ConfigError(f"{name} must not be a development default when "
                              "IVR_ENV=production: it is published in the source")
        if len(set(pepper)) == 1:
            raise ConfigError(f"{name} must not be one character repeated")
    if pepper == fingerprint_key(env, environment):
        raise ConfigError(f"{name} must not be IVR_FINGERPRINT_KEY: give each secret one use")


def card_data_key(env: Mapping[str, str], environment: str) -> str:
    """``IVR_CARD_DATA_KEY``: required in production; 32 bytes in standard base64 when set.

    Standard base64 (RFC 4648 section 4: ``A-Z a-z 0-9 + /``, padded with ``=``, so 44
    characters), as ``base64.b64encode`` writes it; the URL-safe alphabet is refused rather
    than guessed at. The text is kept (so settings read back the same); :func:`card_key_bytes`
    decodes it. Error messages never repeat the value: it is a secret.
    """
    text = production_secret(env, "IVR_CARD_DATA_KEY", environment, DEV_CARD_DATA_KEY)
    key = card_key_bytes(text)
    if len(key) != CARD_DATA_KEY_BYTES:
        raise ConfigError(f"IVR_CARD_DATA_KEY must be {CARD_DATA_KEY_BYTES} bytes (AES-256), "
                          f"got {len(key)}; {CARD_DATA_KEY_HINT}")
    if environment == "production" and len(set(key)) == 1:
        # All zeros (what a placeholder of "AAAA...=" decodes to) is no key at all.
        raise ConfigError("IVR_CARD_DATA_KEY must be random bytes when IVR_ENV=production, "
                          f"not one byte repeated; {CARD_DATA_KEY_HINT}")
    return text


def card_key_bytes(text: str) -> bytes:
    """The key ``IVR_CARD_DATA_KEY`` holds, decoded from standard base64."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ConfigError(f"IVR_CARD_DATA_KEY must be standard base64 (A-Z a-z 0-9 + / and = "
                          f"padding); {CARD_DATA_KEY_HINT}") from None


def payment_gateway(env: Mapping[str, str], environment: str) -> str:
    """``IVR_PAYMENT_GATEWAY``: ``sandbox`` when unset; production needs a real gateway.

    Other names are refused when the gateway is built (``ivr.ports.database.make_gateway``).
    """
    name = env.get("IVR_PAYMENT_GATEWAY", "sandbox")
    if environment == "production" and name == "sandbox":
        real = " or ".join(REAL_GATEWAYS)
        if "IVR_PAYMENT_GATEWAY" not in env:
            raise ConfigError(f"IVR_PAYMENT_GATEWAY must be set when IVR_ENV=production: "
                              f"{real} (the default, sandbox, charges nothing)")
        raise ConfigError(f"IVR_PAYMENT_GATEWAY=sandbox charges nothing and is refused when "
                          f"IVR_ENV=production: use {real}")
    return name
