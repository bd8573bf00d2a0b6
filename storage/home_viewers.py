"""Who has opened the bot's App Home (Slack's `app_home_opened`): only their Home is republished when
something changes for them. Never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HomeViewerRow
from storage.upsert import insert_ignore


async def record(session: AsyncSession, user_id: str, now: datetime) -> None:
    """`user_id` opened App Home (the first time counts; opening it again changes nothing)."""
    await insert_ignore(session, HomeViewerRow, {"user_id": user_id, "first_opened_at": now}, ["user_id"])


async def among(session: AsyncSession, user_ids: Iterable[str]) -> set[str]:
    """Which of `user_ids` have opened App Home: one query for a whole batch of refreshes."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return set()
    found = await session.scalars(select(HomeViewerRow.user_id).where(HomeViewerRow.user_id.in_(wanted)))
    return set(found)
