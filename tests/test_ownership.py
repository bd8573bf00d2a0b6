"""Account ownership end to end: signed requests in, the stand-in's Web API calls and the database out."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.approvals import service
from bot.deps import Deps
from bot.standin.web_api import Fault, SlackStandIn
from storage.db import Database
from storage.models import (
    AccountRow,
    AuditRow,
    DecisionRow,
    HoldoverRow,
    OpportunityRow,
    OutboxRow,
    RequestRow,
)
from tests.conftest import FakeClock, another_process
from tests.slack.client import SlackClient, text_value, visible_text


async def owner_of(db: Database, account_id: str) -> str | None:
    async with db.sessions() as session:
        return await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == account_id))


def claim_values(new_owner: str, reason: str = "") -> dict:
    return {
        "new_owner": {"ownership.new_owner": {"type": "users_select", "selected_user": new_owner}},
        "reason": {"value": {"type": "plain_text_input", "value": reason}},
    }


def dm_to(standin: SlackStandIn, user: str) -> list[dict]:
    return standin.messages.get("D" + user[1:], [])


def buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def request_hooli(slack: SlackClient, standin: SlackStandIn) -> dict:
    """Ava (AE) asks for Hooli, owned by Ben: she fits but may not reassign it (no DataFox count)."""
    reply = await slack.submit(
        "U0AE1", "ownership.claim", claim_values("U0AE1", "I run their renewal"), private_metadata="A-HOOLI"
    )
    assert reply.json["response_action"] == "update", reply.body
    assert "Request sent" in visible_text(reply.json)
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0AE2")
    card = dm_to(standin, "U0AE2")[-1]
    return {"card": card, "approve": next(b for b in buttons(card) if b["action_id"] == "approval.approve")}


async def test_owner_card_explains_owner_segment_territory_and_rights(slack: SlackClient, directory) -> None:
    reply = await slack.command("owner Initech", "U0AE1")
    text = reply.text
    assert "*Owner:* <@U0SAL1>" in text  # Sally Park
    assert "Large" in text and "Initech GmbH" in text  # the child raised the hierarchy's segment
    assert "US-East" in text
    assert "may not reassign" in text
    assert "Technical Evaluation" in text  # open opportunity listed


async def test_owner_lookup_forgives_typos_and_offers_candidates(slack: SlackClient, directory) -> None:
    assert "Globex Corporation" in (await slack.command("owner globex corp", "U0AE1")).text
    reply = await slack.command("owner Initek", "U0AE1")
    assert "Initech" in reply.text


async def test_public_sector_accounts_are_hidden_from_everyone_else(slack: SlackClient, directory) -> None:
    for text in ("owner Stark Federal Systems", "owner A-STARK", "segment Stark Federal Systems"):
        hidden = await slack.command(text, "U0AE1")
        assert "No account matches" in hidden.text and "Stark Federal" not in hidden.text.replace(
            text.split(" ", 1)[1], ""
        )
    assert "*Owner:* <@U0PUB1>" in (await slack.command("owner Stark Federal Systems", "U0PUB1")).text
    assert "*Owner:* <@U0PUB1>" in (await slack.command("owner A-STARK", "U0ADM1")).text


async def test_segment_for_a_count_and_for_an_account(slack: SlackClient, directory) -> None:
    assert "Mid-Market" in (await slack.command("segment 1,999", "U0AE1")).text
    assert "Large" in (await slack.command("segment 2000", "U0AE1")).text
    reply = await slack.command("segment Initech", "U0AE1")
    assert "Initech is Large" in reply.text and "Initech GmbH" in reply.text


async def test_claim_opens_a_modal_that_shows_the_rules(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    await slack.command("claim Hooli", "U0AE1")
    call = (await standin.wait_for("views.open"))[0]
    view = call.args["view"]
    assert view["callback_id"] == "ownership.claim"
    assert view["private_metadata"] == "A-HOOLI"
    text = visible_text(view)
    assert "The current owner, Ben Ito, decides" in text, text
    assert "Contacts stay with Sid Patel, the account's SDR (Mid-Market non-customer account)" in text
    assert "Leads follow the account owner, Ava Cole" in text
    assert "Contacts and leads follow the account owner" not in text
    assert "territory" in text


async def test_a_request_goes_to_the_owner_who_approves_and_the_account_moves(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    card = visible_text(sent["card"])
    assert "*Why you:* You own the account" in card and "you decide as the account's owner" in card
    assert "You are not the owner" not in card  # that sentence was the requester's, not Ben's
    assert await owner_of(db, "A-HOOLI") == "U0AE2"
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert await owner_of(db, "A-HOOLI") == "U0AE1"
    updates = await standin.wait_for("chat.update", lambda c: c.args["channel"] == "D0AE2")
    assert buttons(standin.messages["D0AE2"][0]) == []  # decided card has no buttons left
    assert "approved" in visible_text(updates[-1].args)
    await standin.wait_for("chat.postMessage", lambda c: "moved from" in visible_text(c.args), count=2)
    told = {
        c.args["channel"]
        for c in standin.calls_to("chat.postMessage")
        if "moved from" in visible_text(c.args)
    }
    assert told == {"U0AE1", "U0AE2"}  # both owners (Ava is also the requester: told once)
    moved = next(c for c in standin.calls_to("chat.postMessage") if "moved from" in visible_text(c.args))
    assert "*Hooli* moved from <@U0AE2> to *<@U0AE1>* (by <@U0AE2>, request #" in visible_text(moved.args)
    await standin.wait_for("chat.update", lambda c: c.args["channel"] == "D0AE1")
    [requested] = [m for m in dm_to(standin, "U0AE1") if "sent:" in m["text"] or "is applied" in m["text"]]
    assert buttons(requested) == [] and "applied" in visible_text(requested)  # no stale Cancel button


async def test_a_bystander_cannot_approve_someone_elses_request(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    for user in ("U0SAL1", "U0AE1"):  # a bystander, and the requester herself
        await slack.click(user, "approval.approve", sent["approve"]["value"])
    replies = await standin.wait_for("response_url", lambda c: c.args["key"] in ("U0SAL1", "U0AE1"), count=2)
    texts = {c.args["key"]: visible_text(c.args) for c in replies}
    assert "isn't yours" in texts["U0SAL1"]
    assert "your own request" in texts["U0AE1"]
    request_id = sent["approve"]["value"].split(":")[0]
    assert "No request" in (await slack.command(f"requests {request_id}", "U0SAL1")).text  # still a bystander
    assert await owner_of(db, "A-HOOLI") == "U0AE2"
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DecisionRow)) == 0
        refused = await session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.action == "refused_decision")
        )
    assert refused == 2


async def test_a_double_click_counts_once(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, directory
) -> None:
    sent = await request_hooli(slack, standin)
    value = sent["approve"]["value"]
    await asyncio.gather(*(slack.click("U0AE2", "approval.approve", value) for _ in range(10)))
    await deps.outbox.drain()
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DecisionRow)) == 1
        notes = await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.dedupe_key.like("note:%:applied:%"))
        )
    assert notes == 2
    await standin.wait_for("response_url", lambda c: c.args["key"] == "U0AE2", count=10)
    texts = [visible_text(c.args) for c in standin.calls_to("response_url")]
    assert sum("You approved" in t for t in texts) == 1
    assert sum("Nothing changed" in t for t in texts) == 9


async def test_rejecting_needs_a_reason_and_tells_the_requester(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    await slack.click("U0AE2", "approval.reject", sent["approve"]["value"])
    modal = (await standin.wait_for("views.open"))[0].args["view"]
    assert modal["callback_id"] == "approval.reject_reason"
    empty = await slack.give_reason("U0AE2", modal, "")
    assert empty.json["response_action"] == "errors" and "reason" in empty.json["errors"]
    done = await slack.give_reason("U0AE2", modal, "Ben has a live deal <!channel>")
    assert done.status == 200 and done.body == ""
    note = (await standin.wait_for("chat.postMessage", lambda c: "was rejected" in visible_text(c.args)))[0]
    assert note.args["channel"] == "U0AE1"
    assert "was rejected* by <@U0AE2>: Ava Cole to own Hooli" in visible_text(note.args)
    assert "Ben has a live deal" in visible_text(note.args) and "<!channel>" not in json.dumps(note.args)
    assert await owner_of(db, "A-HOOLI") == "U0AE2"


async def test_someone_who_may_reassign_gets_it_at_once(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    # Umbrella Labs: no parent, US-East, DataFox 150 (Mid-Market): rule 4 lets an East MM AE take it.
    reply = await slack.submit(
        "U0AE1", "ownership.claim", claim_values("U0AE1"), private_metadata="A-UMBRELLA"
    )
    assert "Ownership changed" in visible_text(reply.json)
    assert await owner_of(db, "A-UMBRELLA") == "U0AE1"


async def test_an_owner_who_breaks_a_rule_needs_an_rd_override(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    # Ava (Mid-Market, US-East) asks for Globex (Large, US-West): a US-West RD approves with a reason.
    await slack.submit(
        "U0AE1", "ownership.claim", claim_values("U0AE1", "Met their CIO"), private_metadata="A-GLOBEX"
    )
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0RD2")
    card = dm_to(standin, "U0RD2")[-1]
    button = buttons(card)[0]
    assert button["action_id"] == "approval.approve_override"
    assert "Rules broken" in visible_text(card)
    plain = await slack.click("U0RD2", "approval.approve", button["value"])  # a forged plain approve
    assert plain.status == 200
    reply = (await standin.wait_for("response_url", lambda c: c.args["key"] == "U0RD2"))[0]
    assert "override reason" in visible_text(reply.args)
    assert await owner_of(db, "A-GLOBEX") == "U0SAL3"
    ok = await slack.submit(
        "U0RD2",
        "approval.override_reason",
        text_value("reason", "Exec relationship, agreed with Wen"),
        private_metadata=button["value"],
    )
    assert ok.body == ""
    assert await owner_of(db, "A-GLOBEX") == "U0AE1"
    # Rule of Engagement 5: O-1006 was created 2026-05-02, already past 180 days: it moves now, not never.
    async with db.sessions() as session:
        opp_owner = await session.scalar(
            select(OpportunityRow.owner).where(OpportunityRow.opportunity_id == "O-1006")
        )
        held = await session.scalar(select(func.count()).select_from(HoldoverRow))
    assert opp_owner == "U0AE1" and held == 0
    for user in ("U0AE1", "U0SAL3"):  # both owners are told
        note = await standin.wait_for(
            "chat.postMessage",
            lambda c, u=user: c.args["channel"] == u and "moving with the account" in visible_text(c.args),
        )
        assert "Globex Corporation- 500 Ultimate moves to <@U0AE1> now" in visible_text(note[0].args)


async def test_forged_and_unknown_buttons_change_nothing_and_are_audited(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    await slack.click("U0AE2", "approval.approve", "1; DROP TABLE requests")
    await slack.click("U0AE2", "approval.approve", "999:999")
    replies = await standin.wait_for("response_url", count=2)
    texts = " ".join(visible_text(c.args) for c in replies)
    assert "isn't one I made" in texts and "doesn't exist" in texts
    async with db.sessions() as session:
        actions = set(await session.scalars(select(AuditRow.action)))
    assert {"refused_tampered_action", "refused_unknown_request"} <= actions


async def test_the_requester_can_cancel_and_the_cards_say_so(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    request_id = sent["approve"]["value"].split(":")[0]
    await slack.click("U0SAL1", "approval.cancel", request_id)
    await slack.click("U0AE1", "approval.cancel", request_id)
    replies = await standin.wait_for("response_url", count=2)
    texts = {c.args["key"]: visible_text(c.args) for c in replies}
    assert "only the person who asked" in texts["U0SAL1"] and "cancelled" in texts["U0AE1"]
    await standin.wait_for("chat.update", lambda c: "cancelled" in visible_text(c.args))
    late = await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert late.status == 200
    assert await owner_of(db, "A-HOOLI") == "U0AE2"


async def test_notifications_survive_slack_failing_after_the_decision(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    sent = await request_hooli(slack, standin)
    standin.fail_next("chat.update", Fault(500), times=2)
    standin.fail_next("chat.postMessage", Fault(429, retry_after=1), times=1)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert await owner_of(db, "A-HOOLI") == "U0AE1"  # the decision is committed whatever Slack does
    for _ in range(6):
        clock.advance(timedelta(seconds=30))
        await deps.outbox.drain()
    async with db.sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "sent")
        )
    assert pending == 0
    ok_updates = [c for c in standin.calls_to("chat.update") if "_fault" not in c.args]
    assert sorted(c.args["channel"] for c in ok_updates) == ["D0AE1", "D0AE2"]  # the card, the request note
    moved = [
        c
        for c in standin.calls_to("chat.postMessage")
        if "_fault" not in c.args and "moved from" in visible_text(c.args)
    ]
    assert len(moved) == 2


async def test_buttons_work_after_a_restart(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory, deps: Deps
) -> None:
    sent = await request_hooli(slack, standin)
    async with another_process(deps, slack, standin) as other:  # a new process: nothing in memory
        await other.click("U0AE2", "approval.approve", sent["approve"]["value"])
        assert await owner_of(db, "A-HOOLI") == "U0AE1"


async def test_pending_requests_are_reminded_each_business_day(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, clock: FakeClock, directory
) -> None:
    await request_hooli(slack, standin)
    assert await service.send_reminders(deps) == 0
    clock.advance(timedelta(days=1, minutes=1))  # Wednesday
    assert await service.send_reminders(deps) == 1
    assert await service.send_reminders(deps) == 0  # claimed once
    await deps.outbox.drain()  # send before moving time on, or the send's lease would lapse mid-flight
    clock.advance(timedelta(days=2))  # Friday 2026-11-27... the day after Thanksgiving is a business day
    assert await service.send_reminders(deps) == 1
    await deps.outbox.drain()
    reminders = [c for c in standin.calls_to("chat.postMessage") if "Reminder" in c.args.get("text", "")]
    assert {c.args["channel"] for c in reminders} == {"U0AE2"} and len(reminders) == 2


async def test_requests_lists_and_timeline_and_app_home(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    sent = await request_hooli(slack, standin)
    request_id = sent["approve"]["value"].split(":")[0]
    assert "Waiting on you (1)" in (await slack.command("requests", "U0AE2")).text
    mine = await slack.command("requests", "U0AE1")
    assert f"#{request_id}" in mine.text and "pending" in mine.text
    timeline = await slack.command(f"requests {request_id}", "U0AE1")
    asked = "<@U0AE1> asked: Ava Cole to own Hooli. Now waiting on <@U0AE2> (the account's owner)."
    assert asked in timeline.text
    assert "step opened" not in timeline.text and "|2026-11-24 15:00 UTC>" in timeline.text
    assert "No request" in (await slack.command(f"requests {request_id}", "U0SAL2")).text
    event = {
        "type": "event_callback",
        "team_id": "T0GTMBOT1",
        "api_app_id": "A0GTMBOT1",
        "event_id": "Ev1",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": "U0AE2", "tab": "home", "channel": "D0AE2"},
    }
    standin.reset()
    messages_tab = {**event, "event_id": "Ev0", "event": {**event["event"], "tab": "messages"}}
    await slack.post(json.dumps(messages_tab), "application/json")
    await slack.post(json.dumps(event), "application/json")
    published = (await standin.wait_for("views.publish"))[0]
    assert len(standin.calls_to("views.publish")) == 1  # the Messages tab published nothing
    assert published.args["user_id"] == "U0AE2" and "Waiting on you (1)" in visible_text(
        published.args["view"]
    )
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RequestRow)) == 1


def home_buttons(view: dict) -> dict[str, dict]:
    found = {}
    for block in view["blocks"]:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


async def open_home(slack: SlackClient, standin: SlackStandIn, user: str) -> dict:
    """`user` opens the bot's Home tab (Slack's app_home_opened); the view published for it."""
    before = len([c for c in standin.calls_to("views.publish") if c.args["user_id"] == user])
    event = {
        "type": "event_callback",
        "team_id": "T0GTMBOT1",
        "api_app_id": "A0GTMBOT1",
        "event_id": f"Ev{user}{before}",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": user, "tab": "home", "channel": "D" + user[1:]},
    }
    await slack.post(json.dumps(event), "application/json")
    calls = await standin.wait_for("views.publish", lambda c: c.args["user_id"] == user, count=before + 1)
    return calls[-1].args["view"]


async def test_app_home_is_the_inbox_and_is_republished_when_things_change(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, directory
) -> None:
    for user in ("U0AE1", "U0AE2"):  # Home is republished for people who have opened it
        await open_home(slack, standin, user)
    sent = await request_hooli(slack, standin)
    await deps.outbox.drain()
    ben = standin.home["U0AE2"]  # republished through the outbox when the request reached Ben
    assert "Waiting on you (1)" in visible_text(ben) and "you decide as" in visible_text(ben).lower()
    approve = home_buttons(ben)["approval.approve"]
    assert approve["value"] == sent["approve"]["value"] and "approval.reject" in home_buttons(ben)
    ava = standin.home["U0AE1"]
    assert "Your open requests (1)" in visible_text(ava) and "approval.cancel" in home_buttons(ava)
    # Ben approves from Home: a click in a view has no response_url and no channel.
    view = {"id": "VHOME", "type": "home"}
    await slack.click(
        "U0AE2", "approval.approve", approve["value"], channel_id=None, view=view, response_url=""
    )
    assert await owner_of(db, "A-HOOLI") == "U0AE1"
    await deps.outbox.drain()
    ben, ava = standin.home["U0AE2"], standin.home["U0AE1"]
    assert "Waiting on you (0)" in visible_text(ben) and "you approved <!date^" in visible_text(ben)
    assert "approval.approve" not in home_buttons(ben)
    assert "Your open requests (0)" in visible_text(ava) and "approval.cancel" not in home_buttons(ava)
    assert "Hooli" in visible_text(ava) and "*Your holdovers*" in visible_text(ava)


async def test_cancel_from_app_home_cancels_and_refreshes_it(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, directory
) -> None:
    for user in ("U0AE1", "U0AE2"):
        await open_home(slack, standin, user)
    sent = await request_hooli(slack, standin)
    await deps.outbox.drain()
    cancel = home_buttons(standin.home["U0AE1"])["approval.cancel"]
    view = {"id": "VHOME", "type": "home"}
    reply = await slack.click(
        "U0AE1", "approval.cancel", cancel["value"], channel_id=None, view=view, response_url=""
    )
    assert reply.status == 200
    await deps.outbox.drain()
    assert "Your open requests (0)" in visible_text(standin.home["U0AE1"])
    assert "Waiting on you (0)" in visible_text(standin.home["U0AE2"])
    card = visible_text(dm_to(standin, "U0AE2")[0])
    assert "cancelled by the requester" in card and not buttons(dm_to(standin, "U0AE2")[0])
    assert sent["approve"]["value"]


async def test_app_home_is_republished_only_for_people_who_have_opened_it(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, directory
) -> None:
    sent = await request_hooli(slack, standin)
    await deps.outbox.drain()
    assert standin.calls_to("views.publish") == []  # neither Ava nor Ben ever opened the bot's Home
    assert standin.calls_to("chat.postMessage")  # the card and Ava's copy went out as before
    ben = await open_home(slack, standin, "U0AE2")  # opening it publishes a fresh view
    assert "Waiting on you (1)" in visible_text(ben)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await deps.outbox.drain()
    published = [c.args["user_id"] for c in standin.calls_to("views.publish")]
    assert published == ["U0AE2", "U0AE2"]  # the opening, then the decision's refresh; none for Ava
    assert "Waiting on you (0)" in visible_text(standin.home["U0AE2"])


async def test_slacks_retry_of_a_click_makes_no_second_decision_or_notification(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, directory
) -> None:
    from bot.standin import signer

    sent = await request_hooli(slack, standin)
    payload = signer.block_action_payload(
        "U0AE2", "approval.approve", sent["approve"]["value"], response_url=standin.response_url("U0AE2")
    )
    body, content_type = signer.interaction_body(payload)
    first = await slack.post(body, content_type)
    retry = await slack.post(
        body, content_type, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert first.status == retry.status == 200
    await deps.outbox.drain()
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DecisionRow)) == 1
    moved = [c for c in standin.calls_to("chat.postMessage") if "moved from" in visible_text(c.args)]
    assert len(moved) == 2  # one per owner, not two each
    assert len([c for c in standin.calls_to("chat.update") if c.args["channel"] == "D0AE2"]) == 1


async def test_the_claim_modal_names_rules_in_words_with_correct_plurals(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    await slack.command("claim Globex Corporation", "U0AE1")
    text = visible_text((await standin.wait_for("views.open"))[0].args["view"])
    assert "*Named accounts (at most 30)* — Ava Cole would own 1 named account (max 30)" in text
    assert "*Account-owning role*" in text and "Segment: the hierarchy is Large" in text
    for internal in ("named_cap", "record_ownership", "1 named accounts"):
        assert internal not in text


async def test_a_rejected_card_and_the_deciders_lists_say_rejected(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    sent = await request_hooli(slack, standin)
    done = await slack.submit(
        "U0AE2",
        "approval.reject_reason",
        text_value("reason", "Ben has a live deal"),
        private_metadata=sent["approve"]["value"],
    )
    assert done.body == ""
    await standin.wait_for("chat.update", lambda c: c.args["channel"] == "D0AE2")
    card = visible_text(dm_to(standin, "U0AE2")[0])
    assert "Asked by <@U0AE1> · you decide" in card  # people as mentions: each reader's Slack names them
    assert "<@U0AE2> rejected, <!date^" in card and "closed without the change" in card
    mine = (await slack.command("requests", "U0AE2")).text
    assert "you rejected <!date^" in mine
    assert "rejectd" not in card + mine


def interaction(kind: str, user: str, **fields: object) -> dict:
    return {
        "type": kind,
        "user": {"id": user, "team_id": "T0GTMBOT1"},
        "team": {"id": "T0GTMBOT1"},
        "api_app_id": "A0GTMBOT1",
        "token": "legacy",
        **fields,
    }


async def test_the_request_ownership_shortcut_picks_an_account_by_type_ahead(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    from bot.standin import signer

    await slack.post(
        *signer.interaction_body(
            interaction("shortcut", "U0AE1", callback_id="ownership.request", trigger_id="trig-s")
        )
    )
    picker = (await standin.wait_for("views.open"))[0].args["view"]
    select = picker["blocks"][0]["element"]
    assert picker["callback_id"] == "ownership.pick" and select["type"] == "external_select"
    view = {
        "id": next(k for k, v in standin.views.items() if v.get("external_id") == picker["external_id"]),
        "type": "modal",
        "callback_id": "ownership.pick",
        "hash": "h",
        "external_id": picker["external_id"],
    }

    async def suggest(user: str, typed: str) -> list[str]:
        reply = await slack.post(
            *signer.interaction_body(
                interaction(
                    "block_suggestion",
                    user,
                    action_id="ownership.account",
                    block_id="account",
                    value=typed,
                    view=view,
                )
            )
        )
        assert reply.status == 200, reply.body
        return [o["value"] for o in reply.json["options"]]

    assert "A-GLOBEX" in await suggest("U0AE1", "glob")
    assert "A-INITECH" in await suggest("U0AE1", "Initech")
    assert await suggest("U0AE1", "Stark") == [] and await suggest("U0AE1", "A-STARK") == []  # public sector
    assert "A-STARK" in await suggest("U0PUB1", "Stark")
    picked = signer.block_action_payload("U0AE1", "ownership.account", "", channel_id=None, view=view)
    picked["actions"][0] = {
        "type": "external_select",
        "action_id": "ownership.account",
        "block_id": "account",
        "selected_option": {"text": {"type": "plain_text", "text": "Globex"}, "value": "A-GLOBEX"},
    }
    forged = signer.block_action_payload("U0AE2", "ownership.account", "", channel_id=None, view=view)
    forged["actions"][0] = dict(picked["actions"][0])
    await slack.post(*signer.interaction_body(forged))  # someone else's picker: nothing is updated
    await slack.post(*signer.interaction_body(picked))
    claim = (await standin.wait_for("views.update"))[0].args["view"]
    assert claim["callback_id"] == "ownership.claim" and claim["private_metadata"] == "A-GLOBEX"
    assert "Named accounts (at most 30)" in visible_text(claim)
    values = {
        "account": {"ownership.account": {"type": "external_select", "selected_option": {"value": "A-STARK"}}}
    }
    hidden = await slack.submit("U0AE1", "ownership.pick", values)
    assert (
        hidden.json["response_action"] == "errors" and "No such account" in hidden.json["errors"]["account"]
    )
    values["account"]["ownership.account"]["selected_option"]["value"] = "A-HOOLI"
    nexts = await slack.submit("U0AE1", "ownership.pick", values)
    assert nexts.json["response_action"] == "update" and nexts.json["view"]["private_metadata"] == "A-HOOLI"


async def test_claim_without_an_account_opens_the_picker(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    await slack.command("claim", "U0AE1")
    assert (await standin.wait_for("views.open"))[0].args["view"]["callback_id"] == "ownership.pick"


async def give_named_accounts(db: Database, owner: str, count: int) -> None:
    async with db.sessions.begin() as session:
        session.add_all(
            AccountRow(account_id=f"A-N{i}", name=f"Named {i}", owner=owner, named=True, public_sector=False)
            for i in range(count)
        )


async def test_a_31st_named_account_is_refused_even_with_an_rd_override(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    # Globex is named. Ava asks while she owns 29: it goes to the US-West RD (she breaks other rules).
    await give_named_accounts(db, "U0AE1", 29)
    await slack.submit(
        "U0AE1", "ownership.claim", claim_values("U0AE1", "Met their CIO"), private_metadata="A-GLOBEX"
    )
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == "U0RD2")
    button = buttons(dm_to(standin, "U0RD2")[-1])[0]
    # Meanwhile she reaches 30; Haydn's override comes too late: the cap has no exception.
    async with db.sessions.begin() as session:
        session.add(
            AccountRow(account_id="A-N29", name="Named 29", owner="U0AE1", named=True, public_sector=False)
        )
    reason = {
        "reason": {"value": {"type": "plain_text_input", "value": "Exec relationship, agreed with Wen"}}
    }
    late = await slack.submit("U0RD2", "approval.override_reason", reason, private_metadata=button["value"])
    error = late.json["errors"]["reason"]
    assert "no longer fits" in error and "Named accounts (at most 30)" in error, error
    assert await owner_of(db, "A-GLOBEX") == "U0SAL3"
    # A new request for a 31st is refused outright, and so is an RD applying it with an override.
    refused = await slack.submit(
        "U0AE1", "ownership.claim", claim_values("U0AE1", "Met their CIO"), private_metadata="A-GLOBEX"
    )
    assert "no more than 30 named accounts" in refused.json["errors"]["new_owner"]
    rd = await slack.submit(
        "U0RD2", "ownership.claim", claim_values("U0AE1", "I decide"), private_metadata="A-GLOBEX"
    )
    assert rd.json["response_action"] == "errors" and await owner_of(db, "A-GLOBEX") == "U0SAL3"


async def test_the_requester_gets_one_new_dm_per_outcome(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, directory
) -> None:
    sent = await request_hooli(slack, standin)
    await deps.outbox.drain()
    before = len([c for c in standin.calls_to("chat.postMessage") if c.args["channel"] == "U0AE1"])
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    await deps.outbox.drain()
    posts = [c for c in standin.calls_to("chat.postMessage") if c.args["channel"] == "U0AE1"][before:]
    assert len(posts) == 1 and "moved from" in visible_text(posts[0].args)  # her copy is updated, not re-sent
