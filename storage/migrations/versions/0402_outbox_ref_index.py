"""Index outbox.ref_key: a finished request looks up the requester's message by it.

Revision ID: 0402
Revises: 0401
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0402"
down_revision: str | None = "0401"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.create_index("ix_outbox_ref_key", ["ref_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_ref_key")
