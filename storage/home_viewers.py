"""Who has opened the bot's App Home (Slack's `app_home_opened`): only their Home is republished when
something changes for them. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HomeViewerRow
from storage.upsert import insert_ignore


async def record(session: AsyncSession, user_id: str, now: datetime) -> None:
    """`user_id` opened App Home (the first time counts; opening it again changes nothing)."""
    await insert_ignore(session, HomeViewerRow, {"user_id": user_id, "first_opened_at": now}, ["user_id"])


def keyed(prefix: str) -> Select[tuple[str]]:
    """Every viewer as `prefix` + their user id: a subquery that rows keyed by person (the outbox's Home
    refreshes) are matched against in SQL, without loading either."""
    return select(literal(prefix) + HomeViewerRow.user_id)
