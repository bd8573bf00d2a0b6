"""OperationsRepository: the outbox's backlog and the scheduler's overdue jobs."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database
from storage.models import JobRow, OutboxRow
from storage.operations import Backlog, OperationsRepository
from tests.conftest import START


async def test_an_empty_database_has_no_backlog(db: Database) -> None:
    async with db.sessions.begin() as session:
        assert await OperationsRepository(session).backlog(START) == Backlog(0, 0, None, 0, None)


async def test_the_backlog_counts_pending_and_dead_messages_and_overdue_jobs(db: Database) -> None:
    hour = timedelta(hours=1)
    async with db.sessions.begin() as session:
        for n, (status, created) in enumerate(
            [("pending", START), ("pending", START - hour), ("dead", START), ("sent", START - 2 * hour)]
        ):
            session.add(
                OutboxRow(
                    dedupe_key=f"d{n}",
                    method="chat.postMessage",
                    status=status,
                    next_attempt_at=START,
                    created_at=created,
                )
            )
        for n, (status, due) in enumerate(
            [("pending", START - hour), ("pending", START + hour), ("done", START - 2 * hour)]
        ):
            session.add(JobRow(key=f"j{n}", kind="k", status=status, due_at=due))
        await session.flush()
        assert await OperationsRepository(session).backlog(START) == Backlog(
            outbox_pending=2,
            outbox_dead=1,
            oldest_pending_created_at=START - hour,
            jobs_overdue=1,
            oldest_overdue_due_at=START - hour,
        )
