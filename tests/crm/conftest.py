"""The Salesforce stand-in, started by the tests, seeded with the sample org."""

from __future__ import annotations

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
