"""The Salesforce stand-in, started by the tests, seeded with the sample org."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.crm.client import Credentials, SalesforceClient
from bot.crm.standin import SalesforceStandIn
from bot.deps import Deps
from bot.features.directory.importer import import_file
from bot.features.salesforce.run import run_sync
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from tests.conftest import SAMPLES, FakeClock, serving, settings_for, slack_over_http
from tests.slack.client import SlackClient


@asynccontextmanager
async def salesforce_standin(*, keep_ids: bool) -> AsyncIterator[SalesforceStandIn]:
    """The Salesforce stand-in seeded with the samples, serving for the duration."""
    fake = SalesforceStandIn()
    async with serving(fake.app()) as fake.base_url:
        fake.seed_samples(SAMPLES, keep_ids=keep_ids)
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def salesforce() -> AsyncIterator[SalesforceStandIn]:
    async with salesforce_standin(keep_ids=False) as fake:
        yield fake


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


async def regions_and_slack_members(db: Database, standin: SlackStandIn, tmp_path: Path) -> None:
    """The org file's regions without people (Salesforce brings them); every sample person is a Slack
    member with the sample's Slack id, so lookups give the familiar ids."""
    org = tmp_path / "org.yaml"
    org.write_text(REGIONS_ONLY)
    await import_file(db, "org", org)
    for person in yaml.safe_load((SAMPLES / "org.yaml").read_text())["people"]:
        standin.add_user(person["slack_id"], person["name"], person["email"])


@pytest_asyncio.fixture(loop_scope="session")
async def sf_env(salesforce, standin, db, tmp_path) -> dict[str, str]:
    """The environment of `gtm-bot sync salesforce` against both stand-ins; the org file lists no people."""
    await regions_and_slack_members(db, standin, tmp_path)
    return {
        **os.environ,
        "DATABASE_URL": db.url,
        "SALESFORCE_LOGIN_URL": salesforce.base_url,
        "SALESFORCE_CLIENT_ID": "standin-client",
        "SALESFORCE_CLIENT_SECRET": "standin-secret",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": standin.base_url + "api/",
    }


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
    async with salesforce_standin(keep_ids=True) as fake:
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def sf_deps(db, standin, clock, salesforce_samples, tmp_path) -> AsyncIterator[Deps]:
    """The bot's Deps with Salesforce configured, and the directory read from Salesforce."""
    await regions_and_slack_members(db, standin, tmp_path)
    settings = settings_for(
        standin,
        db,
        SALESFORCE_LOGIN_URL=salesforce_samples.base_url,
        SALESFORCE_CLIENT_ID="standin-client",
        SALESFORCE_CLIENT_SECRET="standin-secret",
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
    async with slack_over_http(sf_deps, standin) as client:
        yield client
        for hook in sf_deps.shutdown:
            await hook()


@dataclass(frozen=True)
class CrmWorld:
    """The bot (over HTTP, with Salesforce configured), both stand-ins and the clock, for one test."""

    slack: SlackClient
    standin: SlackStandIn
    sf: SalesforceStandIn
    deps: Deps
    clock: FakeClock


@pytest.fixture
def crm(
    sf_slack: SlackClient,
    standin: SlackStandIn,
    salesforce_samples: SalesforceStandIn,
    sf_deps: Deps,
    clock: FakeClock,
) -> CrmWorld:
    return CrmWorld(sf_slack, standin, salesforce_samples, sf_deps, clock)
