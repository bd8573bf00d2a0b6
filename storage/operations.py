"""What an operator watches, read at scrape time: the outbox's backlog and the scheduler's lag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRow, OutboxRow


@dataclass(frozen=True, slots=True)
class Backlog:
    outbox_pending: int
    outbox_dead: int
    oldest_pending_created_at: datetime | None
    jobs_overdue: int
    oldest_overdue_due_at: datetime | None


class OperationsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def backlog(self, now: datetime) -> Backlog:
        """Counts over the (status, ...) indexes; sent rows and done jobs are never scanned."""
        outbox = {
            status: (count, oldest)
            for status, count, oldest in (
                await self.session.execute(
                    select(OutboxRow.status, func.count(), func.min(OutboxRow.created_at))
                    .where(OutboxRow.status.in_(("pending", "dead")))
                    .group_by(OutboxRow.status)
                )
            ).all()
        }
        overdue, oldest_due = (
            await self.session.execute(
                select(func.count(), func.min(JobRow.due_at)).where(
                    JobRow.status == "pending", JobRow.due_at <= now
                )
            )
        ).one()
        return Backlog(
            outbox_pending=outbox.get("pending", (0, None))[0],
            outbox_dead=outbox.get("dead", (0, None))[0],
            oldest_pending_created_at=outbox.get("pending", (0, None))[1],
            jobs_overdue=overdue or 0,
            oldest_overdue_due_at=oldest_due,
        )
