"""NACHA TEL authorisations: the key pressed to agree, and AutoPay's standing authorisation

Revision ID: 0007_tel_authorization
Revises: 0006_keep_token
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0007_tel_authorization"
down_revision = "0006_keep_token"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorization_key", sa.String(length=1), nullable=True))
    with op.batch_alter_table("autopay_enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorization_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("authorized_at", models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("authorization_key", sa.String(length=1), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("autopay_enrollments", schema=None) as batch_op:
        batch_op.drop_column("authorization_key")
        batch_op.drop_column("authorized_at")
        batch_op.drop_column("authorization_text")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("authorization_key")
