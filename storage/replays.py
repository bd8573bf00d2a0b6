"""Signed Slack requests already handled, by a digest of their own ids, kept until Slack's window closes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import SeenRequestRow
from storage.upsert import insert_ignore


class SeenRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, key: str, expires_at: datetime) -> bool:
        """Record `key`; False when it was already recorded (the request is a replay)."""
        return await insert_ignore(
            self.session, SeenRequestRow, {"key": key, "expires_at": expires_at}, ["key"]
        )

    async def purge(self, now: datetime) -> None:
        await self.session.execute(delete(SeenRequestRow).where(SeenRequestRow.expires_at < now))
