"""While serving: the sync as a scheduler job (one replica at a time), drift to Sales Ops, link unfurls."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.crm.standin import SalesforceStandIn
from bot.deps import Deps
from bot.features.salesforce import jobs as salesforce
from bot.scheduler import Scheduler
from bot.standin.web_api import SlackStandIn
from storage.models import AccountRow, CrmDriftRow, JobRow, OpportunityRow
from tests.crm.conftest import CrmWorld
from tests.slack.client import SlackClient, visible_text
from tests.test_escalations import told
from tests.test_ownership import request_hooli


def passes(sf: SalesforceStandIn) -> int:
    """Sync passes seen by Salesforce: each starts by describing the three objects."""
    return len(sf.calls_to("describe")) // 3


async def test_two_replicas_run_the_sync_job_one_pass_at_a_time_and_it_repeats(crm: CrmWorld) -> None:
    sf = crm.sf
    await salesforce.on_startup(crm.deps)
    await salesforce.on_startup(crm.deps)  # a second replica starting: the same pass, not a second one
    sf.put("Account", {"Id": "A-TINY", "Name": "Tiny Widgets Global"})
    before = passes(sf)
    ran = await asyncio.gather(Scheduler(crm.deps).tick(), Scheduler(crm.deps).tick())
    assert sum(ran) == 1 and passes(sf) == before + 1
    async with crm.deps.db.sessions() as session:
        name = await session.scalar(select(AccountRow.name).where(AccountRow.account_id == "A-TINY"))
        pending = list(await session.scalars(select(JobRow).where(JobRow.status == "pending")))
    assert name == "Tiny Widgets Global"
    assert [j.kind for j in pending] == [salesforce.SYNC_JOB]
    assert pending[0].due_at == crm.clock.now + timedelta(minutes=5)
    assert sum(await asyncio.gather(Scheduler(crm.deps).tick(), Scheduler(crm.deps).tick())) == 0
    crm.clock.advance(timedelta(minutes=5))
    assert sum(await asyncio.gather(Scheduler(crm.deps).tick(), Scheduler(crm.deps).tick())) == 1
    assert passes(sf) == before + 2


async def test_owner_changes_made_in_salesforce_that_break_the_rules_reach_sales_ops_next_morning(
    crm: CrmWorld,
) -> None:
    sf = crm.sf
    # Hooli (US-East, Mid-Market) given to Wen (US-West, Large) in Salesforce: two rules broken.
    sf.put("Account", {"Id": "A-HOOLI", "OwnerId": sf.ids["U0SAL3"]})
    # Tiny Widgets to Ava (US-East, SMB hierarchy; Ava works Mid-Market): the segment is wrong.
    sf.put("Account", {"Id": "A-TINY", "OwnerId": sf.ids["U0AE1"]})
    # Acme from Ava to Ben: same region and segment, fine.
    sf.put("Account", {"Id": "A-ACME", "OwnerId": sf.ids["U0AE2"]})
    await salesforce.on_startup(crm.deps)
    await Scheduler(crm.deps).tick()
    async with crm.deps.db.sessions() as session:
        drift = {d.account_id: d for d in await session.scalars(select(CrmDriftRow))}
    assert set(drift) == {"A-HOOLI", "A-TINY"}
    assert any("not Wen Zhao's" in r for r in drift["A-HOOLI"].reasons)
    shown = await crm.slack.command("drift", "U0OPS1")
    assert "Hooli" in shown.text and "<@U0AE2> → <@U0SAL3>" in shown.text and "Tiny Widgets" in shown.text
    assert "(since <!date^" in shown.text
    assert "for Sales Ops" in (await crm.slack.command("drift", "U0AE1")).text
    await crm.deps.outbox.drain()
    assert not [
        c for c in crm.standin.calls_to("chat.postMessage") if "break the handbook" in visible_text(c.args)
    ]

    crm.clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # the next business morning
    await Scheduler(crm.deps).tick()
    digest = await told(crm.standin, "U0OPS1", "break the handbook")
    assert "Hooli" in digest and "Tiny Widgets" in digest and "Acme" not in digest
    await Scheduler(crm.deps).tick()
    await crm.deps.outbox.drain()
    digests = [
        c for c in crm.standin.calls_to("chat.postMessage") if "break the handbook" in visible_text(c.args)
    ]
    assert [c.args["channel"] for c in digests] == ["U0OPS1"]  # one digest, to Sales Ops only


async def test_an_owner_gtm_bot_decided_is_not_drift(crm: CrmWorld) -> None:
    sent = await request_hooli(crm.slack, crm.standin)
    await crm.slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await crm.deps.outbox.drain()
    await salesforce.on_startup(crm.deps)
    await Scheduler(crm.deps).tick()
    async with crm.deps.db.sessions() as session:
        assert list(await session.scalars(select(CrmDriftRow))) == []
        owner = await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == "A-HOOLI"))
    assert owner == "U0AE1"


def link_event(user: str, urls: list[str]) -> str:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0GTMBOT1",
            "api_app_id": "A0GTMBOT1",
            "event_id": "EvLink1",
            "event_time": 1,
            "event": {
                "type": "link_shared",
                "user": user,
                "channel": "C0GENERAL1",
                "message_ts": "1700000000.000100",
                "links": [{"domain": "example.my.salesforce.com", "url": u} for u in urls],
            },
        }
    )


async def test_account_and_opportunity_links_unfurl_into_the_owner_and_stage_cards(
    sf_slack: SlackClient, standin: SlackStandIn, sf_deps: Deps
) -> None:
    base = "https://example.my.salesforce.com/lightning/r/"
    renamed = {"A-HOOLI": "001SIHOOLI0000000A", "A-STARK": "001SISTARK0000000A"}
    async with sf_deps.db.sessions.begin() as session:  # Salesforce-shaped ids, as in a real org
        for old, new in renamed.items():
            row = await session.get(AccountRow, old)
            assert row is not None
            row.account_id = row.root_id = new
        opp = await session.get(OpportunityRow, "O-1004")
        assert opp is not None
        opp.opportunity_id = "006SIACME00000000A"
    account = base + "Account/001SIHOOLI0000000A/view"
    opportunity = base + "Opportunity/006SIACME00000000A/view"
    stark = base + "Account/001SISTARK0000000A/view"  # public sector: Ava may not see it
    reply = await sf_slack.post(
        link_event("U0AE1", [account, opportunity, stark, "https://x.example/y"]), "application/json"
    )
    assert reply.status == 200
    [call] = await standin.wait_for("chat.unfurl")
    unfurls = call.args["unfurls"]
    assert set(unfurls) == {account, opportunity}
    card = visible_text({"blocks": unfurls[account]["blocks"]})
    assert "Hooli" in card and "*Owner:* <@U0AE2>" in card and "Request ownership" in card
    assert "5-Negotiating" in visible_text({"blocks": unfurls[opportunity]["blocks"]})


def test_record_links_are_recognised() -> None:
    from handlers.salesforce import record_of

    assert record_of("https://acme.my.salesforce.com/lightning/r/Account/001Ab00000XyZ12AAA/view") == (
        "Account",
        "001Ab00000XyZ12AAA",
    )
    assert record_of("https://acme.my.salesforce.com/006Ab00000XyZ12") == ("Opportunity", "006Ab00000XyZ12")
    assert record_of("https://acme.my.salesforce.com/lightning/o/Account/list") is None
    assert record_of("https://acme.my.salesforce.com/003Ab00000XyZ12") is None


async def test_a_public_sector_link_unfurls_for_the_public_sector_team(
    sf_slack: SlackClient, standin: SlackStandIn, sf_deps: Deps
) -> None:
    async with sf_deps.db.sessions.begin() as session:
        row = await session.get(AccountRow, "A-STARK")
        assert row is not None
        row.account_id = row.root_id = "001SISTARK0000000A"
    stark = "https://example.my.salesforce.com/001SISTARK0000000A"
    await sf_slack.post(link_event("U0PUB1", [stark]), "application/json")
    [call] = await standin.wait_for("chat.unfurl")
    assert "Stark Federal Systems" in visible_text({"blocks": call.args["unfurls"][stark]["blocks"]})


async def test_drift_on_a_public_sector_account_stays_unnamed_for_those_who_may_not_see_it(
    crm: CrmWorld,
) -> None:
    sf = crm.sf
    sf.put("Account", {"Id": "A-STARK", "OwnerId": sf.ids["U0SAL1"]})  # Sally is not public sector
    await salesforce.on_startup(crm.deps)
    await Scheduler(crm.deps).tick()
    ops = (await crm.slack.command("drift", "U0OPS1")).text
    assert "Stark" not in ops and "a public-sector account" in ops
    admin = (await crm.slack.command("drift", "U0ADM1")).text
    assert (
        "Stark Federal Systems" in admin
        and "public sector accounts stay with the public sector team" in admin
    )
