"""A write lock held elsewhere (a long import, a locked table) never keeps a click past Slack's 3 seconds.

The lock is held by another connection, as another process would: BEGIN IMMEDIATE on SQLite, LOCK TABLE on
PostgreSQL. Or this process's own long transactions hold all it writes with (every pooled connection, the
one turn to write). Clicks and modal submits answer within 2.5 s, say honestly that nothing was recorded,
change nothing, and work when tried again once the lock or the connections are free.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import func, select, text

from bot.standin.web_api import SlackStandIn
from storage.db import POOL_SIZE, Database, create_engine, is_sqlite
from storage.models import AuditRow, DecisionRow, RequestRow
from tests.slack.client import SlackClient, text_value, visible_text
from tests.test_ownership import claim_values, owner_of, request_hooli

ANSWER_WITHIN = 2.5


@contextlib.asynccontextmanager
async def write_lock_held(db: Database) -> AsyncIterator[None]:
    """Another connection holds the write lock (SQLite) or locks the tables a decision writes (PostgreSQL)."""
    engine = create_engine(db.url)
    try:
        async with engine.connect() as conn:
            if is_sqlite(db.url):
                await conn.begin()  # BEGIN IMMEDIATE: the database's one write lock
                await conn.execute(text("UPDATE people SET name = name WHERE 1 = 0"))
            else:
                await conn.begin()
                await conn.execute(
                    text("LOCK TABLE requests, request_steps, decisions, accounts IN EXCLUSIVE MODE")
                )
            yield
            await conn.rollback()
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def every_writer_busy(db: Database) -> AsyncIterator[None]:
    """Long transactions of this process hold all it writes with: on PostgreSQL every connection of its pool
    (POOL_SIZE), on SQLite its one turn to write (storage/db.py WriteTurns)."""
    async with contextlib.AsyncExitStack() as held:
        if is_sqlite(db.url):
            await held.enter_async_context(db.sessions.begin())
        else:
            for _ in range(POOL_SIZE):
                conn = await held.enter_async_context(db.engine.connect())
                await conn.execute(text("SELECT 1"))
        yield


async def counts(db: Database) -> tuple[int, int]:
    async with db.reads() as session:
        decisions = await session.scalar(select(func.count()).select_from(DecisionRow))
        requests = await session.scalar(select(func.count()).select_from(RequestRow))
    return int(decisions or 0), int(requests or 0)


async def timed(work) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = await work
    return time.monotonic() - started, result


@pytest.mark.parametrize(
    "held",
    [
        pytest.param(write_lock_held, id="another connection's lock"),
        # The click waits for one of its own connections only until its deadline (storage/db.py FairQueue
        # on PostgreSQL, where the pool's own time-out is 30 s).
        pytest.param(every_writer_busy, id="every connection of its own"),
    ],
)
async def test_an_approve_click_during_a_held_write_lock_answers_in_time_and_changes_nothing(
    held: Callable[[Database], contextlib.AbstractAsyncContextManager[None]],
    slack: SlackClient,
    standin: SlackStandIn,
    db: Database,
    directory,
) -> None:
    sent = await request_hooli(slack, standin)
    before = await counts(db)
    async with held(db):
        took, reply = await timed(slack.click("U0AE2", "approval.approve", sent["approve"]["value"]))
        assert took < ANSWER_WITHIN, took
        assert reply.status == 200, reply.body
        told = await standin.wait_for("chat.postEphemeral", lambda c: c.args["user"] == "U0AE2")
        assert "Not recorded" in visible_text(told[-1].args)
        assert "nothing was changed" in visible_text(told[-1].args)
    assert await counts(db) == before
    assert await owner_of(db, "A-HOOLI") == "U0AE2"
    # Released: the same click now works.
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert await owner_of(db, "A-HOOLI") == "U0AE1"


async def test_a_claim_submitted_during_a_held_write_lock_answers_in_time_and_can_be_resubmitted(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    values = claim_values("U0AE1", "I run their renewal")
    before = await counts(db)
    async with write_lock_held(db):
        took, reply = await timed(
            slack.submit("U0AE1", "ownership.claim", values, private_metadata="A-HOOLI")
        )
        assert took < ANSWER_WITHIN, took
        assert reply.json["response_action"] == "errors", reply.body
        assert "Not recorded" in reply.json["errors"]["reason"]
    assert await counts(db) == before
    reply = await slack.submit("U0AE1", "ownership.claim", values, private_metadata="A-HOOLI")
    assert reply.json["response_action"] == "update", reply.body
    assert (await counts(db))[1] == before[1] + 1


async def test_a_reject_reason_submitted_during_a_held_write_lock_answers_in_time(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    values = text_value("reason", "Ben keeps it: open renewal")
    metadata = sent["approve"]["value"]
    async with write_lock_held(db):
        took, reply = await timed(
            slack.submit("U0AE2", "approval.reject_reason", values, private_metadata=metadata)
        )
        assert took < ANSWER_WITHIN, took
        assert "Not recorded" in reply.json["errors"]["reason"]
    async with db.reads() as session:
        assert await session.scalar(select(RequestRow.status)) == "pending"
    reply = await slack.submit("U0AE2", "approval.reject_reason", values, private_metadata=metadata)
    assert reply.status == 200 and not reply.body, reply.body
    async with db.reads() as session:
        assert await session.scalar(select(RequestRow.status)) == "rejected"


async def test_several_clicks_queued_behind_a_held_lock_all_answer_in_time(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    """This process's own writers queue (SQLite's in-process FIFO) within the same deadline."""
    sent = await request_hooli(slack, standin)
    async with write_lock_held(db):
        started = time.monotonic()
        replies = await asyncio.gather(
            *(slack.click("U0AE2", "approval.approve", sent["approve"]["value"]) for _ in range(5))
        )
        assert time.monotonic() - started < ANSWER_WITHIN
        assert all(r.status == 200 for r in replies)
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(DecisionRow)) == 0
        assert not await session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.action == "approved")
        )


async def test_while_a_click_waits_for_a_held_write_lock_other_commands_are_answered_at_once(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    """The click's wait for the lock never stops this process's event loop (on SQLite its writes run in
    the loop's thread and take the lock by retrying BEGIN IMMEDIATE between sleeps on the loop)."""
    sent = await request_hooli(slack, standin)
    async with write_lock_held(db):
        click = asyncio.create_task(slack.click("U0AE2", "approval.approve", sent["approve"]["value"]))
        await asyncio.sleep(0.2)  # the click is waiting for the lock now
        took, reply = await timed(slack.command("SAO", "U0AE1", command="/glossary"))
        assert not click.done()
        assert reply.status == 200 and "Sales Accepted Opportunity" in reply.text, reply.body
        assert took < 1.0, took  # the click waits up to 2 s; a blocked loop would answer after it
        assert (await click).status == 200
    assert await counts(db) == (0, 1)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert await owner_of(db, "A-HOOLI") == "U0AE1"
