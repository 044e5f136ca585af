"""Callers' requests to be called back by an agent: exported as CSV, and marked done."""

from __future__ import annotations

from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.ops.exports import SafeCsvWriter, format_timestamp
from models import Account, CallbackRequest, utcnow
from models.callback import DONE, OPEN

CALLBACK_COLUMNS = ("created_at", "account_number", "number", "call_sid", "status", "verified")
_BATCH = 500  # rows fetched per round trip


def export_callbacks_csv(session: Session, out: TextIO, status: str | None = None) -> int:
    """Write the callback requests (only those with ``status`` when given), oldest first;
    return the number of rows. ``account_number`` is empty when the caller chose no account;
    ``verified`` says whether they passed its PIN check (``yes``/``no``)."""
    writer = SafeCsvWriter(out)
    writer.writerow(CALLBACK_COLUMNS)
    query = (select(CallbackRequest, Account.account_number)
             .outerjoin(Account, CallbackRequest.account_id == Account.id)
             .order_by(CallbackRequest.created_at, CallbackRequest.id)
             .execution_options(yield_per=_BATCH))
    if status is not None:
        query = query.where(CallbackRequest.status == status)
    count = 0
    for request, account_number in session.execute(query):
        writer.writerow((format_timestamp(request.created_at), account_number or "",
                         request.phone, request.call_sid, request.status,
                         "yes" if request.verified else "no"))
        count += 1
    return count


def mark_done(session: Session, call_sid: str) -> bool | None:
    """Mark the call's callback request called back: True, False when it already was, None
    when the call left none."""
    request = session.scalar(select(CallbackRequest)
                             .where(CallbackRequest.call_sid == call_sid).with_for_update())
    if request is None:
        return None
    if request.status != OPEN:
        return False
    request.status, request.done_at = DONE, utcnow()
    return True
