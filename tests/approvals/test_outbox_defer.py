"""While the process is answering a Slack request, the outbox's loop sends cards only: the approver sees their
card change at once, and the DMs to others follow once no request is in flight, or after DEFER_SECONDS of a
burst that never pauses. Through signed requests into the real app, with one listener added that answers
only when the test lets it: the request in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.app import build_app
from bot.approvals import outbox
from bot.deps import Deps
from bot.server import create_web_app
from bot.standin.web_api import SlackStandIn
from tests.conftest import SIGNING_SECRET, serving
from tests.slack.client import Reply, SlackClient, visible_text
from tests.test_ownership import request_hooli


@dataclass
class Held:
    slack: SlackClient
    release: asyncio.Event
    started: asyncio.Event


@pytest_asyncio.fixture
async def held(deps: Deps, standin: SlackStandIn) -> AsyncIterator[Held]:
    """The real app with a `/hold` command that answers once `release` is set."""
    release, started = asyncio.Event(), asyncio.Event()
    bolt = build_app(deps)

    @bolt.command("/hold")
    async def hold(ack: AsyncAck) -> None:
        started.set()
        await release.wait()
        await ack()

    web_app = create_web_app(deps, bolt, migrate=False, scheduler=False)
    web_app.on_cleanup.clear()  # the db fixture owns the engine
    async with serving(web_app) as url, aiohttp.ClientSession() as session:
        yield Held(SlackClient(url, SIGNING_SECRET, standin, session), release, started)
        release.set()
        await deps.outbox.stop()


def ownership_dms(standin: SlackStandIn) -> set[str]:
    """Who has been told the account changed hands."""
    return {
        str(c.args["channel"])
        for c in standin.calls_to("chat.postMessage")
        if "now owned by" in visible_text(c.args)
    }


async def request_in_flight(held: Held) -> asyncio.Task[Reply]:
    """A `/hold` from Carl, answered only when the test releases it."""
    task = asyncio.create_task(held.slack.command("", "U0AE3", command="/hold"))
    await asyncio.wait_for(held.started.wait(), 5)
    return task


async def test_the_card_changes_while_a_request_is_answered_and_the_dms_follow_it(
    held: Held, standin: SlackStandIn, directory
) -> None:
    hooli = await request_hooli(held.slack, standin)
    holding = await request_in_flight(held)
    reply = await held.slack.click("U0AE2", "approval.approve", hooli["approve"]["value"])
    assert reply.status == 200
    await standin.wait_for("chat.update", lambda c: c.args["channel"] == "D0AE2")  # the approver's card
    await asyncio.sleep(8 * outbox.CLAIM_EVERY_SECONDS)  # several claims meanwhile: cards only
    assert ownership_dms(standin) == set()
    assert not holding.done()
    held.release.set()
    assert (await holding).status == 200
    await standin.wait_until(lambda: {"U0AE1", "U0AE2"} <= ownership_dms(standin), within=2.0)


async def test_dms_wait_at_most_defer_seconds_for_a_burst_that_never_pauses(
    held: Held, standin: SlackStandIn, directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "DEFER_SECONDS", 2.0)
    hooli = await request_hooli(held.slack, standin)
    holding = await request_in_flight(held)
    await held.slack.click("U0AE2", "approval.approve", hooli["approve"]["value"])
    await standin.wait_for("chat.update", lambda c: c.args["channel"] == "D0AE2")
    await asyncio.sleep(8 * outbox.CLAIM_EVERY_SECONDS)
    assert ownership_dms(standin) == set()  # held back at first
    await standin.wait_until(lambda: {"U0AE1", "U0AE2"} <= ownership_dms(standin), within=5.0)
    assert not holding.done()  # told while the request was still being answered
    held.release.set()
    assert (await holding).status == 200


async def test_draining_the_outbox_sends_everything_whatever_is_being_answered(
    held: Held, standin: SlackStandIn, deps: Deps, directory
) -> None:
    """drain (shutdown, the playground, tests) never holds rows back."""
    hooli = await request_hooli(held.slack, standin)
    await deps.outbox.stop()  # only drain sends from here
    holding = await request_in_flight(held)
    await held.slack.click("U0AE2", "approval.approve", hooli["approve"]["value"])
    await deps.outbox.drain()
    assert {"U0AE1", "U0AE2"} <= ownership_dms(standin)
    assert not holding.done()
    held.release.set()
    await holding
