"""sms delivery: the status Twilio's callback reports, and the message SID it is found by

Revision ID: 0005_sms_delivery
Revises: 0004_card_entries
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_sms_delivery"
down_revision = "0004_card_entries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_status", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_sms_outbox_provider_sid"), ["provider_sid"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_outbox_provider_sid"))
        batch_op.drop_column("delivery_status")
