"""placeholder for the hardening migration (replaced when that branch lands)

Revision ID: 0002_hardening
Revises: 0001
"""

revision = "0002_hardening"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
