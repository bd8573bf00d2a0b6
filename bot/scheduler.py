"""The scheduler inside the app: due jobs are claimed in the database, so several replicas can run it.

A job is a row (`jobs`) with a unique key, a kind, a due time and a payload. Each replica polls; a due job
is claimed with a lease by one of them, its handler runs inside a transaction that also marks it done, so
its writes (and the outbox rows it adds) commit together with "done". A job missed while every replica
was down is simply due when one comes back, and runs once. Handlers register by kind in `deps.jobs`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.approvals import service
from bot.background import BackgroundTask
from storage.jobs import JobRepository
from storage.models import JobRow

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)


@dataclass
class JobContext:
    """What a handler gets: the engine's Context (session, clock, notify...) and the job itself."""

    ctx: service.Context
    job: JobRow

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload


JobHandler = Callable[[JobContext], Awaitable[None]]


async def schedule(
    session: AsyncSession, *, key: str, kind: str, due_at: datetime, payload: dict[str, Any] | None = None
) -> bool:
    """Add a job unless one with this key exists (so scheduling twice is harmless); True if added."""
    return await JobRepository(session).schedule(key=key, kind=kind, due_at=due_at, payload=payload or {})


async def cancel(session: AsyncSession, key_prefix: str) -> None:
    await JobRepository(session).cancel(key_prefix)


class Scheduler(BackgroundTask):
    name = "scheduler"

    def __init__(self, deps: Deps, poll_seconds: float = 30.0) -> None:
        super().__init__()
        self.deps = deps
        self.poll_seconds = poll_seconds
        self.worker = uuid.uuid4().hex[:12]

    async def _run(self) -> None:
        while not self.stopping:
            try:
                await self.tick()
            except Exception:  # the database may be away; try again next tick
                log.exception("scheduler tick failed")
            await self.pause(self.poll_seconds)

    async def tick(self) -> int:
        """One pass: approval reminders, then every due job. Returns how many jobs ran."""
        try:
            await service.send_reminders(self.deps)
        except Exception:  # a broken reminder must not stop holdover transfers and dated jobs
            log.exception("approval reminders failed; running the due jobs anyway")
        ran = 0
        while not self.stopping:  # a stop lets the job under way finish, and claims no more
            job = await self._claim()
            if job is None:
                break
            await self._run_one(job)
            ran += 1
        if ran:
            self.deps.outbox.kick()
        return ran

    async def _claim(self) -> JobRow | None:
        now = self.deps.clock()
        async with self.deps.db.sessions.begin() as session:
            return await JobRepository(session).claim_one(self.worker, now, now + LEASE)

    async def _run_one(self, job: JobRow) -> None:
        handler = self.deps.jobs.get(job.kind)
        now = self.deps.clock()
        long_job = self.deps.long_jobs.get(job.kind)
        try:
            if long_job is not None:
                # Its own transactions (a sync pass commits page by page); the lease keeps other replicas off.
                await long_job(self.deps, job)
                async with self.deps.db.sessions.begin() as session:
                    await JobRepository(session).done_if_mine(job.id, self.worker, now)
                return
            async with self.deps.db.sessions.begin() as session:
                row = await JobRepository(session).get(job.id)
                if row.status != "pending" or row.claimed_by != self.worker:
                    return  # someone else took it over after our lease lapsed
                if handler is None:
                    row.status, row.last_error = "dead", f"no handler for {job.kind!r}"
                    return
                await handler(JobContext(service.Context(self.deps, session, now, "gtm-bot"), row))
                row.status, row.done_at, row.claimed_until = "done", now, None
        except Exception as exc:
            log.exception("job %s (%s) failed", job.key, job.kind)
            backoff = timedelta(minutes=min(60, 2 ** min(job.attempts, 6)))
            async with self.deps.db.sessions.begin() as session:
                await JobRepository(session).failed(
                    job.id,
                    error=f"{type(exc).__name__}: {exc}"[:500],
                    retry_at=now + backoff,
                    dead=job.attempts >= 10,
                )
