"""card entries name the payment they were written ahead for; a kept card's expiry

Revision ID: 0008_card_entry_payment
Revises: 0007_tel_authorization
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_card_entry_payment"
down_revision = "0007_tel_authorization"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("card_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_key", sa.String(length=128), nullable=True))
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keep_expiry", sa.String(length=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("keep_expiry")
    with op.batch_alter_table("card_entries", schema=None) as batch_op:
        batch_op.drop_column("payment_key")
