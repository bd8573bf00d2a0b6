"""The Salesforce stand-in, started by the tests, seeded with the sample org."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest_asyncio
from aiohttp.test_utils import TestServer

from bot.crm.client import Credentials, SalesforceClient
from bot.crm.standin import SalesforceStandIn
from tests.conftest import SAMPLES


@pytest_asyncio.fixture(loop_scope="session")
async def salesforce() -> AsyncIterator[SalesforceStandIn]:
    fake = SalesforceStandIn()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base_url = str(server.make_url("/"))
    fake.ids = fake.seed_samples(SAMPLES)  # type: ignore[attr-defined]
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

    from bot.importer import import_file

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
