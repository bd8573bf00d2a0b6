"""outbox.card: cards (an approver's, the requester's copy) are claimed in their own lane, on their own index

Revision ID: 0607
Revises: 0606
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0607"
down_revision: str | None = "0606"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("card", sa.Boolean(), nullable=False, server_default=sa.false()))
    # storage/outbox.py CARD_PREFIXES (storage/requests.py card_ref and requested_ref)
    op.execute("UPDATE outbox SET card = true WHERE ref_key LIKE 'card:%' OR ref_key LIKE 'requested:%'")
    op.create_index("ix_outbox_lane_due", "outbox", ["status", "card", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_lane_due", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("card")
