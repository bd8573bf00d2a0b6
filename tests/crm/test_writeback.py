"""Every owner gtm-bot decides is written to Salesforce through the outbox: once, after a crash too,
never over a change someone made there meanwhile (a conflict), through expiry and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import build_app
from bot.crm.standin import Fault, SalesforceStandIn
from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.standin.web_api import SlackStandIn
from storage.crm import WRITE_BACK
from storage.db import Database
from storage.models import AccountRow, OutboxRow, RequestRow
from tests.crm.conftest import CrmWorld
from tests.slack.client import SlackClient, visible_text
from tests.test_escalations import SALLY, TOM, card_button, escalate, told
from tests.test_ownership import claim_values, request_hooli

NOW = datetime.now(UTC)


def owner_writes(sf: SalesforceStandIn) -> list[tuple[str, str, str]]:
    return [(o, i, b["OwnerId"]) for o, i, b in sf.patches if "OwnerId" in b]


async def write_backs(db: Database) -> list[OutboxRow]:
    async with db.sessions() as session:
        return list(await session.scalars(select(OutboxRow).where(OutboxRow.method == WRITE_BACK)))


async def test_an_approved_claim_is_read_then_written_once(crm: CrmWorld) -> None:
    sf = crm.sf
    sent = await request_hooli(crm.slack, crm.standin)
    await crm.slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await crm.deps.outbox.drain()
    assert owner_writes(sf) == [("Account", "A-HOOLI", sf.ids["U0AE1"])]
    assert sf.records["Account"]["A-HOOLI"]["OwnerId"] == sf.ids["U0AE1"]
    gets = [c for c in sf.calls_to("get") if "A-HOOLI" in c.path]
    assert gets and gets[0].at < sf.calls_to("patch")[0].at  # read OwnerId first
    [row] = await write_backs(crm.deps.db)
    assert row.status == "sent" and row.payload["expected"] == sf.ids["U0AE2"]
    await crm.deps.outbox.drain()
    assert len(owner_writes(sf)) == 1


async def test_an_applied_claim_writes_the_account_and_the_children_that_follow(crm: CrmWorld) -> None:
    sf = crm.sf
    # Sally owns Initech and gives it to Paula (US-East, Large, SAL): rule 1, every criterion fits.
    reply = await crm.slack.submit(
        SALLY, "ownership.claim", claim_values("U0PUB1"), private_metadata="A-INITECH"
    )
    assert "Ownership changed" in visible_text(reply.json), reply.body
    await crm.deps.outbox.drain()
    written = {(i, owner) for _, i, owner in owner_writes(sf)}
    paula = sf.ids["U0PUB1"]
    assert written == {("A-INITECH", paula), ("A-INITECH-DE", paula)}
    assert sf.records["Account"]["A-INITECH-UK"]["OwnerId"] == sf.ids["U0SAL2"]  # Tom's child stays
    assert sf.records["Account"]["A-INITECH-FR"]["OwnerId"] == sf.ids[SALLY]  # a named child stays


async def test_an_escalation_ruling_and_the_holdover_end_are_written(crm: CrmWorld) -> None:
    sf = crm.sf
    request_id = await escalate(crm.slack, crm.standin, crm.deps.db)
    await crm.slack.click(
        SALLY, "approval.approve", await card_button(crm.standin, SALLY, "approval.approve", request_id)
    )
    await told(crm.standin, SALLY, "moved from")
    await crm.deps.outbox.drain()
    assert ("Account", "A-INITECH-DE", sf.ids[TOM]) in owner_writes(sf)
    assert not [w for w in owner_writes(sf) if w[0] == "Opportunity"]  # Sally keeps the deals for now
    crm.clock.advance(timedelta(days=200))  # past day 180 of both holdovers
    await Scheduler(crm.deps).tick()
    await crm.deps.outbox.drain()
    moved = {i for o, i, owner in owner_writes(sf) if o == "Opportunity" and owner == sf.ids[TOM]}
    assert moved == {"O-1002", "O-1008"}


async def test_a_change_made_in_salesforce_meanwhile_is_a_conflict_not_overwritten(crm: CrmWorld) -> None:
    sf = crm.sf
    sent = await request_hooli(crm.slack, crm.standin)
    sf.put("Account", {"Id": "A-HOOLI", "OwnerId": sf.ids["U0ASM3"]})  # Sam, set in Salesforce
    await crm.slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await crm.deps.outbox.drain()
    assert owner_writes(sf) == [] and sf.records["Account"]["A-HOOLI"]["OwnerId"] == sf.ids["U0ASM3"]
    async with crm.deps.db.sessions() as session:
        request = await session.scalar(select(RequestRow))
    assert request is not None and request.status == "conflict"
    for user in ("U0AE1", "U0AE2"):  # the requester and the approver, each with both people
        text = await told(crm.standin, user, "Not written to Salesforce")
        assert "*gtm-bot decided:* <@U0AE1>" in text and "*Salesforce now has:* <@U0ASM3>" in text
    timeline = await crm.slack.command(f"requests {request.id}", "U0AE1")
    assert "conflict" in timeline.text and "Sam Ortiz" in timeline.text


async def test_a_crash_between_the_commit_and_the_write_writes_once_after_restart(crm: CrmWorld) -> None:
    sf = crm.sf
    sent = await request_hooli(crm.slack, crm.standin)
    await crm.deps.outbox.stop()  # the process dies right after the decision commits
    await crm.slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    [row] = await write_backs(crm.deps.db)
    assert row.status == "pending" and owner_writes(sf) == []

    # a new process on the same database
    restarted = Deps.build(crm.deps.settings, clock=crm.clock, db=crm.deps.db)
    build_app(restarted)
    send = restarted.outbox.senders[WRITE_BACK]

    async def dies_after_writing(row: OutboxRow) -> None:
        await send(row)
        raise ConnectionResetError("the process died before recording the write")

    restarted.outbox.senders[WRITE_BACK] = dies_after_writing
    await restarted.outbox.dispatch_once()
    restarted.outbox.senders[WRITE_BACK] = send
    crm.clock.advance(timedelta(minutes=1))
    await restarted.outbox.drain()
    assert owner_writes(sf) == [("Account", "A-HOOLI", sf.ids["U0AE1"])]  # written once, not twice
    [row] = await write_backs(crm.deps.db)
    assert row.status == "sent" and row.attempts == 2


async def test_an_expired_session_and_a_429_are_retried_then_written(crm: CrmWorld) -> None:
    sf = crm.sf
    sent = await request_hooli(crm.slack, crm.standin)
    await crm.deps.outbox.stop()
    sf.expire_sessions()
    sf.fail_next("patch", Fault(429, "REQUEST_LIMIT_EXCEEDED", retry_after=30))
    await crm.slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await crm.deps.outbox.drain()
    [row] = await write_backs(crm.deps.db)
    assert row.status == "pending" and "429" in (row.last_error or "")
    assert row.next_attempt_at == crm.clock.now + timedelta(seconds=30)  # Retry-After honoured
    assert len(sf.calls_to("token")) >= 2  # the expired session got a new token
    sf.fail_next("patch", Fault(503, "SERVER_UNAVAILABLE"))
    crm.clock.advance(timedelta(seconds=31))
    await crm.deps.outbox.drain()
    assert owner_writes(sf) == []
    crm.clock.advance(timedelta(minutes=5))
    await crm.deps.outbox.drain()
    assert owner_writes(sf) == [("Account", "A-HOOLI", sf.ids["U0AE1"])]


async def test_without_salesforce_nothing_is_queued(
    slack: SlackClient, standin: SlackStandIn, db, directory
) -> None:
    sent = await request_hooli(slack, standin)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    async with db.sessions() as session:
        assert (
            await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == "A-HOOLI"))
            == "U0AE1"
        )
    assert await write_backs(db) == []
