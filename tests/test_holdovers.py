"""Holdovers end to end: after Tom gets Initech GmbH, Sally keeps its open deals for a while.

O-1002 (New Business) was created 2026-10-01: day 120 is 2027-01-29, the holdover ends 2027-03-30.
O-1008 (Renewal) was created 2026-09-15. The clock starts 2026-11-24 (day 54 of O-1002).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import HoldoverRow, OpportunityRow, RequestRow
from tests.conftest import FakeClock
from tests.slack.client import SlackClient, text_value, visible_text
from tests.test_escalations import SALLY, TOM, buttons, card_button, escalate, told


async def reassigned(slack: SlackClient, standin: SlackStandIn, db: Database) -> None:
    request_id = await escalate(slack, standin, db)
    await slack.click(
        SALLY, "approval.approve", await card_button(standin, SALLY, "approval.approve", request_id)
    )
    await told(standin, SALLY, "moved from")


async def opportunity_owner(db: Database, opportunity_id: str) -> str | None:
    async with db.sessions() as session:
        return await session.scalar(
            select(OpportunityRow.owner).where(OpportunityRow.opportunity_id == opportunity_id)
        )


async def holdover(db: Database, opportunity_id: str) -> HoldoverRow:
    async with db.sessions() as session:
        row = await session.scalar(select(HoldoverRow).where(HoldoverRow.opportunity_id == opportunity_id))
    assert row is not None
    return row


def move_to(clock: FakeClock, when: datetime) -> None:
    clock.advance(when - clock.now)


async def ask_extension(slack: SlackClient, standin: SlackStandIn, close: str) -> int:
    shown = await slack.command("holdover O-1002", SALLY)
    extend = next(b for b in buttons(shown.json) if b["action_id"] == "holdover.extend")
    await slack.click(SALLY, "holdover.extend", extend["value"])
    view = (
        await standin.wait_for("views.open", lambda c: c.args["view"]["callback_id"] == "holdover.extension")
    )[-1].args["view"]
    values = {
        "close": {"value": {"type": "datepicker", "selected_date": close}},
        **text_value("evidence", "Signed order form is with their procurement, PO expected next week"),
    }
    late = {**values, "close": {"value": {"type": "datepicker", "selected_date": "2027-12-31"}}}
    refused = await slack.submit(SALLY, "holdover.extension", late, private_metadata=view["private_metadata"])
    assert "within 90 days" in refused.json["errors"]["close"]
    reply = await slack.submit(SALLY, "holdover.extension", values, private_metadata=view["private_metadata"])
    assert reply.json["response_action"] == "update", reply.body
    text = visible_text(reply.json)
    return int(text.split("Request #")[1].split()[0])


async def test_holdover_lists_mine_as_original_and_as_new_owner(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    await reassigned(slack, standin, db)
    mine = (await slack.command("holdover", SALLY)).text
    assert "Initech GmbH- 50 Ultimate" in mine and "Initech GmbH- 50 Premium Renewal" in mine
    theirs = (await slack.command("holdover", TOM)).text
    assert "coming to you" in theirs and "O-1002" in theirs
    assert f"— <@{SALLY}> → <@{TOM}>, running" in theirs  # both owners as mentions
    assert "No holdover" in (await slack.command("holdover O-1002", "U0AE1")).text
    tom_view = await slack.command("holdover O-1002", TOM)
    assert "2027-03-30" in tom_view.text and not buttons(tom_view.json)  # only the original owner asks
    # dates in Slack's date formatting, each reader's own words for the day; the ISO date is the fallback
    assert "until *<!date^" in tom_view.text and "|2027-03-30>*" in tom_view.text
    assert "ends <!date^" in theirs


async def test_an_extension_granted_keeps_the_deal_90_more_days(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    await reassigned(slack, standin, db)
    move_to(clock, datetime(2027, 1, 24, 15, tzinfo=UTC))  # day 115
    await Scheduler(deps).tick()
    request_id = await ask_extension(slack, standin, "2027-03-15")
    grant = await card_button(standin, TOM, "approval.approve", request_id)
    await slack.click(TOM, "approval.approve", grant)
    for user in (SALLY, TOM):
        assert "2027-04-24" in await told(standin, user, "extended")
    assert (await holdover(db, "O-1002")).ends_on.isoformat() == "2027-04-24"
    move_to(clock, datetime(2027, 3, 31, 12, tzinfo=UTC))  # the old day-180 job is gone
    await Scheduler(deps).tick()
    assert await opportunity_owner(db, "O-1002") == SALLY
    move_to(clock, datetime(2027, 4, 25, 12, tzinfo=UTC))
    await Scheduler(deps).tick()
    assert await opportunity_owner(db, "O-1002") == TOM


async def test_insufficient_evidence_moves_the_opportunity_now(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    await reassigned(slack, standin, db)
    request_id = await ask_extension(slack, standin, "2027-02-15")
    refuse = await card_button(standin, TOM, "approval.reject", request_id)
    await slack.click(TOM, "approval.reject", refuse)
    modal = (
        await standin.wait_for(
            "views.open", lambda c: c.args["view"]["callback_id"] == "approval.reject_reason"
        )
    )[-1].args["view"]
    done = await slack.give_reason(TOM, modal, "No PO and no champion since October")
    assert done.body == ""
    assert await opportunity_owner(db, "O-1002") == TOM
    for user in (SALLY, TOM):
        assert "No PO and no champion" in await told(standin, user, "now belongs to")
    assert (await holdover(db, "O-1002")).status == "transferred"
    assert "moved to the new owner" in (await slack.command("holdover O-1002", SALLY)).text


async def test_day_120_reminder_then_the_button_is_gone_then_day_180_moves_it(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    await reassigned(slack, standin, db)
    move_to(clock, datetime(2027, 1, 29, 9, tzinfo=UTC))  # day 120, after weeks with the app down
    await Scheduler(deps).tick()
    assert "Today is day 120" in await told(
        standin, SALLY, "Last day to ask for an extension on Initech GmbH- 50 Ultimate"
    )
    assert "closed on 2027-01-13" in await told(standin, SALLY, "window for Initech GmbH- 50 Premium Renewal")
    reports = await standin.wait_for(
        "chat.postMessage", lambda c: "Weekly holdover report" in visible_text(c.args)
    )
    assert len(reports) == 1 and reports[0].args["channel"] == TOM  # missed weeks run once
    report = visible_text(reports[0].args)
    assert "New Business/Add Ons" in report and "Renewals" in report and "O-1008" in report
    assert f"with <@{SALLY}> until <!date^" in report
    move_to(clock, datetime(2027, 1, 30, 9, tzinfo=UTC))
    shown = await slack.command("holdover O-1002", SALLY)
    assert not buttons(shown.json) and "no later than day 120" in shown.text
    move_to(clock, datetime(2027, 3, 31, 0, 5, tzinfo=UTC))
    await Scheduler(deps).tick()
    await Scheduler(deps).tick()  # a second replica, or a restart: nothing runs twice
    assert await opportunity_owner(db, "O-1002") == TOM
    for user in (SALLY, TOM):
        said = await told(standin, user, "50 Ultimate now belongs to")
        assert "holdover ended on <!date^" in said and "|2027-03-30> (180 days at most)" in said
    await deps.outbox.drain()
    moved = [c for c in standin.calls_to("chat.postMessage") if "now belongs to" in visible_text(c.args)]
    assert len([c for c in moved if "50 Ultimate" in visible_text(c.args)]) == 2
    assert (await holdover(db, "O-1002")).status == "transferred"


async def test_a_claim_through_ownership_also_records_holdovers(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    values = {
        "new_owner": {"ownership.new_owner": {"type": "users_select", "selected_user": "U0AE1"}},
        "reason": {"value": {"type": "plain_text_input", "value": "I run their renewal"}},
    }
    await slack.submit("U0AE1", "ownership.claim", values, private_metadata="A-HOOLI")
    async with db.sessions() as session:
        request_id = await session.scalar(select(func.max(RequestRow.id)))
    assert request_id is not None
    value = await card_button(standin, "U0AE2", "approval.approve", request_id)
    await slack.click("U0AE2", "approval.approve", value)
    row = await holdover(db, "O-1005")
    assert (row.original_owner, row.new_owner, row.ends_on.isoformat()) == ("U0AE2", "U0AE1", "2027-05-09")
    clock.advance(timedelta(days=170))
    await Scheduler(deps).tick()
    assert await opportunity_owner(db, "O-1005") == "U0AE1"
