"""The outbox against a slow or hung Slack: no second live copy of a post, no channel holding up another."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.approvals import outbox
from bot.deps import Deps
from bot.standin.web_api import Fault, SlackStandIn
from tests.conftest import FakeClock
from tests.slack.client import SlackClient
from tests.test_ownership import buttons, request_hooli


def copies_by_marker(standin: SlackStandIn) -> dict[str, int]:
    seen: dict[str, int] = {}
    for messages in standin.messages.values():
        for message in messages:
            key = message.get("metadata", {}).get("event_payload", {}).get("key")
            if key:
                seen[key] = seen.get(key, 0) + 1
    return seen


async def test_a_post_answered_after_the_client_gave_up_is_not_posted_again(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, clock: FakeClock, directory
) -> None:
    deps.outbox.client.timeout = 0.5  # Slack answers each of these posts after the client stopped waiting
    standin.fail_next("chat.postMessage", Fault(slow=True, delay=1.0), times=3)
    sent = await request_hooli(slack, standin)
    for _ in range(3):  # the retries come due
        await asyncio.sleep(1.1)
        clock.advance(timedelta(minutes=1))
        await deps.outbox.drain()
    copies = copies_by_marker(standin)
    assert copies and set(copies.values()) == {1}, copies
    assert standin.calls_to("conversations.history")  # the retry looked before posting
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await deps.outbox.drain()
    [card] = [m for m in standin.messages["D0AE2"] if "card:" in str(m.get("metadata"))]
    assert buttons(card) == []  # the one copy was neutralised by the decision


async def test_a_retry_that_finds_two_landed_copies_keeps_one(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db
) -> None:
    deps.outbox.client.timeout = 0.3
    standin.fail_next("chat.postMessage", Fault(slow=True, delay=0.6), times=2)
    async with db.sessions.begin() as session:
        await outbox.enqueue(
            session, key="note:1", method="chat.postMessage", payload={"channel": "U0AE1", "text": "hi"},
            now=clock(),
        )  # fmt: skip
    for _ in range(3):
        await deps.outbox.drain()
        await asyncio.sleep(0.7)
        clock.advance(timedelta(minutes=1))
    await deps.outbox.drain()
    assert copies_by_marker(standin) == {"note:1": 1}


async def test_one_hung_channel_delays_no_other_notification(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "STOP_GRACE_SECONDS", 0.1)  # the hung sends are cancelled at the end
    standin.hung_channels["U0HUNG1"] = 10.0  # sent one by one, the others would wait 50 s
    async with db.sessions.begin() as session:
        for i in range(5):  # at the head of the outbox
            await outbox.enqueue(
                session, key=f"hung:{i}", method="chat.postMessage",
                payload={"channel": "U0HUNG1", "text": f"hung {i}"}, now=clock(),
            )  # fmt: skip
        for i in range(40):
            await outbox.enqueue(
                session, key=f"fine:{i}", method="chat.postMessage",
                payload={"channel": f"U0FINE{i:02d}", "text": f"fine {i}"}, now=clock(),
            )  # fmt: skip
    started = time.monotonic()
    deps.outbox.start()
    deps.outbox.kick()
    try:
        await standin.wait_for(
            "chat.postMessage", lambda c: c.args["channel"].startswith("U0FINE"), count=40, within=10.0
        )
        # About 0.5 s on a quiet machine (SQLite or PostgreSQL), the cost of 40 sends; the bound leaves
        # room for a loaded CI machine and is still far below even one hung call.
        assert time.monotonic() - started < 5.0
    finally:
        await deps.outbox.stop()


async def test_a_card_goes_out_while_every_dm_slot_hangs_behind_a_backlog(
    standin: SlackStandIn, deps: Deps, clock: FakeClock, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of DMs wait and every DM call in flight hangs; an approver's card still goes out at once:
    cards are claimed on their own room and sent on their own calls."""
    monkeypatch.setattr(outbox, "STOP_GRACE_SECONDS", 0.1)  # the hung sends are cancelled at the end
    backlog = outbox.MAX_CLAIMED + 100
    hang = 8.0  # seconds every DM call hangs: far beyond the card's time even on a loaded machine
    async with db.sessions.begin() as session:
        for i in range(backlog):
            standin.hung_channels[f"U0SLOW{i:03d}"] = hang
            await outbox.enqueue(
                session, key=f"slow:{i}", method="chat.postMessage",
                payload={"channel": f"U0SLOW{i:03d}", "text": f"slow {i}"}, now=clock(),
            )  # fmt: skip
    deps.outbox.start()
    deps.outbox.kick()
    try:
        # the dispatcher claims what it may of the backlog (a few paced claims); every DM slot's call hangs
        async with asyncio.timeout(hang / 2):
            while deps.outbox._inflight < outbox.MAX_CLAIMED or standin.hanging < outbox.CONCURRENCY:  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # counters of two processes' work: no one event to wait on
        await asyncio.sleep(0.1)
        assert standin.hanging == outbox.CONCURRENCY
        assert deps.outbox._inflight == outbox.MAX_CLAIMED  # every DM lease this process may hold, no more
        async with db.sessions.begin() as session:
            await outbox.enqueue(
                session, key="card:1:U0AE2", method="chat.postMessage",
                payload={"channel": "U0AE2", "text": "your card"}, now=clock(), ref_key="card:1:U0AE2",
            )  # fmt: skip
        started = time.monotonic()
        deps.outbox.kick()
        await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0AE2", within=hang)
        assert time.monotonic() - started < hang / 2  # not behind a hung DM
        assert not standin.calls_to("chat.postMessage")[:-1]  # no DM has even answered yet
    finally:
        await deps.outbox.stop()
