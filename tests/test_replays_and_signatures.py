"""Unsigned requests get 401 and cause nothing; a signed request replayed is processed once.

Through the real endpoint: the stand-in records every Web API call, the database is counted table by table.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import Base
from tests.slack.client import SlackClient


async def rows(db: Database) -> dict[str, int]:
    """Every table's row count: "no database write" means this is unchanged."""
    async with db.reads() as session:
        return {
            t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


def unsigned_bodies() -> list[tuple[str, str]]:
    command = signer.command_body("/gtm", "sla log Hooli", "U0AE1", response_url="http://x/r")
    click = signer.interaction_body(
        signer.block_action_payload("U0AE2", "approval.approve", "1:1", channel_id="C0GENERAL1")
    )
    return [command, click]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "x", "X-Slack-Signature": "v0=bogus"},
        {"X-Slack-Request-Timestamp": "²", "X-Slack-Signature": "v0=bogus"},
        {"X-Slack-Request-Timestamp": "1" * 40, "X-Slack-Signature": "v0=bogus"},
        {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=bogus"},
        {"X-Slack-Signature": "v0=bogus"},
        {},
    ],
)
async def test_an_unsigned_request_gets_401_no_web_api_call_no_write_and_one_warning(
    slack: SlackClient,
    standin: SlackStandIn,
    db: Database,
    directory: Database,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
) -> None:
    before = await rows(db)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for body, content_type in unsigned_bodies():
            async with slack.session.post(
                slack.url, data=body.encode(), headers={"Content-Type": content_type, **headers}
            ) as response:
                assert response.status == 401
        await asyncio.sleep(0.1)  # anything spawned after the answer would have run by now
    assert standin.calls == []
    assert await rows(db) == before
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in warnings] == ["gtm_bot.server", "gtm_bot.server"]
    assert all(r.exc_info is None and "signature" in r.getMessage() for r in warnings)
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_body_that_is_not_utf8_with_a_bad_signature_is_refused(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Signature": "v0=00"}
    headers["X-Slack-Request-Timestamp"] = signer.signed_headers("s", "")["X-Slack-Request-Timestamp"]
    async with slack.session.post(slack.url, data=b"payload=\xff\xfe", headers=headers) as response:
        assert response.status == 401
    assert standin.calls == []
