"""Methods on file: keeping a new card or bank account, and the flow's view of one.

A method is kept in two ways. After a payment with it, by the token the gateway gave for it
(``PaymentPorts.save_method``). Before payments on later dates, whole from the card store or
by the token ``<Pay>`` returned (:func:`keep_for_later`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from flows.ports import PaymentSource, SavedMethod
from ivr.errors import CardEntryLost
from ivr.ports.base import PortBase
from ivr.security import card_store
from ivr.security.card_store import BankDetails, CardDetails
from models import Account, SavedPaymentMethod

# The columns of a method on file the flow's view of it is made of (:func:`saved_view`).
SAVED_VIEW_COLUMNS = (SavedPaymentMethod.id, SavedPaymentMethod.kind, SavedPaymentMethod.brand,
                      SavedPaymentMethod.bank_account_type, SavedPaymentMethod.last4,
                      SavedPaymentMethod.expiry_mmyy)


def saved_view(method: SavedPaymentMethod | Row[*tuple[Any, ...]]) -> SavedMethod:
    """The flow's view of a saved method (or of a row of its :data:`SAVED_VIEW_COLUMNS`)."""
    label = method.brand if method.kind == "card" else method.bank_account_type
    return SavedMethod(id=method.id, kind=method.kind, label=label or "", last4=method.last4,
                       expiry_mmyy=method.expiry_mmyy)


# Built once, as a turn asks it (see ivr.ports.accounts).
_ON_FILE = select(*SAVED_VIEW_COLUMNS).where(
    SavedPaymentMethod.account_id == bindparam("account_id"),
    SavedPaymentMethod.removed_at.is_(None)).order_by(SavedPaymentMethod.id)


def methods_on_file(session: Session, account_id: int) -> tuple[SavedMethod, ...]:
    """The account's methods on file, oldest first, as the flow sees them."""
    return tuple(saved_view(row)
                 for row in session.execute(_ON_FILE, {"account_id": account_id}))


def is_keyed(source: PaymentSource) -> bool:
    """A card or bank account keyed on this call (held in the card store, no token yet)."""
    return source.kind in ("card", "bank") and not source.token


def keep_on_file(session: Session, account_id: int, source: PaymentSource,
                 token: str) -> SavedPaymentMethod:
    """Keep ``source`` on file for the account under the gateway's ``token`` for it."""
    kind = "bank" if source.is_bank else "card"
    method = SavedPaymentMethod(
        account_id=account_id, kind=kind, gateway_token=token, last4=source.last4,
        brand=source.label if kind == "card" else None,
        bank_account_type=source.label if kind == "bank" else None,
        expiry_mmyy=source.expiry_mmyy or None)
    session.add(method)
    session.flush()
    return method


def keep_for_later(ports: PortBase, account_id: int, source: PaymentSource,
                   call_sid: str) -> SavedPaymentMethod:
    """Keep a new method on file for payments on later dates, before any is charged.

    A card or account keyed on the call goes to the gateway whole and is then forgotten
    here; a card <Pay> collected for later is kept by the token it returned. The gateway is
    asked within the turn's transaction: no money moves, and a rollback leaves at most a
    token the gateway keeps unused. Raises CardEntryLost when the card is no longer held.
    """
    gateway = ports.gateway
    if source.token:
        return keep_on_file(ports.session, account_id, source,
                            gateway.accept_token("bank" if source.is_bank else "card",
                                                 source.token))
    keyed = card_store.get(ports.session, ports.card_key, call_sid)
    if isinstance(keyed, CardDetails) and keyed.complete and not source.is_bank:
        token = gateway.save_card(keyed)
        source = replace(source, expiry_mmyy=keyed.expiry_mmyy)
    elif isinstance(keyed, BankDetails) and source.is_bank:
        holder = ports.session.get_one(Account, account_id).name
        token = gateway.save_bank(replace(keyed, holder_name=holder))
    else:
        raise CardEntryLost("the card or bank account keyed on this call is no longer held")
    card_store.delete(ports.session, call_sid)
    return keep_on_file(ports.session, account_id, source, token)
