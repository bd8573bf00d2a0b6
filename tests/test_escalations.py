"""The escalation chain end to end: signed requests in; the stand-in's calls, the database and the clock out.

Tom (U0SAL2, EMEA SAL) asks Sally (U0SAL1, global owner of Initech) for Initech GmbH (A-INITECH-DE, DE).
Their managers are Alex (U0ASM1) and Priya (U0ASM2); Casey (U0CRO1) is the CRO.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from typing import Any

import pytest_asyncio
from sqlalchemy import func, select

from bot.deps import Deps
from bot.scheduler import Scheduler
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AccountRow, HoldoverRow, JobRow, RequestRow
from tests.conftest import FakeClock
from tests.slack.client import Reply, SlackClient, text_value, visible_text
from tests.test_ownership import dm_to

TOM, SALLY, ALEX, PRIYA, CASEY = "U0SAL2", "U0SAL1", "U0ASM1", "U0ASM2", "U0CRO1"
WHY = "Their buying committee, users and purchasing all sit in Munich now"
KEEP = "The German entity buys under the global master agreement negotiated in New York"


def request_values(
    explanation: str = WHY, picks: tuple[str, ...] = ("decision_making_power", "end_users", "terms")
):
    return {
        "explanation": {"value": {"type": "plain_text_input", "value": explanation}},
        "considerations": {
            "value": {"type": "checkboxes", "selected_options": [{"value": key} for key in picks]}
        },
    }


def buttons(message: dict) -> list[dict]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


async def owner_of(db: Database, account_id: str) -> str | None:
    async with db.sessions() as session:
        return await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == account_id))


async def request_row(db: Database) -> RequestRow:
    async with db.sessions() as session:
        row = await session.scalar(
            select(RequestRow).where(RequestRow.kind == "escalation").order_by(RequestRow.id.desc())
        )
    assert row is not None
    return row


async def card_button(
    standin: SlackStandIn, user: str, action_id: str, request_id: int, after_step: int = 0
) -> str:
    """The value of `action_id` on the latest card posted to `user` for this request."""

    def has(call: Any) -> bool:
        return call.args.get("channel") == user and any(
            b["action_id"] == action_id
            and b["value"].startswith(f"{request_id}:")
            and int(b["value"].split(":")[1]) > after_step
            for b in buttons(call.args)
        )

    calls = await standin.wait_for("chat.postMessage", has)
    values = [b["value"] for c in calls for b in buttons(c.args) if b["action_id"] == action_id]
    return max(values, key=lambda v: int(v.split(":")[1]))


async def cards_once_over(
    standin: SlackStandIn, request_id: int, users: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    """Each user's cards of the request, once all show the outcome (or after 5 s): the outbox sends card
    updates and DMs in parallel, so the last DM can land before the last card update."""

    def cards(user: str) -> list[dict[str, Any]]:
        return [m for m in standin.messages["D" + user[1:]] if f"escalation #{request_id}:" in m["text"]]

    def over() -> bool:
        return all(cards(u) and all("request is over" in visible_text(c) for c in cards(u)) for u in users)

    with contextlib.suppress(TimeoutError):
        await standin.wait_until(over)
    return {user: cards(user) for user in users}


async def told(standin: SlackStandIn, user: str, words: str) -> str:
    calls = await standin.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == user and words in visible_text(c.args)
    )
    return visible_text(calls[-1].args)


async def escalate(
    slack: SlackClient, standin: SlackStandIn, db: Database, account: str = "A-INITECH-DE"
) -> int:
    reply = await slack.submit(TOM, "escalation.request", request_values(), private_metadata=account)
    assert reply.json.get("response_action") == "update", reply.body
    request = await request_row(db)
    assert f"Request #{request.id}" in visible_text(reply.json)
    return request.id


async def say_why(slack: SlackClient, user: str, button_value: str, reason: str) -> Reply:
    """Submit the reason modal a keep, disagree or vote-keep button opened."""
    return await slack.submit(
        user, "escalation.reason", text_value("reason", reason), private_metadata=button_value
    )


async def keep(slack: SlackClient, standin: SlackStandIn, request_id: int) -> None:
    value = await card_button(standin, SALLY, "escalation.reason", request_id)
    await slack.click(SALLY, "escalation.reason", value)
    modal = (
        await standin.wait_for("views.open", lambda c: c.args["view"]["callback_id"] == "escalation.reason")
    )[-1].args["view"]
    stock = await say_why(slack, SALLY, value, "no")
    assert stock.json["response_action"] == "errors" and "stock refusal" in stock.json["errors"]["reason"]
    short = await say_why(slack, SALLY, value, "I keep it")
    assert "compelling" in short.json["errors"]["reason"]
    ok = await slack.give_reason(SALLY, modal, KEEP)
    assert ok.status == 200 and ok.body == ""


async def disagree(slack: SlackClient, standin: SlackStandIn, request_id: int) -> None:
    value = await card_button(standin, TOM, "escalation.reason", request_id)
    reply = await say_why(slack, TOM, value, "Nobody in New York talks to them")
    assert reply.body == "", reply.body


async def timeline(slack: SlackClient, user: str, request_id: int) -> str:
    return (await slack.command(f"requests {request_id}", user)).text


async def test_escalate_opens_a_modal_with_rule_13_and_stand_alone_reasons(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    await slack.command("escalate Initech GmbH", TOM)
    view = (await standin.wait_for("views.open"))[0].args["view"]
    assert view["callback_id"] == "escalation.request" and view["private_metadata"] == "A-INITECH-DE"
    text = visible_text(view)
    assert (
        "Its global account owner, *<@U0SAL1>*, decides" in text
        and "End users are confined to the child account" in text
    )
    assert "Government Holding Entity" in text and "Private Equity" in text
    await slack.command("escalate Initech", TOM)
    reply = (await standin.wait_for("response_url", lambda c: c.args["key"] == TOM))[0]
    assert "not a child account" in visible_text(reply.args)
    help_text = (await slack.command("help", TOM)).text
    assert "/gtm escalate ACCOUNT" in help_text and "/gtm handoff ACCOUNT @rep" in help_text
    assert "/gtm holdover" in help_text


async def test_a_request_needs_an_explanation_and_a_reason(slack: SlackClient, directory) -> None:
    empty = await slack.submit(
        TOM, "escalation.request", request_values("", ()), private_metadata="A-INITECH-DE"
    )
    assert "explanation" in empty.json["errors"]
    bare = await slack.submit(
        TOM, "escalation.request", request_values(WHY, ()), private_metadata="A-INITECH-DE"
    )
    assert "rule 13" in bare.json["errors"]["considerations"]


async def test_reassign_moves_the_account_records_holdovers_and_tells_everyone(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    request_id = await escalate(slack, standin, db)
    assert f"/gtm requests {request_id}" in await told(standin, TOM, f"<@{TOM}> asked <@{SALLY}> to reassign")
    value = await card_button(standin, SALLY, "approval.approve", request_id)
    card = visible_text(dm_to(standin, SALLY)[-1])
    assert f"*Territory rep:* <@{TOM}>\n*Global owner:* <@{SALLY}>" in card  # mentions on the card
    await slack.click(SALLY, "approval.approve", value)
    assert await owner_of(db, "A-INITECH-DE") == TOM
    for user in (TOM, SALLY):
        note = await told(standin, user, "moved from")
        assert (
            "Initech GmbH- 50 Ultimate" in note
            and "2027-03-30" in note
            and f"/gtm requests {request_id}" in note
        )
    async with db.sessions() as session:
        held = {h.opportunity_id: h for h in await session.scalars(select(HoldoverRow))}
        jobs = set(await session.scalars(select(JobRow.kind)))
    assert set(held) == {"O-1002", "O-1008"}
    assert held["O-1002"].ends_on == date(2027, 3, 30) and held["O-1002"].new_owner == TOM
    assert {"holdover.reminder", "holdover.transfer", "holdover.weekly_report"} <= jobs
    steps = await timeline(slack, TOM, request_id)
    assert f"<@{TOM}> asked: Tom Becker asks Sally Park for Initech GmbH" in steps
    assert f"<@{SALLY}> Sally Park reassigns Initech GmbH to Tom Becker." in steps
    assert f"The account moved from <@{SALLY}> to <@{TOM}>" in steps
    assert "<!date^1795532400^{date_short_pretty} {time}|2026-11-24 15:00 UTC>" in steps
    assert "U0SAL1 " not in steps and "UTC`" not in steps and "step opened" not in steps


@pytest_asyncio.fixture(loop_scope="session")
async def kept(slack: SlackClient, standin: SlackStandIn, db: Database, directory) -> int:
    """Tom's escalation of Initech GmbH, which Sally keeps with a compelling reason; its request id."""
    request_id = await escalate(slack, standin, db)
    await keep(slack, standin, request_id)
    return request_id


@pytest_asyncio.fixture(loop_scope="session")
async def disputed(slack: SlackClient, standin: SlackStandIn, kept: int) -> int:
    """The kept escalation, which Tom disagrees with: it goes to both managers."""
    await disagree(slack, standin, kept)
    return kept


async def test_keep_then_accept_leaves_the_account_with_the_global_owner(
    slack: SlackClient, standin: SlackStandIn, db: Database, kept: int
) -> None:
    request_id = kept
    assert KEEP in await told(standin, TOM, "keeps it because")  # the rep's card carries the reason
    value = await card_button(standin, TOM, "approval.approve", request_id)
    await slack.click(TOM, "approval.approve", value)
    assert "accepts" in await told(standin, SALLY, "accepts")
    assert await owner_of(db, "A-INITECH-DE") == SALLY
    assert (await request_row(db)).status == "rejected"
    steps = await timeline(slack, SALLY, request_id)
    assert f"<@{SALLY}> Sally Park keeps Initech GmbH with the global account: {KEEP}" in steps
    assert f"<@{TOM}> Tom Becker accepts: Initech GmbH stays with Sally Park." in steps
    assert "rejected step" not in steps and "accepted keep" not in steps and "rejectd" not in steps


async def test_keep_disagree_and_both_managers_agree_to_transfer(
    slack: SlackClient, standin: SlackStandIn, db: Database, disputed: int
) -> None:
    request_id = disputed
    assert "Alex Stone" in await told(standin, SALLY, "disagrees")
    for manager in (ALEX, PRIYA):
        value = await card_button(standin, manager, "approval.approve", request_id)
        await slack.click(manager, "approval.approve", value)
    assert await owner_of(db, "A-INITECH-DE") == TOM
    assert "managers agree" in (await told(standin, ALEX, f"Initech GmbH moves to <@{TOM}>")).lower()
    steps = await timeline(slack, PRIYA, request_id)
    assert "Tom Becker disagrees: Nobody in New York talks to them" in steps
    assert f"<@{PRIYA}> The managers agree: Initech GmbH moves to Tom Becker." in steps


async def test_split_managers_go_to_the_cro_whose_ruling_is_final(
    slack: SlackClient, standin: SlackStandIn, db: Database, disputed: int
) -> None:
    request_id = disputed
    vote_keep = await card_button(standin, ALEX, "escalation.reason", request_id)
    reply = await say_why(slack, ALEX, vote_keep, "Global pricing depends on it")
    assert reply.body == ""
    assert await owner_of(db, "A-INITECH-DE") == SALLY
    after = int(vote_keep.split(":")[1])  # Alex's "keep" settled that step: Priya gets a new card
    value = await card_button(standin, PRIYA, "approval.approve", request_id, after_step=after)
    await slack.click(PRIYA, "approval.approve", value)
    for user in (SALLY, TOM, ALEX):
        assert "Casey Rivers rules" in await told(standin, user, "Casey Rivers rules")
    ruling = await card_button(standin, CASEY, "approval.approve", request_id)
    await slack.click(CASEY, "approval.approve", ruling)
    assert await owner_of(db, "A-INITECH-DE") == TOM
    assert "final" in await told(standin, ALEX, "rules (final)")
    steps = await timeline(slack, CASEY, request_id)
    assert f"<@{ALEX}> Votes so far: Alex Stone: keep." in steps
    assert "Reason: Global pricing depends on it" in steps
    assert f"<@{PRIYA}> The managers disagree" in steps
    assert f"<@{CASEY}> Casey Rivers rules (final): Initech GmbH moves to Tom Becker." in steps
    assert "cro transfer" not in steps and "managers split" not in steps
    # Every card of the request, of every step and person, now shows the outcome and has no buttons.
    everyone = (SALLY, TOM, ALEX, PRIYA, CASEY)
    for user, cards in (await cards_once_over(standin, request_id, everyone)).items():
        assert cards, user
        for card in cards:
            shown = visible_text(card)
            assert not buttons(card), (user, shown)
            assert "This request is over: *approved and done*" in shown, (user, shown)
            assert "is *pending*" not in shown and "your ruling is final" not in shown
            assert "rejectd" not in shown
    assert "you decide as one of both reps' managers" in visible_text(
        next(m for m in standin.messages["D" + ALEX[1:]] if f"escalation #{request_id}:" in m["text"])
    )


async def test_a_named_account_moves_on_the_date_reps_and_managers_agree(
    slack: SlackClient, standin: SlackStandIn, db: Database, deps: Deps, clock: FakeClock, directory
) -> None:
    request_id = await escalate(slack, standin, db, "A-INITECH-FR")
    value = await card_button(standin, SALLY, "escalation.reassign", request_id)
    await slack.click(SALLY, "escalation.reassign", value)
    await standin.wait_for("views.open", lambda c: c.args["view"]["callback_id"] == "escalation.date")
    async with db.sessions.begin() as session:  # Tom already has 30 named accounts: refused inline
        session.add_all(
            AccountRow(account_id=f"A-N{i}", name=f"Named {i}", owner=TOM, named=True, public_sector=False)
            for i in range(30)
        )
    when = {"date": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}}}
    full = await slack.submit(SALLY, "escalation.date", when, private_metadata=value)
    assert "30 named accounts" in full.json["errors"]["date"]
    async with db.sessions.begin() as session:
        for i in range(30):
            await session.delete(await session.get(AccountRow, f"A-N{i}"))
    forged = {"date": {"value": {"type": "datepicker", "selected_date": "2027-06-30"}}}
    bystander = await slack.submit(ALEX, "escalation.date", forged, private_metadata=value)
    assert "only the global account owner" in bystander.json["errors"]["date"].lower()
    assert (await slack.submit(SALLY, "escalation.date", when, private_metadata=value)).body == ""
    late = await slack.submit(ALEX, "escalation.date", forged, private_metadata=value)
    assert "already" in late.json["errors"]["date"]
    assert (await request_row(db)).payload["effective_on"] == "2026-12-01"  # nobody else moved the date
    for user in (TOM, ALEX, PRIYA):
        agree = await card_button(standin, user, "approval.approve", request_id)
        await slack.click(user, "approval.approve", agree)
    assert (await request_row(db)).status == "approved"
    assert await owner_of(db, "A-INITECH-FR") == SALLY  # not before the agreed date
    assert "2026-12-01" in await told(standin, SALLY, "moves on")
    clock.advance(timedelta(days=7))
    assert await Scheduler(deps).tick() >= 1
    assert await owner_of(db, "A-INITECH-FR") == TOM
    assert (await request_row(db)).status == "applied"
    assert "moved from" in await told(standin, TOM, "moved from")


async def test_a_rep_who_disagrees_the_transfer_date_sends_it_back_to_the_global_owner(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    request_id = await escalate(slack, standin, db, "A-INITECH-FR")
    value = await card_button(standin, SALLY, "escalation.reassign", request_id)
    await slack.click(SALLY, "escalation.reassign", value)
    await standin.wait_for("views.open", lambda c: c.args["view"]["callback_id"] == "escalation.date")
    when = {"date": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}}}
    assert (await slack.submit(SALLY, "escalation.date", when, private_metadata=value)).body == ""
    await disagree(slack, standin, request_id)  # Tom, on the date's card
    note = await told(standin, SALLY, "did not agree the transfer date")
    assert f"<@{TOM}> did not agree the transfer date for Initech" in note  # a mention, not a name
    assert "Reason: Nobody in New York talks to them" in note
    assert await card_button(standin, SALLY, "escalation.reassign", request_id, after_step=1)  # hers again
    assert (await request_row(db)).status == "pending"


async def test_the_global_owner_hands_a_child_account_off_and_the_rep_is_told(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    await slack.command(f"handoff Initech GmbH <@{TOM}|tom>", SALLY)
    view = (await standin.wait_for("views.open"))[0].args["view"]
    assert view["callback_id"] == "escalation.handoff"
    assert view["blocks"][1]["element"]["initial_user"] == TOM
    values = {
        "rep": {"value": {"type": "users_select", "selected_user": TOM}},
        **text_value("explanation", "Tom is in Munich and knows their CTO well"),
    }
    refused = await slack.submit(TOM, "escalation.handoff", values, private_metadata="A-INITECH-DE")
    assert "only the global account owner" in refused.json["errors"]["explanation"].lower()
    done = await slack.submit(SALLY, "escalation.handoff", values, private_metadata="A-INITECH-DE")
    assert "Account handed off" in visible_text(done.json)
    assert await owner_of(db, "A-INITECH-DE") == TOM
    assert "knows their CTO well" in await told(standin, TOM, f"<@{SALLY}> hands Initech GmbH to <@{TOM}>")


async def test_nobody_else_can_decide_and_the_timeline_stays_private(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory
) -> None:
    request_id = await escalate(slack, standin, db)
    value = await card_button(standin, SALLY, "approval.approve", request_id)
    await slack.click("U0AE1", "approval.approve", value)
    reply = (await standin.wait_for("response_url", lambda c: c.args["key"] == "U0AE1"))[0]
    assert "isn't yours" in visible_text(reply.args)
    assert "No request" in await timeline(slack, "U0AE2", request_id)
    assert await owner_of(db, "A-INITECH-DE") == SALLY
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(HoldoverRow)) == 0


async def test_handoff_takes_an_escaped_mention_or_a_plain_handle_after_an_account_with_spaces(
    slack: SlackClient, standin: SlackStandIn, directory
) -> None:
    for typed in (
        f"handoff Initech GmbH <@{TOM}>",
        "handoff Initech GmbH @tom",
        "handoff Initech GmbH @Tom Becker",
    ):
        standin.reset()
        await slack.command(typed, SALLY)
        view = (await standin.wait_for("views.open"))[0].args["view"]
        assert view["private_metadata"] == "A-INITECH-DE", typed
        assert view["blocks"][1]["element"]["initial_user"] == TOM, typed
    standin.reset()
    await slack.command("handoff Initech GmbH @nobody", SALLY)
    reply = (await standin.wait_for("response_url"))[0]
    assert "I don't know who @nobody is" in visible_text(reply.args)


async def test_escalate_and_handoff_without_an_account_answer_their_usage(
    slack: SlackClient, directory
) -> None:
    for sub, usage in (("escalate", "/gtm escalate ACCOUNT"), ("handoff", "/gtm handoff ACCOUNT @rep")):
        reply = await slack.command(sub, TOM)
        assert f"Usage: `{usage}`" in reply.text and "No account matches" not in reply.text


def test_the_manifest_escapes_mentions_for_gtm() -> None:
    import yaml

    from bot.settings import PROJECT_ROOT

    manifest = yaml.safe_load((PROJECT_ROOT / "manifest.yml").read_text())
    gtm = next(c for c in manifest["features"]["slash_commands"] if c["command"] == "/gtm")
    assert gtm["should_escape"] is True  # so `<@U…>` arrives, which split_mention reads
