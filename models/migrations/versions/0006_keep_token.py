"""keep token: the gateway's token for a new method paid with, until the call ends

Revision ID: 0006_keep_token
Revises: 0005_sms_delivery
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_keep_token"
down_revision = "0005_sms_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keep_token", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("keep_token")
