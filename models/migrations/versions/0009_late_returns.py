"""settled bank debits are asked about late returns: when last asked, and settled_at indexed

Revision ID: 0009_late_returns
Revises: 0008_card_entry_payment
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0009_late_returns"
down_revision = "0008_card_entry_payment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returns_checked_at",
                                      models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_payments_settled_at"), ["settled_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_settled_at"))
        batch_op.drop_column("returns_checked_at")
