"""The job scheduler: due jobs run once, across replicas and restarts, and failures retry."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.deps import Deps
from bot.scheduler import JobContext, Scheduler, schedule
from storage.models import JobRow
from tests.conftest import FakeClock


async def test_a_due_job_runs_once_even_with_several_replicas(deps: Deps, clock: FakeClock) -> None:
    ran: list[str] = []

    async def handler(job: JobContext) -> None:
        await asyncio.sleep(0.01)
        ran.append(job.payload["who"])

    deps.jobs["test.hello"] = handler
    async with deps.db.sessions.begin() as session:
        assert await schedule(
            session,
            key="hello:1",
            kind="test.hello",
            due_at=clock.now + timedelta(hours=1),
            payload={"who": "Ava"},
        )
        assert not await schedule(session, key="hello:1", kind="test.hello", due_at=clock.now, payload={})
    replicas = [Scheduler(deps), Scheduler(deps), Scheduler(deps)]
    assert sum(await asyncio.gather(*(r.tick() for r in replicas))) == 0  # not due yet
    clock.advance(timedelta(hours=2))  # "the app was down when it fell due"
    assert sum(await asyncio.gather(*(r.tick() for r in replicas))) == 1
    assert ran == ["Ava"]
    assert sum(await asyncio.gather(*(r.tick() for r in replicas))) == 0


async def test_a_failing_job_is_retried_later_and_its_writes_roll_back(deps: Deps, clock: FakeClock) -> None:
    calls = 0

    async def flaky(job: JobContext) -> None:
        nonlocal calls
        calls += 1
        await schedule(job.ctx.session, key=f"side-effect:{calls}", kind="none", due_at=clock.now)
        if calls == 1:
            raise RuntimeError("Slack was down")

    deps.jobs["test.flaky"] = flaky
    async with deps.db.sessions.begin() as session:
        await schedule(session, key="flaky", kind="test.flaky", due_at=clock.now)
    scheduler = Scheduler(deps)
    await scheduler.tick()
    async with deps.db.reads() as session:
        keys = set(await session.scalars(select(JobRow.key)))
    assert "side-effect:1" not in keys  # rolled back with the failure
    assert await scheduler.tick() == 0  # backing off
    clock.advance(timedelta(minutes=5))
    await scheduler.tick()
    async with deps.db.reads() as session:
        job = await session.scalar(select(JobRow).where(JobRow.key == "flaky"))
        keys = set(await session.scalars(select(JobRow.key)))
    assert job is not None and job.status == "done" and calls == 2
    assert "side-effect:2" in keys
