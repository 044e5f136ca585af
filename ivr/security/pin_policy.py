"""The limits on guessing, from settings: wrong PINs, and declined cards (card testing)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


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
    def from_config(cls, config: Mapping[str, Any]) -> PinPolicy:
        """The policy set by ``IVR_PIN_*`` settings."""
        return cls(max_failures=int(config["IVR_PIN_MAX_FAILURES"]),
                   window=timedelta(hours=int(config["IVR_PIN_FAILURE_WINDOW_HOURS"])),
                   lock_for=timedelta(minutes=int(config["IVR_PIN_LOCK_MINUTES"])),
                   caller_max_failures=int(config["IVR_CALLER_MAX_PIN_FAILURES"]),
                   max_declines_per_account_day=int(config["IVR_MAX_DECLINES_PER_ACCOUNT_DAY"]))
