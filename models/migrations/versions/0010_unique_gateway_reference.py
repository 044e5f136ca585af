"""one processor charge stands for one payment: a unique index on payments.gateway_reference

Revision ID: 0010_unique_gateway_reference
Revises: 0009_late_returns
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_unique_gateway_reference"
down_revision = "0009_late_returns"
branch_labels = None
depends_on = None

NOT_NULL = sa.text("gateway_reference IS NOT NULL")


def upgrade() -> None:
    # A reference already held by two payments is money counted twice: name them, so an
    # operator settles them (one is not that charge), rather than fail on the index alone.
    shared = op.get_bind().execute(sa.text(
        "SELECT gateway_reference, COUNT(*) FROM payments WHERE gateway_reference IS NOT NULL "
        "GROUP BY gateway_reference HAVING COUNT(*) > 1")).all()
    if shared:
        named = ", ".join(f"{reference} ({count} payments)" for reference, count in shared[:10])
        raise RuntimeError(f"payments share processor references, so one charge is counted "
                           f"for several payments: {named}; correct them, then upgrade again")
    op.create_index("uq_payments_gateway_reference", "payments", ["gateway_reference"],
                    unique=True, sqlite_where=NOT_NULL, postgresql_where=NOT_NULL)


def downgrade() -> None:
    op.drop_index("uq_payments_gateway_reference", table_name="payments")
