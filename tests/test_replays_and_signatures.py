"""Unsigned requests get 401 and cause nothing; a signed request replayed is processed once.

Through the real endpoint: the stand-in records every Web API call, the database is counted table by table.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.approvals import service
from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import Base, DecisionRow, RequestRow, SeenRequestRow, SlaRequestRow
from tests.conftest import another_process
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli
from tests.test_sla import values as sla_values


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


# ---- replays: the same signed request again changes nothing --------------------------------------------
def web_api_calls(standin: SlackStandIn) -> int:
    return len([c for c in standin.calls if c.method != "auth.test"])  # a new app checks its token once


async def replay(slack: SlackClient, body: str, content_type: str, times: int = 4) -> None:
    for _ in range(times):
        reply = await slack.post(body, content_type)
        assert reply.status == 200 and reply.body == ""


async def replay_in_another_process(
    deps, slack: SlackClient, standin: SlackStandIn, body: str, content_type: str
) -> None:  # type: ignore[no-untyped-def]
    """Replay once into a second app over the same database (no memory shared with the first)."""
    async with another_process(deps, slack, standin) as again:
        await replay(again, body, content_type, times=1)


def click_body(standin: SlackStandIn, action: str, value: str) -> tuple[str, str]:
    return signer.interaction_body(
        signer.block_action_payload("U0AE2", action, value, response_url=standin.response_url("U0AE2"))
    )


async def test_a_replayed_view_submission_files_one_suggestion_and_one_sla_row(
    slack: SlackClient, standin: SlackStandIn, deps, db: Database, directory: Database, clock
) -> None:
    suggestion = signer.view_submission_payload(
        "U0AE1",
        "glossary.suggest_modal",
        {
            "term": {"value": {"type": "plain_text_input", "value": "PQL"}},
            "definition": {"value": {"type": "plain_text_input", "value": "A user who hit the usage bar."}},
        },
    )
    sla = signer.view_submission_payload(
        "U0SDR1", "sla.submit", sla_values(clock.now - timedelta(hours=1)), private_metadata="A-HOOLI"
    )
    for payload in (suggestion, sla):
        body, content_type = signer.interaction_body(payload)
        first = await slack.post(body, content_type)
        assert first.status == 200 and first.json["response_action"] == "update", first.body
        await deps.outbox.drain()
        before, calls = await rows(db), len(standin.calls)
        await replay(slack, body, content_type)
        await deps.outbox.drain()
        assert await rows(db) == before and len(standin.calls) == calls
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(RequestRow)) == 1
        assert await session.scalar(select(func.count()).select_from(SlaRequestRow)) == 1


async def test_a_replayed_command_and_click_do_nothing_again_even_in_another_process(
    slack: SlackClient, standin: SlackStandIn, deps, db: Database, directory: Database
) -> None:
    hooli = await request_hooli(slack, standin)
    command = signer.command_body("/gtm", "claim Globex", "U0AE1", response_url=standin.response_url("U0AE1"))
    click = click_body(standin, "approval.reject", hooli["approve"]["value"])
    for body, content_type in (command, click):
        assert (await slack.post(body, content_type)).status == 200
        await standin.wait_for("views.open", count=1)
        before, calls = await rows(db), web_api_calls(standin)
        await replay(slack, body, content_type)
        await replay_in_another_process(deps, slack, standin, body, content_type)
        await asyncio.sleep(0.1)
        assert await rows(db) == before and web_api_calls(standin) == calls
        standin.reset()


async def seen(db: Database) -> int:
    async with db.reads() as session:
        return int(await session.scalar(select(func.count()).select_from(SeenRequestRow)) or 0)


async def test_a_replayed_approval_decides_once_and_answers_once_even_in_another_process(
    slack: SlackClient, standin: SlackStandIn, deps, db: Database, directory: Database
) -> None:
    hooli = await request_hooli(slack, standin)
    recorded = await seen(db)
    body, content_type = click_body(standin, "approval.approve", hooli["approve"]["value"])
    assert (await slack.post(body, content_type)).status == 200
    # the click's key committed with its decision, in the same transaction (bot/replays.py)
    assert await seen(db) == recorded + 1
    await standin.wait_for("response_url", lambda c: c.args["key"] == "U0AE2")  # "You approved..."
    await deps.outbox.drain()
    before, calls = await rows(db), web_api_calls(standin)
    await replay(slack, body, content_type)
    await replay_in_another_process(deps, slack, standin, body, content_type)
    await asyncio.sleep(0.1)
    await deps.outbox.drain()
    assert await rows(db) == before and web_api_calls(standin) == calls


async def test_an_approval_whose_decision_failed_is_decided_when_slack_sends_it_again(
    slack: SlackClient, standin: SlackStandIn, deps, db: Database, directory: Database, monkeypatch
) -> None:
    hooli = await request_hooli(slack, standin)
    decide = service._decide
    failures = [RuntimeError("the decision broke after writing")]

    async def breaks_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await decide(*args, **kwargs)
        if failures:
            raise failures.pop()
        return result

    monkeypatch.setattr(service, "_decide", breaks_once)
    body, content_type = click_body(standin, "approval.approve", hooli["approve"]["value"])
    recorded = await seen(db)
    assert (await slack.post(body, content_type)).status == 200
    async with db.reads() as session:  # rolled back together: no decision, and no key to drop a retry
        assert await session.scalar(select(func.count()).select_from(DecisionRow)) == 0
    assert await seen(db) == recorded
    assert (await slack.post(body, content_type)).status == 200
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(DecisionRow)) == 1
    assert await seen(db) == recorded + 1


async def test_the_same_command_typed_twice_is_answered_twice_and_lookups_record_nothing(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory: Database
) -> None:
    for _ in range(2):
        await slack.command("claim Globex", "U0AE1")
    await standin.wait_for("views.open", count=2)
    async with db.reads() as session:
        recorded = await session.scalar(select(func.count()).select_from(SeenRequestRow))
    for text in ("owner Globex", "define SAO", "stage", "requests"):
        assert (await slack.command(text, "U0AE1")).status == 200
    assert (await slack.command("SAO", "U0AE1", command="/glossary")).status == 200
    async with db.reads() as session:
        assert await session.scalar(select(func.count()).select_from(SeenRequestRow)) == recorded == 2
