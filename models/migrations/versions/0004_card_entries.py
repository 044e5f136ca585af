"""card entries: the encrypted, short-lived store of a card being keyed

Revision ID: 0004_card_entries
Revises: 0003_ledger
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0004_card_entries"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_entries",
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_sid", name=op.f("pk_card_entries")),
    )


def downgrade() -> None:
    op.drop_table("card_entries")
