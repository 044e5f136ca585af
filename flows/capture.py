"""What a card capture reported, in the flow's own terms (never the card itself).

When the telephony provider collects the card (Twilio's ``<Pay>``), the web layer reads
its callback into a :class:`CaptureReport`; the flow never sees the provider's field names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flows.ports import CaptureResult, DeclineReason


class CaptureKind(StrEnum):
    """How a capture ended."""

    SUCCESS = "success"  # the card was charged (or, with nothing to charge, kept as a token)
    CANCELLED = "cancelled"  # the caller pressed star: nothing was charged
    HUNG_UP = "hung_up"  # the caller hung up during the capture: nothing was charged
    UNREADABLE = "unreadable"  # the caller could not key valid card details in time
    CONNECTOR_ERROR = "connector_error"  # the gateway refused, or did not say what it did
    FAILED = "failed"  # anything else (a provider error, no result at all): nothing charged


# The gateway's reasons a card can be refused for: anything else it says may have charged.
CONNECTOR_DECLINES = frozenset({DeclineReason.DECLINED, DeclineReason.INSUFFICIENT_FUNDS,
                                DeclineReason.EXPIRED_CARD, DeclineReason.INCORRECT_CVC,
                                DeclineReason.PROCESSING_ERROR})


@dataclass(frozen=True)
class CaptureReport:
    """The outcome of one capture, the card's brand and last four, and what to charge later.

    ``brand`` is the card brand as the caller hears it ("Visa"), empty when not given;
    ``token`` is the gateway's reusable reference when the card was only kept; ``reference``
    is the gateway's charge reference when it was charged. ``decline_reason`` is set only
    for a connector error that is a known decline.
    """

    kind: CaptureKind
    brand: str = ""
    last4: str = ""
    token: str = ""
    expiry_mmyy: str = ""
    postal_code: str = ""
    reference: str = ""
    decline_reason: DeclineReason | None = None

    def __post_init__(self) -> None:
        if self.decline_reason is not None and self.kind is not CaptureKind.CONNECTOR_ERROR:
            raise ValueError(f"a {self.kind} capture has no decline reason")

    @property
    def label(self) -> str:
        """The card's brand, or "" when Twilio did not say (it is then named without one)."""
        return self.brand

    def ledger_result(self) -> CaptureResult:
        """What the capture did with a charge, for the ledger: never more certain than it is.

        A connector error that is not a known decline (a processor timeout, say) may have
        charged, so it is in doubt rather than a decline; so is any result that came with a
        charge reference but was not a success (a hang-up while it was processing), and a
        success that came without one.
        """
        success = self.kind is CaptureKind.SUCCESS
        # A charge reference means the connector charged, whatever else came with it; a
        # success without one cannot be found, refunded or reconciled: both are in doubt.
        in_doubt = (self.kind is CaptureKind.CONNECTOR_ERROR and self.decline_reason is None) \
            or (success and not self.reference) or (bool(self.reference) and not success)
        return CaptureResult(
            approved=success and not in_doubt, reference=self.reference,
            label=self.label if self.last4 else "", last4=self.last4,
            decline_reason=None if in_doubt else self.decline_reason,
            cancelled=not in_doubt and self.kind in (CaptureKind.CANCELLED, CaptureKind.HUNG_UP),
            unknown=in_doubt)


NO_RESULT = CaptureReport(CaptureKind.FAILED)
