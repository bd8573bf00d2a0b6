"""Approvals are re-checked against the directory as it is when someone clicks, not as it was when routed.

Through signed requests and the real importer: a claim is routed while the new owner fits, the org is
re-imported with that person changed, and a plain Approve no longer applies it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.deps import Deps
from bot.features.directory.importer import import_file
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AccountRow, AuditRow, DecisionRow, RequestRow
from tests.conftest import SAMPLES
from tests.slack.client import SlackClient, text_value, visible_text
from tests.test_ownership import buttons, dm_to, request_hooli

AVA, BEN, DANA, SALLY = "U0AE1", "U0AE2", "U0RD1", "U0SAL1"
AVA_ROW = "ava@example.com, role: AE, region: US-East, segment: Mid-Market, manager: U0ASM3}"
AVA_AS_SDR = "ava@example.com, role: SDR, region: EMEA, manager: U0ASM2}"


async def reimport_org(db: Database, tmp_path: Path, old: str, new: str) -> None:
    text = (SAMPLES / "org.yaml").read_text()
    assert old in text
    path = tmp_path / "org.yaml"
    path.write_text(text.replace(old, new))
    await import_file(db, "org", path)


async def owner_of(db: Database, account_id: str) -> str | None:
    async with db.sessions() as session:
        return await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == account_id))


async def answer_to(standin: SlackStandIn, user: str) -> str:
    replies = await standin.wait_for("response_url", lambda c: c.args["key"] == user)
    return visible_text(replies[-1].args)


async def decisions(db: Database) -> list[DecisionRow]:
    async with db.sessions() as session:
        return list(await session.scalars(select(DecisionRow)))


async def test_a_claim_whose_new_owner_stopped_fitting_is_not_applied_by_a_plain_approve(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, directory, tmp_path: Path
) -> None:
    sent = await request_hooli(slack, standin)  # routed to Ben, the owner: Ava fitted then
    request_id = int(sent["approve"]["value"].split(":")[0])
    await reimport_org(db, tmp_path, AVA_ROW, AVA_AS_SDR)  # Ava is now an SDR in EMEA

    await slack.click(BEN, "approval.approve", sent["approve"]["value"])
    answer = await answer_to(standin, BEN)
    assert "Nothing changed" in answer and "no longer fits" in answer
    for why in ("Territory", "Segment", "Account-owning role", "SDR"):  # criteria in words
        assert why in answer
    assert "Dana Reyes" in answer  # the RD of Hooli's region may still approve, with a reason
    assert await owner_of(db, "A-HOOLI") == BEN and await decisions(db) == []
    async with db.sessions() as session:
        request = await session.get(RequestRow, request_id)
        assert request is not None and request.status == "pending"
        refused = await session.scalar(select(AuditRow).where(AuditRow.action == "refused_no_longer_fits"))
        assert refused is not None and "Account-owning role" in refused.detail["why"]

    await deps.outbox.drain()
    bens_card = next(u for u in standin.calls_to("chat.update") if u.args["channel"] == "D0AE2")
    assert "No longer fits" in visible_text(bens_card.args) and not buttons(bens_card.args)
    again = await slack.click(BEN, "approval.approve", sent["approve"]["value"])  # the old card: nothing
    assert again.status == 200 and await owner_of(db, "A-HOOLI") == BEN

    danas_card = dm_to(standin, DANA)[-1]
    assert "No longer fits" in visible_text(danas_card)
    override = next(b for b in buttons(danas_card) if b["action_id"] == "approval.approve_override")
    assert not [b for b in buttons(danas_card) if b["action_id"] == "approval.approve"]
    plain = await slack.click(DANA, "approval.approve", override["value"])  # a forged plain approve
    assert plain.status == 200
    assert "only with an override reason" in await answer_to(standin, DANA)
    assert await owner_of(db, "A-HOOLI") == BEN

    reason = text_value("reason", "Ava covers Hooli until March")
    bad = await slack.submit(BEN, "approval.override_reason", reason, private_metadata=override["value"])
    assert bad.json["response_action"] == "errors" and await owner_of(db, "A-HOOLI") == BEN
    ok = await slack.submit(DANA, "approval.override_reason", reason, private_metadata=override["value"])
    assert ok.status == 200 and ok.body == "", ok.body
    assert await owner_of(db, "A-HOOLI") == AVA
    [decision] = await decisions(db)
    assert decision.actor == DANA and decision.reason == "Ava covers Hooli until March"


async def test_a_claim_that_still_fits_is_approved_as_before(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory, tmp_path: Path
) -> None:
    sent = await request_hooli(slack, standin)
    await reimport_org(db, tmp_path, "name: Sam Ortiz", "name: Samuel Ortiz")  # nothing that matters
    await slack.click(BEN, "approval.approve", sent["approve"]["value"])
    assert "You approved" in await answer_to(standin, BEN)
    assert await owner_of(db, "A-HOOLI") == AVA


async def test_an_escalation_whose_rep_is_no_longer_a_rep_can_only_be_kept(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory, tmp_path: Path
) -> None:
    """Tom (SAL, EMEA) asks Sally for Initech GmbH; before she reassigns it, Tom becomes an ASM."""
    from tests.test_escalations import card_button, escalate

    request_id = await escalate(slack, standin, db)
    value = await card_button(standin, SALLY, "approval.approve", request_id)
    await reimport_org(
        db,
        tmp_path,
        "name: Tom Becker, email: tom@example.com, role: SAL",
        "name: Tom Becker, email: tom@example.com, role: ASM",
    )
    await slack.click(SALLY, "approval.approve", value)
    answer = await answer_to(standin, SALLY)
    assert "no longer fits" in answer and "ASM" in answer and "only be rejected" in answer
    assert await owner_of(db, "A-INITECH-DE") == SALLY and await decisions(db) == []


async def test_a_named_hand_off_is_not_agreed_once_the_rep_reached_the_named_cap(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory, tmp_path: Path
) -> None:
    """Sally hands Initech France (named) to Tom; before the time frame is agreed, an accounts import
    gives Tom 30 named accounts. Agreeing no longer moves it; the rules allow no override."""
    from tests.slack.client import text_value
    from tests.test_escalations import ALEX, PRIYA, TOM, card_button, request_row

    values = {
        "rep": {"value": {"type": "users_select", "selected_user": TOM}},
        **text_value("explanation", "Tom runs every French deal from Paris now"),
        "date": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}},
    }
    done = await slack.submit(SALLY, "escalation.handoff", values, private_metadata="A-INITECH-FR")
    assert done.json.get("response_action") == "update", done.body
    request_id = (await request_row(db)).id
    accounts = tmp_path / "accounts.csv"
    rows = [f"A-N{i},Named {i},,U0SAL2,Customer,true,n{i}.example,,,,,,,,,,,,,,false," for i in range(30)]
    accounts.write_text((SAMPLES / "accounts.csv").read_text().rstrip("\n") + "\n" + "\n".join(rows) + "\n")
    await import_file(db, "accounts", accounts)

    for user in (TOM, ALEX, PRIYA):
        agree = await card_button(standin, user, "approval.approve", request_id)
        await slack.click(user, "approval.approve", agree)
        answer = await answer_to(standin, user)
        assert "no longer fits" in answer and "30 named accounts" in answer and "only be rejected" in answer
    assert await decisions(db) == [] and (await request_row(db)).status == "pending"
    assert await owner_of(db, "A-INITECH-FR") == SALLY
