"""Segment and hierarchy reviews: the open review requests and the account fields a review changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.directory import DirectoryRepository
from storage.models import AccountRow, RequestRow


class ReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def in_queue(self, kind: str, limit: int = 2000) -> list[RequestRow]:
        """Reviews waiting for a decision or approved and waiting for Q1, oldest first."""
        rows = await self.session.scalars(
            select(RequestRow)
            .where(RequestRow.kind == kind, RequestRow.status.in_(("pending", "approved")))
            .order_by(RequestRow.created_at, RequestRow.id)
            .limit(limit)
        )
        return list(rows)

    async def set_employees_override(self, account_id: str, count: int) -> bool:
        row = await self.session.get(AccountRow, account_id)
        if row is None:
            return False
        row.employees_override = count
        await self.session.flush()
        await DirectoryRepository(self.session).touch_hierarchies([row.root_id])
        return True

    async def set_override_address(self, account_id: str, country: str, state: str | None) -> bool:
        row = await self.session.get(AccountRow, account_id)
        if row is None:
            return False
        row.override_country, row.override_state = country, state or None
        await self.session.flush()
        await DirectoryRepository(self.session).touch_hierarchies([row.root_id])
        return True
