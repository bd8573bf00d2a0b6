"""JobRepository: the scheduler's jobs (bot/scheduler.py), claimed with a lease. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import leases
from storage.models import JobRow
from storage.upsert import insert_ignore


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(self, *, key: str, kind: str, due_at: datetime, payload: dict[str, Any]) -> bool:
        """Add a job unless one with this key exists; True if added."""
        return await insert_ignore(
            self.session,
            JobRow,
            {
                "key": key,
                "kind": kind,
                "payload": payload,
                "due_at": due_at,
                "status": "pending",
                "attempts": 0,
            },
            ["key"],
        )

    async def cancel(self, key_prefix: str) -> None:
        await self.session.execute(
            update(JobRow)
            .where(JobRow.key.like(key_prefix + "%"), JobRow.status == "pending")
            .values(status="cancelled")
        )

    async def claim_one(self, worker: str, now: datetime, until: datetime) -> JobRow | None:
        """The first due job, leased to `worker` (its attempt counted), or None."""
        claimed = await leases.claim(
            self.session,
            JobRow,
            due=JobRow.due_at <= now,
            now=now,
            until=until,
            order_by=JobRow.due_at,
            limit=5,
            take=1,
            values={"claimed_by": worker, "attempts": JobRow.attempts + 1},
        )
        return claimed[0] if claimed else None

    async def get(self, job_id: int) -> JobRow:
        return await self.session.get_one(JobRow, job_id)

    async def done_if_mine(self, job_id: int, worker: str, now: datetime) -> None:
        """Mark a long job done, unless another replica took it over after our lease lapsed."""
        await self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.claimed_by == worker)
            .values(status="done", done_at=now, claimed_until=None)
        )

    async def failed(self, job_id: int, *, error: str, retry_at: datetime, dead: bool) -> None:
        await self.session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                claimed_until=None, due_at=retry_at, last_error=error, status="dead" if dead else "pending"
            )
        )
