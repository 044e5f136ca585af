"""The limits on guessing, from settings: wrong PINs, and declined cards (card testing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ivr.config import Settings


@dataclass(frozen=True)
class PinPolicy:
    """How wrong PINs lock an account, and throttle a caller ID across accounts.

    PCI DSS 8.3.4 asks for a lock after at most 10 failures for at least 30
    minutes; the defaults are stricter: 5 failures within 24 hours.
    """

    max_failures: int = 5
    window: timedelta = timedelta(hours=24)
    lock_for: timedelta = timedelta(minutes=30)
    caller_max_failures: int = 10
    caller_window: timedelta = timedelta(hours=1)
    # Declined authorisations one account may have in 24 hours, across calls (card testing).
    max_declines_per_account_day: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> PinPolicy:
        """The policy set by the ``IVR_PIN_*`` and other guessing limits."""
        return cls(max_failures=settings.pin_max_failures,
                   window=timedelta(hours=settings.pin_failure_window_hours),
                   lock_for=timedelta(minutes=settings.pin_lock_minutes),
                   caller_max_failures=settings.caller_max_pin_failures,
                   max_declines_per_account_day=settings.max_declines_per_account_day)
