"""HoldoverRepository: holdover opportunities and moving an opportunity to its new owner. Never commits."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.directory import OPPORTUNITIES, DirectoryRepository
from storage.models import HoldoverRow, OpportunityRow

RUNNING = ("running", "extension_requested")
_INVOLVING = (  # built once: App Home reads it on every refresh
    select(HoldoverRow)
    .where(or_(HoldoverRow.original_owner == bindparam("user"), HoldoverRow.new_owner == bindparam("user")))
    .order_by(HoldoverRow.ends_on, HoldoverRow.id)
    .limit(bindparam("limit"))
)


class HoldoverRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: HoldoverRow) -> HoldoverRow:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, holdover_id: int) -> HoldoverRow | None:
        return await self.session.get(HoldoverRow, holdover_id, populate_existing=True)

    async def lock(self, holdover_id: int) -> HoldoverRow | None:
        """Take the row's write lock before reading it, so two jobs or clicks on it run one at a time."""
        result = await self.session.execute(
            update(HoldoverRow).where(HoldoverRow.id == holdover_id).values(updated_at=HoldoverRow.updated_at)
        )
        if not result.rowcount:
            return None
        return await self.get(holdover_id)

    async def latest_for_opportunity(self, opportunity_id: str) -> HoldoverRow | None:
        return await self.session.scalar(
            select(HoldoverRow)
            .where(HoldoverRow.opportunity_id == opportunity_id)
            .order_by(HoldoverRow.id.desc())
            .limit(1)
        )

    async def involving(self, user: str, limit: int = 40) -> list[HoldoverRow]:
        """Holdovers where `user` is the original or the new owner, running first, soonest to end first."""
        rows = await self.session.scalars(_INVOLVING, {"user": user, "limit": limit})
        return sorted(rows, key=lambda r: r.status not in RUNNING)

    async def running_for_new_owner(self, new_owner: str, today: date) -> list[HoldoverRow]:
        rows = await self.session.scalars(
            select(HoldoverRow)
            .where(
                HoldoverRow.new_owner == new_owner,
                HoldoverRow.status.in_(RUNNING),
                HoldoverRow.ends_on >= today,
            )
            .order_by(HoldoverRow.ends_on)
        )
        return list(rows)

    async def set_opportunity_owner(self, opportunity_id: str, owner: str) -> None:
        await self.session.execute(
            update(OpportunityRow).where(OpportunityRow.opportunity_id == opportunity_id).values(owner=owner)
        )
        await DirectoryRepository(self.session).bump_version(OPPORTUNITIES)
