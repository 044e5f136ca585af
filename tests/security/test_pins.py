"""PINs under a keyed hash: verification, rotation of the pepper, and scrypt hashes upgraded."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from flows.ports import PinCheck
from ivr.config import DEV_FINGERPRINT_KEY, DEV_PIN_PEPPER, Settings, override_settings, settings_of
from ivr.db import db
from ivr.errors import ConfigError
from ivr.ports.database import ports_for
from ivr.security.pins import PinHasher, key_id, pins_of
from models import Account

OLD, NEW = "old-pepper-" + "o" * 32, "new-pepper-" + "n" * 32
JORDAN, JORDANS_PIN = "10001234", "2468"


def scrypt_hash(pin: str) -> str:
    """A PIN hashed as versions before the pepper did (scrypt, n=2**14, r=8, p=1)."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt$16384$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def stored_hash(app: Flask) -> str:
    with db.transaction(app) as session:
        return session.scalars(select(Account.pin_hash)
                               .where(Account.account_number == JORDAN)).one()


def set_hash(app: Flask, pin_hash: str) -> None:
    with db.transaction(app) as session:
        account = session.scalars(select(Account).where(Account.account_number == JORDAN)).one()
        account.pin_hash = pin_hash


def check(app: Flask, pin: str) -> PinCheck:
    """Jordan's PIN checked as a call's turn checks it."""
    with db.transaction(app) as session:
        ports = ports_for(app, session)
        account = ports.find_account(JORDAN)
        assert account is not None
        return ports.check_pin(account.id, pin, "+14155550100")


def test_a_pin_verifies_only_itself_and_each_hash_is_salted() -> None:
    pins = PinHasher(NEW)
    first, second = pins.hash("2468"), pins.hash("2468")

    assert first != second, "a random salt per hash"
    assert pins.verify("2468", first) and pins.verify("2468", second)
    assert not pins.verify("2469", first)
    assert first.startswith(f"hmac-sha256${key_id(NEW)}$") and NEW not in first


def test_without_the_pepper_a_stolen_hash_cannot_be_checked() -> None:
    """Every one of the 10,000 PINs fails against a hash whose pepper the searcher lacks, even
    with the key id relabelled to the searcher's own pepper."""
    stolen = PinHasher(NEW).hash("2468").replace(key_id(NEW), key_id(OLD))
    guesser = PinHasher(OLD)

    assert not any(guesser.verify(f"{n:04d}", stolen) for n in range(10_000))


def test_a_previous_pepper_still_verifies_and_is_not_current() -> None:
    under_old = PinHasher(OLD).hash("2468")
    rotated = PinHasher(NEW, previous=[OLD])

    assert rotated.verify("2468", under_old) and not rotated.verify("1357", under_old)
    assert not rotated.is_current(under_old)
    assert rotated.is_current(rotated.hash("2468"))


def test_a_hash_under_a_dropped_pepper_fails_and_the_log_names_its_key_id(
        caplog: pytest.LogCaptureFixture) -> None:
    under_old = PinHasher(OLD).hash("2468")
    with caplog.at_level(logging.ERROR, logger="ivr.security.pins"):
        assert not PinHasher(NEW).verify("2468", under_old)
    assert key_id(OLD) in caplog.text and "2468" not in caplog.text and OLD not in caplog.text


@pytest.mark.parametrize("stored", ["", "plain", "hmac-sha256$x", "hmac-sha256$a$b$c$d",
                                    f"hmac-sha256${key_id(NEW)}$!!$!!", "scrypt$1$2",
                                    "scrypt$x$8$1$AA==$AA==", "md5$abc$def$ghi"])
def test_a_malformed_hash_verifies_nothing_and_raises_nothing(stored: str) -> None:
    assert not PinHasher(NEW).verify("2468", stored)


def test_an_old_scrypt_hash_still_verifies() -> None:
    old = scrypt_hash("2468")
    pins = PinHasher(NEW)

    assert pins.verify("2468", old) and not pins.verify("1357", old)
    assert not pins.is_current(old)


def test_a_right_pin_upgrades_a_scrypt_hash_and_a_wrong_one_leaves_it(demo_app: Flask) -> None:
    set_hash(demo_app, scrypt_hash(JORDANS_PIN))

    assert check(demo_app, "1357") is PinCheck.WRONG
    assert stored_hash(demo_app).startswith("scrypt$")
    assert check(demo_app, JORDANS_PIN) is PinCheck.OK
    upgraded = stored_hash(demo_app)
    assert pins_of(demo_app).is_current(upgraded)
    assert check(demo_app, JORDANS_PIN) is PinCheck.OK
    assert check(demo_app, "1357") is PinCheck.WRONG


def test_rotating_the_pepper_rehashes_on_the_next_right_pin(demo_app: Flask) -> None:
    override_settings(demo_app, IVR_PIN_PEPPER=OLD)
    set_hash(demo_app, PinHasher(OLD).hash(JORDANS_PIN))
    override_settings(demo_app, IVR_PIN_PEPPER=NEW, IVR_PIN_PEPPER_PREVIOUS=OLD)

    assert check(demo_app, JORDANS_PIN) is PinCheck.OK
    assert stored_hash(demo_app).startswith(f"hmac-sha256${key_id(NEW)}$")
    override_settings(demo_app, IVR_PIN_PEPPER_PREVIOUS="")  # the old pepper retired
    assert check(demo_app, JORDANS_PIN) is PinCheck.OK


def test_the_demo_accounts_are_hashed_under_the_lines_pepper(demo_app: Flask) -> None:
    assert stored_hash(demo_app).startswith(f"hmac-sha256${key_id(DEV_PIN_PEPPER)}$")


@pytest.mark.parametrize(("env", "message"), [
    ({"IVR_PIN_PEPPER": "short"}, "IVR_PIN_PEPPER must be at least 32 characters"),
    ({"IVR_PIN_PEPPER_PREVIOUS": f"{OLD},short"},
     "IVR_PIN_PEPPER_PREVIOUS must be at least 32 characters"),
    ({"IVR_PIN_PEPPER": NEW, "IVR_PIN_PEPPER_PREVIOUS": f"{OLD}, {NEW}"},
     "IVR_PIN_PEPPER_PREVIOUS must not hold IVR_PIN_PEPPER itself"),
])
def test_bad_peppers_stop_start_up(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env(tmp_path, env)


def test_production_needs_its_own_pepper(tmp_path: Path) -> None:
    production = {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "t",
                  "IVR_FINGERPRINT_KEY": "k" * 32, "IVR_CARD_DATA_KEY": "a2V5" * 10 + "a2U=",
                  "IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": "sk_test_x"}
    with pytest.raises(ConfigError, match=r"^IVR_PIN_PEPPER must be set when IVR_ENV=production"):
        Settings.from_env(tmp_path, production)
    with pytest.raises(ConfigError, match="must not hold the development pepper"):
        Settings.from_env(tmp_path, {**production, "IVR_PIN_PEPPER": NEW,
                                     "IVR_PIN_PEPPER_PREVIOUS": DEV_PIN_PEPPER})
    settings = Settings.from_env(tmp_path, {**production, "IVR_PIN_PEPPER": NEW,
                                            "IVR_PIN_PEPPER_PREVIOUS": OLD})
    assert PinHasher.from_settings(settings).current_id == key_id(NEW)
    assert NEW not in repr(settings) and OLD not in repr(settings)


def test_a_right_pin_under_a_dropped_pepper_neither_locks_the_account_nor_throttles_the_caller(
        demo_app: Flask) -> None:
    """A hash the line holds no pepper for cannot be checked: that is the operator's doing (an
    old pepper dropped too soon, a worker not yet given the new one), not a wrong PIN, so the
    caller who keys the right one is not locked out of the account or throttled for it."""
    set_hash(demo_app, PinHasher(OLD).hash(JORDANS_PIN))  # the line holds only the dev pepper
    policy = settings_of(demo_app)

    results = [check(demo_app, JORDANS_PIN)
               for _ in range(max(policy.pin_max_failures, policy.caller_max_pin_failures) + 1)]

    assert PinCheck.OK not in results, "no pepper, no check"
    assert PinCheck.LOCKED not in results and PinCheck.THROTTLED not in results
    with db.transaction(demo_app) as session:
        account = session.scalars(select(Account).where(Account.account_number == JORDAN)).one()
        assert account.locked_until is None and account.failed_pin_attempts == 0
    override_settings(demo_app, IVR_PIN_PEPPER=NEW, IVR_PIN_PEPPER_PREVIOUS=OLD)
    assert check(demo_app, JORDANS_PIN) is PinCheck.OK, "once the pepper is back, it verifies"


@pytest.mark.parametrize("pepper", ["p" * 40 + "\n", " " + "p" * 40, "p" * 20 + "," + "q" * 20])
def test_a_pepper_that_rotation_would_change_stops_start_up(tmp_path: Path, pepper: str) -> None:
    """IVR_PIN_PEPPER_PREVIOUS is split at commas and each part stripped, so a current pepper
    with a comma or surrounding space (a secret file's last newline) would, once moved there
    as the README says to rotate, no longer be the pepper its hashes were made under."""
    with pytest.raises(ConfigError, match=r"^IVR_PIN_PEPPER must not (hold a comma|begin or end)"):
        Settings.from_env(tmp_path, {"IVR_PIN_PEPPER": pepper})


def production_with(pepper: str, **more: str) -> dict[str, str]:
    return {"IVR_ENV": "production", "TWILIO_AUTH_TOKEN": "t",
            "IVR_FINGERPRINT_KEY": "k" * 16 + "f" * 16, "IVR_CARD_DATA_KEY": "a2V5" * 10 + "a2U=",
            "IVR_PAYMENT_GATEWAY": "stripe", "IVR_STRIPE_API_KEY": "sk_test_x",
            "IVR_PIN_PEPPER": pepper, **more}


@pytest.mark.parametrize(("pepper", "message"), [
    (DEV_FINGERPRINT_KEY, "must not be a development default"),
    ("k" * 16 + "f" * 16, "must not be IVR_FINGERPRINT_KEY"),
    ("x" * 40, "must not be one character repeated"),
])
def test_production_refuses_a_published_reused_or_trivial_pepper(
        tmp_path: Path, pepper: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"^IVR_PIN_PEPPER {message}"):
        Settings.from_env(tmp_path, production_with(pepper))
    with pytest.raises(ConfigError, match=f"^IVR_PIN_PEPPER_PREVIOUS {message}"):
        Settings.from_env(tmp_path, production_with(NEW, IVR_PIN_PEPPER_PREVIOUS=pepper))
