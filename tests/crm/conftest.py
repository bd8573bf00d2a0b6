"""The Salesforce stand-in, started by the tests, seeded with the sample org."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.crm.client import Credentials, SalesforceClient
from bot.crm.standin import SalesforceStandIn
from bot.deps import Deps
from bot.server import create_web_app
from bot.settings import Settings
from tests.conftest import SAMPLES, SIGNING_SECRET
from tests.slack.client import SlackClient


@pytest_asyncio.fixture(loop_scope="session")
async def salesforce() -> AsyncIterator[SalesforceStandIn]:
    fake = SalesforceStandIn()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/"))
    fake.seed_samples(SAMPLES)
    yield fake
    await server.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sf_client(salesforce: SalesforceStandIn) -> AsyncIterator[SalesforceClient]:
    async def no_wait(_seconds: float) -> None:
        return None

    creds = Credentials(
        login_url=salesforce.base_url, client_id="standin-client", client_secret="standin-secret"
    )
    client = SalesforceClient(creds, sleep=no_wait)
    yield client
    await client.close()


REGIONS_ONLY = """
regions:
  - {name: US-East, country: US, states: [NY, NJ, MA, PA, FL, GA, NC, VA, DC, MD, CT, OH, MI]}
  - {name: US-West, country: US, states: [CA, WA, OR, NV, AZ, CO, UT, TX, IL, MN]}
  - {name: EMEA, countries: [GB, DE, FR, NL, ES, IT, SE, IE, IL, AE, ZA]}
  - {name: APAC, countries: [AU, NZ, JP, SG, IN, KR, CN]}
  - {name: LATAM, countries: [BR, MX, AR, CL, CO]}
people: []
"""


@pytest_asyncio.fixture(loop_scope="session")
async def sf_env(salesforce, standin, db, tmp_path) -> dict[str, str]:
    """The environment of `gtm-bot sync salesforce` against both stand-ins; the org file lists no people.

    Every sample person is a Slack member with the sample's Slack id, so lookups give the familiar ids.
    """
    import yaml

    from bot.features.directory.importer import import_file

    org = tmp_path / "org.yaml"
    org.write_text(REGIONS_ONLY)
    await import_file(db, "org", org)
    for person in yaml.safe_load((SAMPLES / "org.yaml").read_text())["people"]:
        standin.add_user(person["slack_id"], person["name"], person["email"])
    return {
        **os.environ,
        "DATABASE_URL": db.url,
        "SALESFORCE_LOGIN_URL": salesforce.base_url,
        "SALESFORCE_CLIENT_ID": "standin-client",
        "SALESFORCE_CLIENT_SECRET": "standin-secret",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url + "api/",
    }


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


class Silent:
    def skipped(self, sobject: str, record_id: str, reason: str) -> None:
        raise AssertionError(f"{sobject} {record_id} skipped: {reason}")

    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


@pytest_asyncio.fixture(loop_scope="session")
async def salesforce_samples() -> AsyncIterator[SalesforceStandIn]:
    """The stand-in with the sample's own account and opportunity ids, so the flows' helpers apply."""
    fake = SalesforceStandIn()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/"))
    fake.seed_samples(SAMPLES, keep_ids=True)
    yield fake
    await server.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sf_deps(db, standin, clock, salesforce_samples, tmp_path) -> AsyncIterator[Deps]:
    """The bot's Deps with Salesforce configured, and the directory read from Salesforce."""
    import yaml
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.features.directory.importer import import_file
    from bot.features.salesforce.run import run_sync

    org = tmp_path / "org.yaml"
    org.write_text(REGIONS_ONLY)
    await import_file(db, "org", org)
    for person in yaml.safe_load((SAMPLES / "org.yaml").read_text())["people"]:
        standin.add_user(person["slack_id"], person["name"], person["email"])
    settings = Settings.from_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": standin.base_url + "api/",
            "DATABASE_URL": db.url,
            "SALESFORCE_LOGIN_URL": salesforce_samples.base_url,
            "SALESFORCE_CLIENT_ID": "standin-client",
            "SALESFORCE_CLIENT_SECRET": "standin-secret",
        }
    )
    assert settings.salesforce is not None
    slack_client = AsyncWebClient(token="xoxb-test", base_url=standin.base_url + "api/")
    await run_sync(
        db, settings.salesforce, report=Silent(), clock=lambda: datetime.now(UTC), slack=slack_client
    )
    built = Deps.build(settings, clock=clock, db=db)
    built.outbox.poll_seconds = 0.05
    yield built


@pytest_asyncio.fixture(loop_scope="session")
async def sf_slack(sf_deps: Deps, standin) -> AsyncIterator[SlackClient]:
    web_app = create_web_app(sf_deps, build_app(sf_deps), migrate=False, scheduler=False)
    web_app.on_cleanup.clear()
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        yield SlackClient(str(server.make_url("/")), SIGNING_SECRET, standin, session)
    await sf_deps.outbox.stop()
    for hook in sf_deps.shutdown:
        await hook()
    await server.close()
