"""import staging: a file's rows are loaded in short transactions, then applied in one short one

Revision ID: 0602
Revises: 0604
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0602"
down_revision: str | None = "0605"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staged_accounts",
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("employees_datafox", sa.Integer(), nullable=True),
        sa.Column("employees_zoominfo", sa.Integer(), nullable=True),
        sa.Column("employees_override", sa.Integer(), nullable=True),
        sa.Column("override_country", sa.String(length=8), nullable=True),
        sa.Column("override_state", sa.String(length=16), nullable=True),
        sa.Column("datafox_country", sa.String(length=8), nullable=True),
        sa.Column("datafox_state", sa.String(length=16), nullable=True),
        sa.Column("zoominfo_country", sa.String(length=8), nullable=True),
        sa.Column("zoominfo_state", sa.String(length=16), nullable=True),
        sa.Column("shipping_country", sa.String(length=8), nullable=True),
        sa.Column("shipping_state", sa.String(length=16), nullable=True),
        sa.Column("billing_country", sa.String(length=8), nullable=True),
        sa.Column("billing_state", sa.String(length=16), nullable=True),
        sa.Column("public_sector", sa.Boolean(), nullable=False),
        sa.Column("sdr", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "account_id"),
    )
    op.create_table(
        "staged_opportunities",
        sa.Column("import_id", sa.String(length=32), nullable=False),
        sa.Column("opportunity_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("created_date", sa.Date(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("parent_opportunity_id", sa.String(length=64), nullable=True),
        sa.Column("sdr", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "opportunity_id"),
    )


def downgrade() -> None:
    op.drop_table("staged_opportunities")
    op.drop_table("staged_accounts")
