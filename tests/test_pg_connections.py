"""PostgreSQL closes the bot's pooled connections (a restart, a failover, a terminated backend): the next
requests are answered as if nothing happened, with no ping per checkout to find that out."""

from __future__ import annotations

import asyncio
import logging
import os

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from bot.deps import Deps
from bot.standin.web_api import SlackStandIn
from storage.db import POOL_SIZE, READ_POOL_SIZE, Database, FairQueuePool, is_sqlite
from tests.slack.client import SlackClient
from tests.test_ownership import owner_of, request_hooli

pytestmark = pytest.mark.skipif(
    is_sqlite(os.environ.get("GTM_TEST_DATABASE_URL") or "sqlite+aiosqlite://"),
    reason="a database server closing connections is PostgreSQL's (SQLite has no server); CI runs this there",
)


async def close_every_other_connection(db: Database) -> int:
    """Terminate every other client backend of the test database, as a restart would, and wait until each
    has exited (its socket closed). Returns how many it terminated."""
    url = make_url(db.url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
    )
    try:
        pids = [
            row["pid"]
            for row in await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
        ]
        # Each waits for the backend's exit; False: it had ended meanwhile.
        ended = [await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid) for pid in pids]
    finally:
        await admin.close()
    return sum(ended)


async def test_requests_after_the_server_closed_the_pooled_connections_are_answered(
    slack: SlackClient,
    standin: SlackStandIn,
    db: Database,
    deps: Deps,
    directory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing in the process meets a closed connection: not the click, the look-up or the outbox."""
    sent = await request_hooli(slack, standin)  # the pool now holds connections the server will close
    # The outbox's own loop stops (its sends settled), so no connection is in use when the server closes
    # them; it is run by hand below, on the pool as the requests left it.
    await deps.outbox.stop()
    await deps.outbox.drain()
    caplog.set_level(logging.ERROR)
    assert await close_every_other_connection(db) >= 1

    reply = await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert reply.status == 200 and not reply.body, reply.body
    assert await owner_of(db, "A-HOOLI") == "U0AE1"
    assert not [c for c in standin.calls if c.method == "chat.postEphemeral"]  # no "try again" apology

    assert await close_every_other_connection(db) >= 1
    answer = await slack.command("owner Initech", "U0AE1")  # a look-up: the read pool's connections too
    assert answer.status == 200 and "*Owner:* <@U0SAL1>" in answer.text, answer.body
    await deps.outbox.drain()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


async def test_a_burst_keeps_its_connections_for_the_next_one(db: Database) -> None:
    """Twenty transactions at once take turns at the pool's POOL_SIZE connections; the next twenty reuse
    them. A pool that closed what it opened on overflow (SQLAlchemy's default) reconnected for every burst:
    a backend started, and seven more round trips per click at 50 in flight (bench.profile)."""
    opened: list[object] = []
    event.listen(db.engine.sync_engine, "connect", lambda connection, _record: opened.append(connection))

    async def hold() -> None:
        async with db.sessions.begin() as session:
            await session.execute(text("SELECT pg_sleep(0.05)"))

    await asyncio.gather(*(hold() for _ in range(20)))
    first = len(opened)
    assert 20 > POOL_SIZE >= first > 1
    assert isinstance(db.engine.pool, FairQueuePool)  # the ones waiting take turns in order (test_fair_pool)
    for _ in range(3):
        await asyncio.gather(*(hold() for _ in range(20)))
    assert len(opened) == first


async def test_a_pool_the_server_partly_refuses_opens_what_it_may_and_says_why(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """`gtm-bot serve` opens each process's POOL_SIZE connections as it starts; where PostgreSQL allows
    fewer (its max_connections, here a role's connection limit), it opens those and the log says what to
    size."""
    url = make_url(db.url)
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    await admin.execute("DROP ROLE IF EXISTS gtm_few_connections")
    await admin.execute("CREATE ROLE gtm_few_connections LOGIN CONNECTION LIMIT 4")
    few = Database(url.set(username="gtm_few_connections").render_as_string(hide_password=False))
    try:
        with caplog.at_level(logging.WARNING, logger="storage.db"):
            assert await few.open_pool() == 4
        said = caplog.text
        assert f"opened 4 of this process's {POOL_SIZE} connections (too many connections for role" in said
        assert f"size max_connections for --workers × {POOL_SIZE + READ_POOL_SIZE}" in said
        assert await db.open_pool() == POOL_SIZE  # the test database's own user may open them all
    finally:
        await few.dispose()
        await admin.execute("DROP ROLE gtm_few_connections")
        await admin.close()
