"""Executive sponsorship end to end: nominate, agree, confirm; the cap and the reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import RequestRow, SponsorshipRow
from tests.conftest import FakeClock
from tests.slack.client import SlackClient, visible_text


def values(sponsor: str, why: str = "Strategic logo; board-level relationship") -> dict:
    return {
        "sponsor": {"value": {"type": "users_select", "selected_user": sponsor}},
        "why": {"value": {"type": "plain_text_input", "value": why}},
    }


def approve_value(standin: SlackStandIn, user: str) -> str:
    card = standin.messages["D" + user[1:]][-1]
    for block in card["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == "approval.approve":
                return str(element["value"])
    raise AssertionError(f"no approve button for {user}")


async def fill_program(db: Database, clock: FakeClock, n: int = 10) -> None:
    async with db.sessions.begin() as session:
        for i in range(n):
            session.add(
                SponsorshipRow(
                    account_id=f"A-SP{i}",
                    account_name=f"Sponsored {i}",
                    sponsor="U0VP2",
                    nominated_by="U0VP1",
                    confirmed_by="U0CRO1",
                    request_id=1000 + i,
                    why="",
                    starts_on=date(2026, 3, 1),
                    ends_on=date(2027, 3, 1),
                    created_at=clock.now,
                )
            )


async def test_nominate_agree_confirm_then_remind_before_the_year_ends(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    await slack.command("sponsor Globex", "U0VP1")
    view = (await standin.wait_for("views.open"))[0].args["view"]
    assert view["callback_id"] == "sponsor.submit" and view["private_metadata"] == "A-GLOBEX"
    reply = await slack.submit("U0VP1", "sponsor.submit", values("U0VP2"), private_metadata="A-GLOBEX")
    assert "Nomination #" in visible_text(reply.json), reply.body
    assert "*<@U0VP2>* is asked to sponsor *Globex Corporation*" in visible_text(reply.json)
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0VP2")
    await slack.click("U0VP2", "approval.approve", approve_value(standin, "U0VP2"))
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0CRO1")
    async with db.reads() as session:
        assert (await session.scalars(select(SponsorshipRow))).all() == []  # not before the CRO
    await slack.click("U0CRO1", "approval.approve", approve_value(standin, "U0CRO1"))
    async with db.reads() as session:
        row = await session.scalar(select(SponsorshipRow))
        request = await session.scalar(select(RequestRow).where(RequestRow.kind == "sponsorship"))
    assert row is not None and row.account_id == "A-GLOBEX" and row.sponsor == "U0VP2"
    assert (row.starts_on, row.ends_on) == (date(2026, 11, 24), date(2027, 11, 24))
    assert request is not None and request.status == "applied"
    await standin.wait_for(
        "chat.postMessage", lambda c: "Confirmed: <@U0VP2> sponsors" in visible_text(c.args)
    )
    listing = await slack.command("sponsor list", "U0AE1")
    assert "1 of 10 places taken" in listing.text and "*Globex Corporation*: <@U0VP2>, until" in listing.text
    assert "until <!date^" in listing.text and "^{date_long}|2027-11-24>" in listing.text
    clock.now = datetime(2027, 10, 25, 14, 1, tzinfo=UTC)  # 30 days before it ends
    assert await Scheduler(deps).tick() == 1
    reminders = await standin.wait_for(
        "chat.postMessage", lambda c: "ends on 2027-11-24" in visible_text(c.args), count=2
    )
    assert {c.args["channel"] for c in reminders} == {"U0VP1", "U0VP2"}
    assert "ends on <!date^" in visible_text(reminders[0].args["blocks"])
    clock.now = datetime(2027, 11, 24, 0, 1, tzinfo=UTC)
    assert await Scheduler(deps).tick() == 1
    await standin.wait_for("chat.postMessage", lambda c: "ended today" in visible_text(c.args))
    assert "0 of 10 places taken" in (await slack.command("sponsor list", "U0AE1")).text


async def test_the_sponsor_declining_ends_the_nomination(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    await slack.submit("U0VP1", "sponsor.submit", values("U0VP2"), private_metadata="A-GLOBEX")
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0VP2")
    await slack.click("U0VP2", "approval.reject", approve_value(standin, "U0VP2"))
    modal = (await standin.wait_for("views.open"))[0].args["view"]
    await slack.give_reason("U0VP2", modal, "No time this year")
    note = (
        await standin.wait_for("chat.postMessage", lambda c: "No time this year" in visible_text(c.args))
    )[0]
    assert note.args["channel"] == "U0VP1"
    async with db.reads() as session:
        assert (await session.scalars(select(SponsorshipRow))).all() == []


async def test_the_eleventh_account_is_refused_with_the_list(
    slack: SlackClient, standin: SlackStandIn, db: Database, clock: FakeClock, directory
) -> None:
    await fill_program(db, clock)
    reply = await slack.submit("U0VP1", "sponsor.submit", values("U0VP2"), private_metadata="A-GLOBEX")
    assert reply.json["response_action"] == "update"
    text = visible_text(reply.json)
    assert "All 10 executive sponsorships are taken" in text
    assert all(f"Sponsored {i}" in text for i in range(10))
    await slack.command("sponsor Globex", "U0VP1")
    refused = (await standin.wait_for("response_url", lambda c: c.args["key"] == "U0VP1"))[0]
    assert "Sponsored 9" in visible_text(refused.args)
    assert standin.calls_to("views.open") == []


async def test_only_sales_vps_nominate(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    await slack.command("sponsor Globex", "U0RD1")
    refused = (await standin.wait_for("response_url", lambda c: c.args["key"] == "U0RD1"))[0]
    assert "Only Sales VPs" in visible_text(refused.args)
    assert standin.calls_to("views.open") == []
    reply = await slack.submit("U0RD1", "sponsor.submit", values("U0VP2"), private_metadata="A-GLOBEX")
    assert "Only Sales VPs" in reply.json["errors"]["sponsor"]
    async with db.reads() as session:
        assert (await session.scalars(select(RequestRow))).all() == []


async def test_the_cap_is_checked_again_when_the_cro_confirms(
    slack: SlackClient, standin: SlackStandIn, db: Database, clock: FakeClock, directory
) -> None:
    await slack.submit("U0VP1", "sponsor.submit", values("U0VP2"), private_metadata="A-GLOBEX")
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0VP2")
    await slack.click("U0VP2", "approval.approve", approve_value(standin, "U0VP2"))
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0CRO1")
    await fill_program(db, clock)  # the places filled up while the CRO was deciding
    clock.advance(timedelta(hours=1))
    await slack.click("U0CRO1", "approval.approve", approve_value(standin, "U0CRO1"))
    async with db.reads() as session:
        request = await session.scalar(select(RequestRow).where(RequestRow.kind == "sponsorship"))
        count = len((await session.scalars(select(SponsorshipRow))).all())
    assert request is not None and request.status == "rejected" and count == 10


async def test_a_vp_cannot_nominate_someone_outside_e_group(
    slack: SlackClient, db: Database, directory
) -> None:
    reply = await slack.submit("U0VP1", "sponsor.submit", values("U0AE1"), private_metadata="A-GLOBEX")
    assert "must be a member of e-group; Ava Cole is not" in reply.json["errors"]["sponsor"]
    async with db.sessions() as session:
        assert await session.scalar(select(RequestRow).where(RequestRow.kind == "sponsorship")) is None
