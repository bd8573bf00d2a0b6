"""The playground served on a real port, on the test database with the sample org, running the real bot."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.deps import Deps
from bot.playground.server import create_playground_app
from bot.playground.world import Playground
from bot.settings import Settings
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from tests.conftest import SIGNING_SECRET, FakeClock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PlaygroundServer:
    origin: str
    deps: Deps
    playground: Playground
    session: aiohttp.ClientSession

    @property
    def standin(self) -> SlackStandIn:
        return self.playground.standin

    async def state(self, user: str) -> dict[str, Any]:
        async with self.session.get(f"{self.origin}/playground/api/state", params={"user": user}) as r:
            assert r.status == 200
            return await r.json()

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        async with self.session.post(f"{self.origin}/playground/api/{path}", json=body) as r:
            assert r.status == status, await r.text()
            return await r.json() if status == 200 else {"text": await r.text()}


@pytest_asyncio.fixture(loop_scope="session")
async def playground_server(
    db: Database, directory: Database, clock: FakeClock
) -> AsyncIterator[PlaygroundServer]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-playground",
            "SLACK_API_URL": f"{origin}/playground/slack/api/",
            "DATABASE_URL": db.url,
        }
    )
    deps = Deps.build(settings, clock=clock, db=db)
    deps.outbox.poll_seconds = 0.05
    playground = Playground(SlackStandIn(), SIGNING_SECRET)
    playground.bind(origin)
    bolt = build_app(deps)
    web_app = create_playground_app(deps, bolt, playground, migrate=False, scheduler=False)
    web_app.on_cleanup.clear()  # the db fixture owns the engine
    server = TestServer(web_app, host="127.0.0.1", port=port)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield PlaygroundServer(origin, deps, playground, session)
    await deps.outbox.stop()
    await playground.close()
    await server.close()
