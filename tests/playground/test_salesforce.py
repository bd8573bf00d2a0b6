"""The playground with "Salesforce: local stand-in": the directory is synced from it at start, and a
decision made on the page lands in it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.crm.standin import SalesforceStandIn
from bot.deps import Deps
from bot.playground.guard import SAMPLES
from bot.playground.server import create_playground_app
from bot.playground.world import Playground
from bot.scheduler import Scheduler
from bot.settings import Settings
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from tests.conftest import SIGNING_SECRET, FakeClock
from tests.playground.fixtures import PlaygroundServer, free_port
from tests.playground.test_api import CHANNEL, REP, claim_state, click, owner_card


@pytest_asyncio.fixture(loop_scope="session")
async def sf_playground(
    db: Database, directory: Database, clock: FakeClock
) -> AsyncIterator[tuple[PlaygroundServer, SalesforceStandIn]]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    salesforce = SalesforceStandIn()
    salesforce.base_url = f"{origin}/playground/salesforce/"
    salesforce.seed_samples(SAMPLES, keep_ids=True)
    settings = Settings.from_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-playground",
            "SLACK_API_URL": f"{origin}/playground/slack/api/",
            "DATABASE_URL": db.url,
            "SALESFORCE_LOGIN_URL": salesforce.base_url,
            "SALESFORCE_CLIENT_ID": salesforce.client_id,
            "SALESFORCE_CLIENT_SECRET": salesforce.client_secret or "",
        }
    )
    deps = Deps.build(settings, clock=clock, db=db)
    deps.outbox.poll_seconds = 0.05
    playground = Playground(SlackStandIn(), SIGNING_SECRET)
    playground.bind(origin)
    web_app = create_playground_app(
        deps, build_app(deps), playground, migrate=False, scheduler=False, salesforce=salesforce
    )
    web_app.on_cleanup.clear()
    server = TestServer(web_app, host="127.0.0.1", port=port)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield PlaygroundServer(origin, deps, playground, session), salesforce
    await deps.outbox.stop()
    for hook in deps.shutdown:
        await hook()
    await playground.close()
    await server.close()


async def test_a_claim_on_the_page_lands_in_the_salesforce_standin(sf_playground) -> None:
    pg, salesforce = sf_playground
    state = await pg.state(REP)
    assert state["salesforce"] == "local stand-in"
    assert await Scheduler(pg.deps).tick() == 1  # the first sync pass, queued at start
    assert salesforce.calls_to("jobs")  # read through Bulk 2.0
    # Umbrella Labs: no parent, US-East, DataFox 150: Ava (East, Mid-Market AE) takes it at once (rule 4).
    card = await owner_card(pg, REP, "Umbrella Labs")
    await click(pg, REP, card, "ownership.claim_button", channel=CHANNEL)
    await pg.standin.wait_for("views.open")
    modal = (await pg.state(REP))["modal"]
    answer = await pg.post(
        "submit", {"user": REP, "view_id": modal["id"], "state": claim_state(modal, REP, "new logo")}
    )
    assert answer["status"] == 200
    await pg.deps.outbox.drain()
    async with pg.session.get(f"{pg.origin}/playground/api/salesforce", params={"object": "Account"}) as r:
        held = await r.json()
    umbrella = next(a for a in held["records"] if a["id"] == "A-UMBRELLA")
    assert umbrella["owner"] == "Ava Cole"
    assert held["written"] == [{"object": "Account", "id": "A-UMBRELLA", "OwnerId": salesforce.ids["U0AE1"]}]
