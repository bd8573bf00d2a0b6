"""The dispatcher's database work is per batch: a claim counts the attempt (no lease renewal per row),
sent rows are settled together, and a crash between a send and its settle posts nothing twice. A claim
takes cards before notifications."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bot.approvals import outbox
from bot.deps import Deps
from bot.features.home import service as home
from bot.standin.web_api import SlackStandIn
from storage import home_viewers
from storage.db import Database
from storage.models import MessageRefRow, OutboxRow
from storage.outbox import OutboxRepository
from tests.approvals.test_outbox_sends import copies_by_marker
from tests.conftest import FakeClock
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli

ROWS = 30


@contextmanager
def outbox_updates(db: Database) -> Iterator[list[str]]:
    """The UPDATE statements on the outbox table run meanwhile (the claim, renewals, settles)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if sql.lstrip().upper().startswith("UPDATE OUTBOX"):
            seen.append(" ".join(sql.split()))

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def enqueue_posts(db: Database, clock: FakeClock, count: int, prefix: str = "note") -> None:
    async with db.sessions.begin() as session:
        for i in range(count):
            await outbox.enqueue(
                session, key=f"{prefix}:{i}", method="chat.postMessage",
                payload={"channel": f"U0N{i:04d}", "text": f"note {i}"}, now=clock(), ref_key=f"{prefix}:{i}",
            )  # fmt: skip


async def rows(db: Database) -> list[OutboxRow]:
    async with db.sessions() as session:
        return list(await session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


async def test_a_batch_is_claimed_and_settled_in_a_few_statements_and_one_connection_pool(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database
) -> None:
    await enqueue_posts(db, clock, ROWS)
    with outbox_updates(db) as updates:
        assert await deps.outbox.dispatch_once() == ROWS
    assert len(standin.calls_to("chat.postMessage")) == ROWS
    sent = await rows(db)
    assert all(r.status == "sent" and r.attempts == 1 and r.claimed_until is None for r in sent)
    async with db.sessions() as session:  # each post's ts is kept for later updates of that message
        assert len((await session.scalars(select(MessageRefRow))).all()) == ROWS
    renewals = [sql for sql in updates if sql.startswith("UPDATE outbox SET claimed_until=")]
    assert renewals == [], renewals[:2]  # the claim's lease is fresh: no renewal before each send
    # One claim, then settles shared by the sends that finished together (was 2 updates per row).
    assert len(updates) <= ROWS // 3, updates
    assert deps.client.sessions_opened == 1  # every call went over the one pooled HTTP session


async def test_a_lease_half_spent_is_renewed_before_the_send(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database
) -> None:
    await enqueue_posts(db, clock, 1)
    [row], _refs = await deps.outbox._claim(clock(), 10)
    clock.advance(outbox.LEASE * 0.6)  # e.g. it waited behind a hung send of the same card
    assert await deps.outbox._still_ours(row)
    assert row.claimed_until == clock() + outbox.LEASE
    assert await deps.outbox._still_ours(row)  # fresh again: no second renewal
    [stored] = await rows(db)
    assert stored.claimed_until == row.claimed_until and stored.attempts == 1


async def test_a_lease_taken_over_by_another_replica_is_not_sent(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database
) -> None:
    await enqueue_posts(db, clock, 1)
    [row], _refs = await deps.outbox._claim(clock(), 10)
    clock.advance(outbox.LEASE + timedelta(seconds=1))  # our lease lapsed; another replica claims it
    [theirs], _refs = await deps.outbox._claim(clock(), 10)
    assert theirs.attempts == 2
    assert not await deps.outbox._still_ours(row)


async def test_killed_between_the_send_and_its_settle_the_retry_posts_nothing_twice(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await enqueue_posts(db, clock, 3, prefix="dm")

    def killed(*_args: Any, **_kwargs: Any) -> None:
        raise asyncio.CancelledError  # the process dies after Slack took the post, before recording it

    with monkeypatch.context() as patched:
        patched.setattr(deps.outbox, "_sent", killed)
        await deps.outbox.dispatch_once()
    assert len(standin.calls_to("chat.postMessage")) == 3
    assert all(r.status == "pending" and r.attempts == 1 for r in await rows(db))
    assert await deps.outbox.dispatch_once() == 0  # still leased by the dead process
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    await deps.outbox.drain()
    assert copies_by_marker(standin) == {"dm:0": 1, "dm:1": 1, "dm:2": 1}
    assert len(standin.calls_to("chat.postMessage")) == 3  # found by the marker, not posted again
    assert len(standin.calls_to("conversations.history")) == 3
    assert all(r.status == "sent" and r.attempts == 2 for r in await rows(db))


async def test_home_refreshes_for_people_who_never_opened_it_are_settled_unloaded_once_due_and_free(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database
) -> None:
    """A refresh for someone who never opened App Home is settled as sent by the claim's first UPDATE,
    without a call and without being loaded or leased (its attempts stay 0), but only once it is due and
    nobody's lease on it runs; a viewer's refresh is claimed and published."""
    home.register(deps)
    async with db.sessions.begin() as session:
        await home_viewers.record(session, "U0VIEW", clock())
        for user, due in (
            ("U0VIEW", clock()),
            ("U0NONE", clock()),
            ("U0LATE", clock() + timedelta(minutes=1)),
        ):
            await outbox.enqueue(
                session, key=f"home:{user}", method=home.REFRESH, payload={"user_id": user}, now=due,
                ref_key=home.REF_PREFIX + user,
            )  # fmt: skip
    claimed, _refs = await deps.outbox._claim(clock(), 10)
    assert [row.payload["user_id"] for row in claimed] == ["U0VIEW"]

    async def states() -> dict[str, tuple[str, int]]:
        return {r.payload["user_id"]: (r.status, r.attempts) for r in await rows(db)}

    assert await states() == {"U0VIEW": ("pending", 1), "U0NONE": ("sent", 0), "U0LATE": ("pending", 0)}
    clock.advance(timedelta(minutes=1))
    async with db.sessions.begin() as session:  # another replica leased it meanwhile
        await session.execute(
            update(OutboxRow)
            .where(OutboxRow.dedupe_key == "home:U0LATE")
            .values(claimed_until=clock() + outbox.LEASE)
        )
    await deps.outbox._claim(clock(), 10)
    assert (await states())["U0LATE"] == ("pending", 0)
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    await deps.outbox._claim(clock(), 10)
    assert (await states())["U0LATE"] == ("sent", 0)
    assert standin.calls_to("views.publish") == []  # nothing was published for either of them


async def test_a_claim_leaves_a_refresh_nobody_looks_at_even_if_it_committed_after_the_settle(
    deps: Deps, clock: FakeClock, db: Database
) -> None:
    """On PostgreSQL each statement reads what has committed by then: a refresh committed between the
    claim transaction's settle and its lease is left by the lease itself (the next claim settles it)."""
    home.register(deps)
    async with db.sessions.begin() as session:
        await home_viewers.record(session, "U0VIEW", clock())
        for user in ("U0NONE", "U0VIEW"):
            await outbox.enqueue(
                session, key=f"home:{user}", method=home.REFRESH, payload={"user_id": user}, now=clock(),
                ref_key=home.REF_PREFIX + user,
            )  # fmt: skip
    unneeded, _settle = deps.outbox._unneeded()
    async with db.sessions.begin() as session:  # the lease alone, as if the settle ran before these rows
        repo = OutboxRepository(session)
        claimed = await repo.claim(clock(), clock() + outbox.LEASE, 10, unneeded=unneeded)
    assert [row.dedupe_key for row in claimed] == ["home:U0VIEW"]
    claimed, _refs = await deps.outbox._claim(clock(), 10)
    assert claimed == [] and {r.dedupe_key: r.status for r in await rows(db)}["home:U0NONE"] == "sent"


async def enqueue(db: Database, clock: FakeClock, rows_: list[tuple[str, str, str | None]]) -> None:
    async with db.sessions.begin() as session:
        for key, method, ref_key in rows_:
            await outbox.enqueue(
                session, key=key, method=method, payload={"channel": "U0AE1", "text": key}, now=clock(),
                ref_key=ref_key,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("queued", "first_two"),
    [
        # (key, method, ref_key) in the order they were written -> the keys the first claim of two takes
        (
            [("dm", "chat.postMessage", None), ("home", "home.refresh", "home:U0AE1"),
             ("card", "chat.update", "card:7:U0AE2:approved:1")],
            ["card", "dm"],
        ),
        (
            [("sf", "salesforce.owner", "sf:A-1"), ("mine", "chat.update", "requested:7"),
             ("post", "chat.postMessage", "card:8:U0AE2")],
            ["mine", "post"],
        ),
        (  # a card's own rows keep their order: its post goes before its update
            [("dm", "chat.postMessage", None), ("post", "chat.postMessage", "card:9:U0AE2"),
             ("update", "chat.update", "card:9:U0AE2")],
            ["post", "update"],
        ),
        (  # no cards waiting: oldest first, as before
            [("dm1", "chat.postMessage", None), ("home", "home.refresh", "home:U0AE1"),
             ("dm2", "chat.postMessage", None)],
            ["dm1", "home"],
        ),
    ],
)  # fmt: skip
async def test_a_claim_takes_cards_before_notifications_and_keeps_each_cards_order(
    deps: Deps,
    clock: FakeClock,
    db: Database,
    queued: list[tuple[str, str, str | None]],
    first_two: list[str],
) -> None:
    await enqueue(db, clock, queued)
    async with db.sessions.begin() as session:
        claimed = await OutboxRepository(session).claim(clock(), clock() + outbox.LEASE, 2)
    assert [row.dedupe_key for row in claimed] == first_two


async def test_in_a_backlog_of_notifications_the_clickers_card_changes_first(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database, directory
) -> None:
    """A quarter-end burst has left hundreds of DMs waiting; the approver's click still rewrites their card
    within the next claim, not behind the backlog (the DMs all go out after it)."""
    sent = await request_hooli(slack, standin)
    backlog = 400
    await enqueue_posts(db, clock, backlog, prefix="burst")
    reply = await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert reply.status == 200
    card = await standin.wait_for("chat.update", lambda c: c.args.get("channel") == "D0AE2", within=10)
    burst_before_card = sum(
        1
        for c in standin.calls[: standin.calls.index(card[0])]
        if str(c.args.get("text", "")).startswith("note")
    )
    assert burst_before_card < backlog - outbox.MAX_CLAIMED // 2, burst_before_card
    await deps.outbox.drain()
    assert copies_by_marker(standin).keys() >= {f"burst:{i}" for i in range(backlog)}


async def test_commits_in_quick_succession_are_claimed_together_and_all_go_out(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database
) -> None:
    """A burst commits a message every few milliseconds, each commit kicking the dispatcher. It claims at
    most every CLAIM_EVERY_SECONDS (a claim is a transaction of several statements however little it takes),
    so one claim leases what several commits left, and every message still goes out once."""
    loop = asyncio.get_running_loop()
    claims: list[float] = []
    leased: list[int] = []  # rows each claim took
    claim = deps.outbox.start_due

    async def recorded(*args: Any, **kwargs: Any) -> int:
        claims.append(loop.time())
        leased.append(await claim(*args, **kwargs))
        return leased[-1]

    deps.outbox.start_due = recorded  # type: ignore[method-assign]
    commits = 30
    for i in range(commits):
        await enqueue_posts(db, clock, 1, prefix=f"quick{i}")
        deps.outbox.kick()
        await asyncio.sleep(0.002)
    await standin.wait_for("chat.postMessage", lambda c: str(c.args.get("text")) == "note 0", commits, 10)
    gaps = [later - earlier for earlier, later in zip(claims, claims[1:], strict=False)]
    assert gaps and min(gaps) >= outbox.CLAIM_EVERY_SECONDS - 0.005, gaps
    # One claim took what several commits left. (How many claims there were depends on how fast this
    # machine commits: on a loaded one the 30 commits take longer, and the paced claims are more.)
    assert max(leased) >= 2, leased
    await deps.outbox.drain()
    assert set(copies_by_marker(standin)) >= {f"quick{i}:0" for i in range(commits)}
    assert all(copies_by_marker(standin)[f"quick{i}:0"] == 1 for i in range(commits))
