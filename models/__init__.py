"""The schema: SQLAlchemy 2.x typed models. Changes go through Alembic migrations."""

from models.account import Account
from models.audit import AuditEvent
from models.base import Base, utcnow
from models.call import CallSession
from models.call_turn import CallTurn
from models.callback import CallbackRequest
from models.card_entry import CardEntry
from models.dispute import Dispute
from models.methods import Arrangement, AutopayEnrollment, SavedPaymentMethod
from models.payment import Payment
from models.refusals import WebhookRefusal
from models.sandbox import SandboxCharge
from models.sms import SmsMessage

__all__ = [
    "Account",
    "Arrangement",
    "AuditEvent",
    "AutopayEnrollment",
    "Base",
    "CallSession",
    "CallTurn",
    "CallbackRequest",
    "CardEntry",
    "Dispute",
    "Payment",
    "SandboxCharge",
    "SavedPaymentMethod",
    "SmsMessage",
    "WebhookRefusal",
    "utcnow",
]
