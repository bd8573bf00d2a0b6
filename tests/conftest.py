"""Fixtures: a real database (SQLite file or PostgreSQL), the Slack stand-in, the real app over HTTP.

Set GTM_TEST_DATABASE_URL to run everything against PostgreSQL, e.g.
`GTM_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test pytest`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.deps import Deps
from bot.features.directory.importer import import_file
from bot.server import create_web_app
from bot.settings import Settings
from bot.standin.web_api import SlackStandIn
from storage.db import Database, is_sqlite, migrate_afresh
from storage.models import Base
from tests.slack.client import SlackClient

SAMPLES = Path(__file__).resolve().parent.parent / "bot" / "samples"
SIGNING_SECRET = "test-signing-secret"
START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp app on a free local port for the duration; its base URL."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()


def settings_for(standin: SlackStandIn, db: Database, **env: str) -> Settings:
    """The bot's settings against the Slack stand-in and the test database, plus `env`."""
    return Settings.from_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": standin.base_url + "api/",
            "DATABASE_URL": db.url,
            **env,
        }
    )


@asynccontextmanager
async def another_process(
    deps: Deps, slack: SlackClient, standin: SlackStandIn
) -> AsyncIterator[SlackClient]:
    """A second `gtm-bot serve` over the same database, started after the first: its own Deps (nothing
    carried over in memory, e.g. after a restart or on another replica), and a client signing for it."""
    fresh = Deps.build(deps.settings, clock=deps.clock, db=deps.db)
    web_app = create_web_app(fresh, build_app(fresh), migrate=False, scheduler=False)
    web_app.on_cleanup.clear()  # the db fixture owns the engine
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        yield SlackClient(str(server.make_url("/")), SIGNING_SECRET, standin, slack.session)
    finally:
        await fresh.outbox.stop()
        await server.close()
        await fresh.client.close()


@asynccontextmanager
async def slack_over_http(deps: Deps, standin: SlackStandIn) -> AsyncIterator[SlackClient]:
    """The real app behind a local server, and a client that sends it signed requests."""
    web_app = create_web_app(deps, build_app(deps), migrate=False, scheduler=False)  # tests tick it
    web_app.on_cleanup.clear()  # the db fixture owns the engine
    async with serving(web_app) as url, aiohttp.ClientSession() as session:
        yield SlackClient(url, SIGNING_SECRET, standin, session)
        await deps.outbox.stop()


async def gtm_bot(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run `gtm-bot ARGS` in its own process; (exit status, stdout, stderr). The stand-ins keep serving."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await proc.communicate()
    return proc.returncode or 0, stdout.decode(), stderr.decode()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("GTM_TEST_DATABASE_URL", "").strip()
    return url or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'gtm-test.db'}"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def migrated(database_url: str) -> str:
    await migrate_afresh(database_url)
    return database_url


@pytest_asyncio.fixture(loop_scope="session")
async def db(migrated: str, tmp_path: Path) -> AsyncIterator[Database]:
    url = migrated
    if is_sqlite(migrated):
        # Each test gets its own copy of the migrated file, so nothing an earlier test left behind (a
        # connection of a cancelled task still inside its transaction) can lock this one out.
        copy = tmp_path / "gtm-test.db"
        source, target = sqlite3.connect(make_url(migrated).database), sqlite3.connect(copy)
        with source, target:
            source.backup(target)
        source.close()
        target.close()
        url = f"sqlite+aiosqlite:///{copy}"
    database = Database(url)
    async with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(table.delete())
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(loop_scope="session")
async def standin() -> AsyncIterator[SlackStandIn]:
    fake = SlackStandIn()
    async with serving(fake.app()) as fake.base_url:
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def deps(db: Database, standin: SlackStandIn, clock: FakeClock) -> AsyncIterator[Deps]:
    built = Deps.build(settings_for(standin, db), clock=clock, db=db)
    built.outbox.poll_seconds = 0.05
    yield built
    await built.client.close()


@pytest_asyncio.fixture(loop_scope="session")
async def slack(deps: Deps, standin: SlackStandIn) -> AsyncIterator[SlackClient]:
    async with slack_over_http(deps, standin) as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def directory(db: Database) -> Database:
    """The sample org, accounts and opportunities, imported through the real importer."""
    for kind, name in (
        ("org", "org.yaml"),
        ("accounts", "accounts.csv"),
        ("opportunities", "opportunities.csv"),
    ):
        await import_file(db, kind, SAMPLES / name)
    return db
