"""Contact SLAs end to end: log, remind, escalate across weekends and holidays, close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AuditRow, SlaRequestRow
from tests.conftest import FakeClock
from tests.slack.client import SlackClient, visible_text


def values(
    received: datetime | None, kind: str | None = "contact-us", note: str = "Wants a demo <!here>"
) -> dict:
    return {
        "kind": {"value": {"type": "static_select", "selected_option": {"value": kind} if kind else None}},
        "received": {
            "value": {
                "type": "datetimepicker",
                "selected_date_time": int(received.timestamp()) if received else None,
            }
        },
        "note": {"value": {"type": "plain_text_input", "value": note}},
    }


def texts_to(standin: SlackStandIn, user: str) -> list[str]:
    return [visible_text(m) for m in standin.messages.get("D" + user[1:], [])]


async def log_hooli(slack: SlackClient, standin: SlackStandIn, received: datetime) -> int:
    """Sid (SDR) logs a request for Hooli, owned by Ben (AE) whose manager is Sam (ASM)."""
    reply = await slack.submit("U0SDR1", "sla.submit", values(received), private_metadata="A-HOOLI")
    assert reply.json["response_action"] == "update", reply.body
    text = visible_text(reply.json)
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0AE2")
    return int(text.split("Request #")[1].split(" ")[0])


async def tick_at(deps: Deps, clock: FakeClock, moment: datetime) -> int:
    clock.now = moment
    ran = await Scheduler(deps).tick()
    await deps.outbox.drain()
    return ran


async def test_log_opens_a_modal_for_the_owner(slack: SlackClient, standin: SlackStandIn, directory) -> None:
    await slack.command("sla log Hooli", "U0SDR1")
    view = (await standin.wait_for("views.open"))[0].args["view"]
    assert view["callback_id"] == "sla.submit" and view["private_metadata"] == "A-HOOLI"
    assert "*Hooli*: its owner, <@U0AE2>, has one business day" in visible_text(view)  # Ben Ito


async def test_the_form_refuses_a_future_time_and_a_missing_kind(
    slack: SlackClient, clock: FakeClock, directory
) -> None:
    reply = await slack.submit(
        "U0SDR1", "sla.submit", values(clock.now + timedelta(hours=3), kind=None), private_metadata="A-HOOLI"
    )
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"kind", "received"}
    assert "future" in reply.json["errors"]["received"]


async def test_the_manager_is_told_after_a_holiday_not_on_it(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    # Received Wednesday 25 November 2026, 15:00 UTC; Thursday is Thanksgiving, so it is due Friday 15:00.
    clock.now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    sla_id = await log_hooli(slack, standin, clock.now)
    assert "Fri 27 Nov 15:00 UTC" in texts_to(standin, "U0AE2")[-1]
    assert "logged by <@U0SDR1>" in texts_to(standin, "U0AE2")[-1]  # the logger, as a mention
    assert "&lt;!here&gt;" in texts_to(standin, "U0AE2")[-1]
    assert await tick_at(deps, clock, datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == 0  # Thanksgiving
    assert texts_to(standin, "U0ASM3") == []
    assert await tick_at(deps, clock, datetime(2026, 11, 27, 13, 5, tzinfo=UTC)) == 1
    assert "Reminder" in texts_to(standin, "U0AE2")[-1]
    assert texts_to(standin, "U0ASM3") == []
    assert await tick_at(deps, clock, datetime(2026, 11, 27, 15, 1, tzinfo=UTC)) == 1
    escalation = texts_to(standin, "U0ASM3")
    assert len(escalation) == 1 and "<@U0AE2> has not followed up" in escalation[0]
    assert "ran past its one-business-day SLA" in texts_to(standin, "U0AE2")[-1]
    async with db.reads() as session:
        row = await session.get(SlaRequestRow, sla_id)
        actions = set(await session.scalars(select(AuditRow.action)))
    assert row is not None and row.escalated_at is not None and row.status == "open"
    assert {"sla_logged", "sla_reminded", "sla_escalated"} <= actions
    listing = await slack.command("sla", "U0ASM3")
    assert "Hooli" in listing.text and "overdue" in listing.text


async def test_done_over_a_weekend_stops_the_escalation(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    # Received Friday 27 November 16:00 UTC: due Monday 30 November 16:00, not Saturday.
    clock.now = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    sla_id = await log_hooli(slack, standin, clock.now)
    assert await tick_at(deps, clock, datetime(2026, 11, 28, 17, 0, tzinfo=UTC)) == 0
    assert await tick_at(deps, clock, datetime(2026, 11, 29, 17, 0, tzinfo=UTC)) == 0
    assert await tick_at(deps, clock, datetime(2026, 11, 30, 14, 5, tzinfo=UTC)) == 1  # the reminder
    assert (
        "due *<!date^1796054400^{date_short_pretty} {time}|Mon 30 Nov 16:00 UTC>*"
        in texts_to(standin, "U0AE2")[-1]
    )
    mine = await slack.command("sla", "U0AE2")
    assert f"#{sla_id}" in mine.text and "due soon" in mine.text
    refused = await slack.command(f"sla done {sla_id}", "U0SDR1")
    assert "only the account owner" in refused.text
    done = await slack.command(f"sla done {sla_id}", "U0AE2")
    assert "closed; no escalation goes out" in done.text
    assert await tick_at(deps, clock, datetime(2026, 11, 30, 16, 1, tzinfo=UTC)) == 0
    assert texts_to(standin, "U0ASM3") == []
    async with db.reads() as session:
        row = await session.get(SlaRequestRow, sla_id)
    assert row is not None and row.status == "done" and row.closed_by == "U0AE2"
    assert "No open contact requests" in (await slack.command("sla", "U0AE2")).text
    again = await slack.command(f"sla done {sla_id}", "U0AE2")
    assert "already done" in again.text


async def test_the_followed_up_button_closes_it(
    slack: SlackClient, standin: SlackStandIn, db: Database, clock: FakeClock, directory
) -> None:
    sla_id = await log_hooli(slack, standin, clock.now - timedelta(hours=1))
    await slack.click("U0AE2", "sla.done", str(sla_id))
    await standin.wait_for("response_url", lambda c: "is closed" in visible_text(c.args))
    async with db.reads() as session:
        row = await session.get(SlaRequestRow, sla_id)
    assert row is not None and row.status == "done"
