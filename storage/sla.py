"""Contact Us and professional-service requests under their SLA."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SlaRequestRow

_USER = bindparam("user")
_OPEN_FOR = {  # built once, by whose (None: everyone's; True: the user owns; False: also manages or logged)
    None: SlaRequestRow.status == "open",
    True: (SlaRequestRow.status == "open") & (SlaRequestRow.owner == _USER),
    False: (SlaRequestRow.status == "open")
    & or_(SlaRequestRow.owner == _USER, SlaRequestRow.manager == _USER, SlaRequestRow.logged_by == _USER),
}
_OPEN = {
    whose: select(SlaRequestRow)
    .where(condition)
    .order_by(SlaRequestRow.due_at, SlaRequestRow.id)
    .limit(bindparam("limit"))
    for whose, condition in _OPEN_FOR.items()
}


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
        stmt = _OPEN[None if user is None else owned]
        rows = await self.session.scalars(stmt, {"user": user, "limit": limit})
        return list(rows)
