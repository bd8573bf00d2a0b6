"""people.e_group: who may be an executive sponsor ("Executive Account Sponsorship Program": e-group)

Revision ID: 0605
Revises: 0604
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0605"
down_revision: str | None = "0604"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("e_group", sa.Boolean(), nullable=False, server_default=sa.false()))
    # The CRO and VPs are e-group unless an org import says otherwise.
    op.execute("UPDATE people SET e_group = true WHERE role IN ('CRO', 'VP')")


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("e_group")
