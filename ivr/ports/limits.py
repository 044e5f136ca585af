"""The limits that stop card testing: declined attempts per call, and per account per day.

A call may have :data:`MAX_DECLINES_PER_CALL` declines, an account
``IVR_MAX_DECLINES_PER_ACCOUNT_DAY`` attempts a day that were declined or are still in
flight. Callers count them with the account locked, so parallel calls count one another.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, literal, select

from ivr.payments import ledger
from ivr.ports.base import PortBase
from ivr.security.audit import caller_actor, record
from models import Payment, utcnow
from models.payment import DECLINED

MAX_DECLINES_PER_CALL = 3  # then the caller is told, and put through to an agent if there is one


class AttemptLimits(PortBase):
    """Counting a call's and an account's declined attempts, and auditing a limit reached."""

    def _audit_limit(self, account_id: int, call_sid: str | None, caller: str | None,
                     limit: str) -> None:
        """A call or an account has had as many declines as it may: no more attempts."""
        record(self.session, caller_actor(caller), "authorisation_limit", limit,
               account_id=account_id, origin=call_sid)

    def _decline_limit(self, account_id: int, call_sid: str | None) -> str | None:
        """``"call"`` or ``"account"`` when that has had as many declines as it may.

        For the account, charges still in flight count too: card testers call in parallel.
        """
        on_call = select(func.count(Payment.id)).where(
            Payment.status == DECLINED, Payment.call_sid == call_sid).scalar_subquery() \
            if call_sid else literal(0)
        tried = select(func.count(Payment.id)).where(
            Payment.account_id == account_id, Payment.status.in_((DECLINED, *ledger.HELD)),
            Payment.created_at > utcnow() - timedelta(days=1)).scalar_subquery()
        # Both counts in one statement: this is asked on the turn that authorises a payment.
        counts = self.session.execute(select(on_call.label("call"), tried.label("day"))).one()
        if (counts.call or 0) >= MAX_DECLINES_PER_CALL:
            return "call"
        return "account" if (counts.day or 0) >= self.policy.max_declines_per_account_day else None
