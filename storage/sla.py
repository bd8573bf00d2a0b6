"""Contact Us and professional-service requests under their SLA."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SlaRequestRow


class SlaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: SlaRequestRow) -> SlaRequestRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def lock(self, sla_id: int) -> SlaRequestRow | None:
        """The row, locked for this transaction (PostgreSQL row lock; SQLite writers are serialized)."""
        return await self.session.scalar(
            select(SlaRequestRow)
            .where(SlaRequestRow.id == sla_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def open_for(
        self, user: str | None, limit: int = 50, *, owned: bool = False
    ) -> list[SlaRequestRow]:
        """Open requests the user owns, manages or logged (`owned`: owns); everyone's when `user` is None."""
        stmt = select(SlaRequestRow).where(SlaRequestRow.status == "open")
        if user is not None and owned:
            stmt = stmt.where(SlaRequestRow.owner == user)
        elif user is not None:
            stmt = stmt.where(
                or_(
                    SlaRequestRow.owner == user,
                    SlaRequestRow.manager == user,
                    SlaRequestRow.logged_by == user,
                )
            )
        rows = await self.session.scalars(stmt.order_by(SlaRequestRow.due_at, SlaRequestRow.id).limit(limit))
        return list(rows)
