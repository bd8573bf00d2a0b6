"""Segment and hierarchy reviews end to end: signed requests in, the stand-in's calls and the database out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.standin import signer
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AccountRow, AuditRow, JobRow, RequestRow
from tests.conftest import FakeClock
from tests.slack.client import SlackClient, visible_text

FILING = "https://www.sec.gov/Archives/edgar/data/0001/10k.htm"


def count_values(count: str, source: str = FILING) -> dict:
    return {
        "review": {"review.kind": {"type": "radio_buttons", "selected_option": {"value": "employees"}}},
        "count": {"value": {"type": "plain_text_input", "value": count}},
        "source": {"value": {"type": "url_text_input", "value": source}},
    }


def address_values(zip_code: str, state: str, country: str, source: str = FILING) -> dict:
    return {
        "review": {"review.kind": {"type": "radio_buttons", "selected_option": {"value": "address"}}},
        "zip": {"value": {"type": "plain_text_input", "value": zip_code}},
        "state": {"value": {"type": "plain_text_input", "value": state}},
        "country": {"value": {"type": "plain_text_input", "value": country}},
        "source": {"value": {"type": "url_text_input", "value": source}},
    }


def meta(account_id: str, review: str = "employees") -> str:
    return json.dumps({"account_id": account_id, "review": review})


def dm_to(standin: SlackStandIn, user: str) -> list[dict]:
    return standin.messages.get("D" + user[1:], [])


def buttons(message: dict) -> list[dict]:
    found = []
    for block in message.get("blocks", []):
        if block["type"] == "actions":
            found += block["elements"]
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found


async def account(db: Database, account_id: str) -> AccountRow:
    async with db.reads() as session:
        row = await session.get(AccountRow, account_id)
    assert row is not None
    return row


async def request_row(db: Database, request_id: int) -> RequestRow:
    async with db.reads() as session:
        row = await session.get(RequestRow, request_id)
    assert row is not None
    return row


async def ask_tiny_to_mid_market(slack: SlackClient, standin: SlackStandIn) -> tuple[int, dict]:
    """Ben asks to move Tiny Widgets (DataFox 40, SMB, US-East) to 150 employees (Mid-Market)."""
    reply = await slack.submit("U0AE2", "review.submit", count_values("150"), private_metadata=meta("A-TINY"))
    assert reply.json["response_action"] == "update", reply.body
    text = visible_text(reply.json)
    assert "SMB → Mid-Market" in text and "Sales Ops have it now" in text
    request_id = int(text.split("Review #")[1].split("*")[0])
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0OPS1")
    card = dm_to(standin, "U0OPS1")[-1]
    return request_id, card


async def test_review_opens_a_modal_for_a_visible_account_and_swaps_fields(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    await slack.command("review Initech", "U0AE1")
    view = (await standin.wait_for("views.open"))[0].args["view"]
    assert (
        view["callback_id"] == "review.submit"
        and json.loads(view["private_metadata"])["account_id"] == "A-INITECH"
    )
    blocks = {b.get("block_id") for b in view["blocks"]}
    assert {"count", "source"} <= blocks and "zip" not in blocks
    assert "Large" in visible_text(view)
    payload = signer.block_action_payload(
        "U0AE1", "review.kind", "", view={**view, "id": "V1"}, channel_id=None
    )
    payload["actions"][0] |= {"type": "radio_buttons", "selected_option": {"value": "address"}}
    await slack.post(*signer.interaction_body(payload))
    swapped = (await standin.wait_for("views.update"))[0].args["view"]
    swapped_blocks = {b.get("block_id") for b in swapped["blocks"]}
    assert {"zip", "state", "country", "source"} <= swapped_blocks and "count" not in swapped_blocks
    hidden = await slack.command("review Stark Federal Systems", "U0AE1")
    assert hidden.body == ""
    note = (await standin.wait_for("response_url", lambda c: c.args["key"] == "U0AE1"))[0]
    assert "No account matches" in visible_text(note.args) and len(standin.calls_to("views.open")) == 1


async def test_linkedin_is_refused_inline_with_the_reason(
    slack: SlackClient, db: Database, directory
) -> None:
    reply = await slack.submit(
        "U0AE2",
        "review.submit",
        count_values("150", "https://www.linkedin.com/company/tiny-widgets"),
        private_metadata=meta("A-TINY"),
    )
    assert reply.json["response_action"] == "errors"
    assert "LinkedIn is not accepted" in reply.json["errors"]["source"]
    async with db.reads() as session:
        assert (await session.scalars(select(RequestRow))).all() == []


async def test_a_source_that_is_not_a_web_link_is_refused(slack: SlackClient, directory) -> None:
    for source in ("the annual report", "ftp://files.example.com/report.pdf", "javascript:alert(1)"):
        reply = await slack.submit(
            "U0AE2", "review.submit", count_values("150", source), private_metadata=meta("A-TINY")
        )
        assert reply.json["response_action"] == "errors", source
        assert "web link" in reply.json["errors"]["source"], source


async def test_a_count_that_keeps_the_segment_is_refused_at_the_door(slack: SlackClient, directory) -> None:
    # Tiny Widgets is SMB at 40; 80 is still SMB.
    reply = await slack.submit("U0AE2", "review.submit", count_values("80"), private_metadata=meta("A-TINY"))
    error = reply.json["errors"]["count"]
    assert "do not change the segment are not reviewed" in error and "stays SMB" in error
    # Initech's own 1,500 is Mid-Market, its hierarchy Large (Initech GmbH 2,400): 1,800 changes nothing.
    reply = await slack.submit(
        "U0AE1", "review.submit", count_values("1,800"), private_metadata=meta("A-INITECH")
    )
    assert "stays Large" in reply.json["errors"]["count"]
    reply = await slack.submit(
        "U0AE1", "review.submit", count_values("lots"), private_metadata=meta("A-INITECH")
    )
    assert "whole number" in reply.json["errors"]["count"]


async def test_an_address_review_needs_every_field_and_a_country_code(slack: SlackClient, directory) -> None:
    reply = await slack.submit(
        "U0AE1",
        "review.submit",
        address_values("", "NY", "United States"),
        private_metadata=meta("A-ACME", "address"),
    )
    assert set(reply.json["errors"]) == {"zip", "country"}


async def test_queue_lists_reviews_by_region_for_sales_ops_only(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    await ask_tiny_to_mid_market(slack, standin)
    reply = await slack.submit(
        "U0AE1",
        "review.submit",
        address_values("94105", "CA", "US"),
        private_metadata=meta("A-ACME", "address"),
    )
    assert reply.json["response_action"] == "update"
    queue = await slack.command("review queue", "U0OPS1")
    assert "US-East*: 2 to decide, 0 approved" in queue.text
    assert "Tiny Widgets" in queue.text and "Acme" in queue.text
    assert "asked by <@U0AE1> on <!date^" in queue.text  # a mention and Slack's date, not raw text
    assert "Only Sales Ops" in (await slack.command("review queue", "U0AE1")).text
    export = await slack.command("review export", "U0OPS1")
    assert "```id,status,region,account_id" in export.text
    assert "A-TINY" in export.text and "94105 CA US" in export.text
    assert len(export.json["blocks"]) <= 50
    assert "A-TINY" not in (await slack.command("review export EMEA", "U0OPS1")).text
    assert "A-TINY" in (await slack.command("review export us-east", "U0OPS1")).text  # any case
    await slack.click("U0OPS1", "review.export", "all")
    posted = (await standin.wait_for("response_url", lambda c: c.args["key"] == "U0OPS1"))[0]
    assert "A-TINY" in visible_text(posted.args)


async def test_approved_review_applies_at_the_start_of_q1_and_tells_the_owners(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    request_id, card = await ask_tiny_to_mid_market(slack, standin)
    approve = next(b for b in buttons(card) if b["action_id"] == "approval.approve")
    await slack.click("U0OPS1", "approval.approve", approve["value"])
    assert (await request_row(db, request_id)).status == "approved"
    [offer] = await standin.wait_for(
        "chat.postMessage", lambda c: "applies on 2027-02-01" in visible_text(c.args)
    )
    assert "applies on <!date^" in visible_text(offer.args["blocks"])
    assert (await account(db, "A-TINY")).employees_override is None  # not before Q1
    async with db.reads() as session:
        job = await session.scalar(select(JobRow).where(JobRow.key == f"review.apply:{request_id}:"))
    assert job is not None and job.due_at == datetime(2027, 2, 1, tzinfo=UTC)
    clock.advance(timedelta(days=30))
    await Scheduler(deps).tick()
    assert (await account(db, "A-TINY")).employees_override is None
    clock.now = datetime(2027, 2, 1, 0, 5, tzinfo=UTC)
    assert await Scheduler(deps).tick() == 1
    assert (await account(db, "A-TINY")).employees_override == 150
    assert (await request_row(db, request_id)).status == "applied"
    # Ben (Mid-Market AE) owns it: it moved SMB -> Mid-Market, and he still fits, so no warning.
    told = await standin.wait_for(
        "chat.postMessage", lambda c: "Your accounts changed" in visible_text(c.args)
    )
    assert told[0].args["channel"] == "U0AE2"
    assert "segment SMB → Mid-Market" in visible_text(told[0].args)
    assert "no longer fit" not in visible_text(told[0].args)
    await standin.wait_for("chat.postMessage", lambda c: "Applied: review #" in visible_text(c.args))


async def test_apply_now_by_sales_ops_recomputes_the_hierarchy_and_flags_misfits(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, directory
) -> None:
    # Initech GmbH's 2,400 makes the Initech hierarchy Large; a reviewed 500 makes all three Mid-Market.
    reply = await slack.submit(
        "U0SAL1", "review.submit", count_values("500"), private_metadata=meta("A-INITECH-DE")
    )
    assert reply.json["response_action"] == "update", reply.body
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0OPS1")
    card = dm_to(standin, "U0OPS1")[-1]
    approve = next(b for b in buttons(card) if b["action_id"] == "approval.approve")
    request_id = int(approve["value"].split(":")[0])
    denied = await slack.command(f"review apply {request_id}", "U0SAL1")
    assert "only Sales Ops apply reviews" in denied.text
    await slack.click("U0OPS1", "approval.approve", approve["value"])
    offer = (await standin.wait_for("chat.postMessage", lambda c: "Apply now" in json.dumps(c.args)))[0]
    apply_button = next(b for b in buttons(offer.args) if b["action_id"] == "review.apply")
    await slack.click("U0OPS1", "review.apply", apply_button["value"])
    done = (
        await standin.wait_for(
            "response_url", lambda c: f"Review #{request_id} applied" in visible_text(c.args)
        )
    )[0]
    assert "4 account(s) changed" in visible_text(done.args)
    assert (await account(db, "A-INITECH-DE")).employees_override == 500
    assert (await request_row(db, request_id)).status == "applied"
    again = await slack.command(f"review apply {request_id}", "U0OPS1")
    assert "is applied, not approved" in again.text
    notes = await standin.wait_for(
        "chat.postMessage", lambda c: "Your accounts changed" in visible_text(c.args), count=2
    )
    by_owner = {c.args["channel"]: visible_text(c.args) for c in notes}
    # Sally (SAL, Large) owns Initech, GmbH and France; Tom (SAL EMEA) Initech UK: neither fits any more.
    assert set(by_owner) == {"U0SAL1", "U0SAL2"}
    assert "segment Large → Mid-Market" in by_owner["U0SAL1"] and "no longer fit" in by_owner["U0SAL1"]
    assert "no longer fit" in by_owner["U0SAL2"]
    async with db.reads() as session:
        job = await session.scalar(select(JobRow).where(JobRow.key == f"review.apply:{request_id}:"))
        applied = await session.scalar(
            select(AuditRow).where(AuditRow.request_id == request_id, AuditRow.action == "applied")
        )
    assert job is not None and job.status == "cancelled"
    assert applied is not None and applied.detail["accounts_changed"] == 4  # with the named Initech France


async def test_an_address_review_moves_the_territory_when_applied(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    # Acme (owned by Ava, US-East) moves its HQ to California: US-West.
    await slack.submit(
        "U0AE1",
        "review.submit",
        address_values("94105", "ca", "us"),
        private_metadata=meta("A-ACME", "address"),
    )
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0OPS1")
    approve = next(b for b in buttons(dm_to(standin, "U0OPS1")[-1]) if b["action_id"] == "approval.approve")
    await slack.click("U0OPS1", "approval.approve", approve["value"])
    request_id = approve["value"].split(":")[0]
    reply = await slack.command(f"review apply #{request_id}", "U0OPS1")
    assert "applied" in reply.text
    row = await account(db, "A-ACME")
    assert (row.override_country, row.override_state) == ("US", "CA")
    note = (
        await standin.wait_for("chat.postMessage", lambda c: "Your accounts changed" in visible_text(c.args))
    )[0]
    assert "territory US-East → US-West" in visible_text(note.args)
    assert "no longer fit" in visible_text(note.args)  # Ava works US-East


async def test_sales_ops_reject_with_a_note_the_requester_reads(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    request_id, card = await ask_tiny_to_mid_market(slack, standin)
    reject = next(b for b in buttons(card) if b["action_id"] == "approval.reject")
    await slack.click("U0OPS1", "approval.reject", reject["value"])
    modal = (await standin.wait_for("views.open"))[0].args["view"]
    done = await slack.give_reason("U0OPS1", modal, "The filing is from 2019 <!channel>")
    assert done.status == 200 and done.body == ""
    assert (await request_row(db, request_id)).status == "rejected"
    note = (await standin.wait_for("chat.postMessage", lambda c: "Rejected: review" in visible_text(c.args)))[
        0
    ]
    assert note.args["channel"] == "U0AE2"
    assert "The filing is from 2019" in visible_text(note.args) and "<!channel>" not in json.dumps(note.args)
    assert (await account(db, "A-TINY")).employees_override is None


async def test_outside_q4_a_review_waits_for_the_review_quarter(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, clock: FakeClock, db: Database, directory
) -> None:
    clock.now = datetime(2027, 6, 10, 15, 0, tzinfo=UTC)  # fiscal Q2
    reply = await slack.submit("U0AE2", "review.submit", count_values("150"), private_metadata=meta("A-TINY"))
    assert "Sales Ops see it from 2027-11-01" in visible_text(reply.json)
    await deps.outbox.drain()
    assert dm_to(standin, "U0OPS1") == []
    clock.now = datetime(2027, 11, 1, 0, 1, tzinfo=UTC)
    assert await Scheduler(deps).tick() == 1
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0OPS1")
    assert "Segment review" in visible_text(dm_to(standin, "U0OPS1")[-1])
