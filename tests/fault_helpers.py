"""What the fault tests share: a killed worker, faults that fire once, a call to authorise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.menu_helpers import JORDAN_NEW_CARD
from tests.twilio_helpers import Answer, TwilioCaller

# Account 10001234's full balance ($120.45) today with a new Visa, up to the read-back.
NEW_VISA = ("4242424242424242", "1230", "123", "94105")  # number, expiry, code, ZIP code
TO_READ_BACK = (*JORDAN_NEW_CARD, *NEW_VISA)
FIRST = "CA" + "1" * 32
SECOND = "CA" + "2" * 32
LATER = timedelta(minutes=11)  # past reconcile's grace period


class WorkerKilled(BaseException):
    """The worker died here: no handler runs, and nothing it had not committed is kept."""


def fire_once(target: Any, name: str, monkeypatch: pytest.MonkeyPatch,
              before: bool = False) -> None:
    """Make ``target.name`` kill the worker once: before it runs, or just after it returns."""
    original = getattr(target, name)
    fired: list[bool] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        if fired:
            return original(*args, **kwargs)
        fired.append(True)
        if before:
            raise WorkerKilled(name)
        original(*args, **kwargs)
        raise WorkerKilled(name)

    monkeypatch.setattr(target, name, dying)


def authorise(caller: TwilioCaller, read_back: Answer) -> Answer | None:
    """Press 1 to authorise (following the hold); None when the worker died."""
    try:
        return caller.press(read_back, "1")
    except WorkerKilled:
        return None
