"""/gtm owner's cards and /gtm segment's answers are kept per process (handlers/replies.py Rendered): the same
account under the same directory versions, asked by someone with the same reassignment decision, gets the
card rendered before. Every change to what a card shows is a new version; every reader keeps their own line;
nobody gets a card of an account they may not see. All through signed requests into the app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.deps import Deps
from bot.features.directory.importer import import_file
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.reviews import ReviewRepository
from tests.conftest import SAMPLES
from tests.slack.client import SlackClient
from tests.test_ownership import request_hooli

OWNER_CARD, SEGMENT = "ownership/owner_card.json.j2", "ownership/segment.json.j2"


@pytest.fixture
def renders(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The owner cards the app renders (not those it reuses)."""
    rendered: list[str] = []
    message = deps.renderer.message

    def counted(name: str, **context: Any) -> dict[str, Any]:
        if name == OWNER_CARD:
            rendered.append(context["view"].account.account_id)
        if name == SEGMENT:
            rendered.append(context["headline"])
        return message(name, **context)

    monkeypatch.setattr(deps.renderer, "message", counted)
    return rendered


async def test_a_card_asked_again_is_reused_until_what_it_shows_changes(
    slack: SlackClient, standin: SlackStandIn, db: Database, directory, renders: list[str], tmp_path: Path
) -> None:
    first = await slack.command("owner Hooli", "U0AE1")
    assert "*Owner:* <@U0AE2>" in first.text  # Ben Ito, as Slack shows him to each reader
    assert (await slack.command("owner A-HOOLI", "U0AE1")).json == first.json
    assert renders == ["A-HOOLI"]

    # An opportunity imported on the account: the opportunities' version moves, the card lists it.
    opportunities = tmp_path / "opportunities.csv"
    opportunities.write_text(
        "opportunity_id,name,account_id,owner,stage,type,created_date,amount,close_date,"
        "parent_opportunity_id,sdr\nO-NEW,Hooli-New Business-Widgets,A-HOOLI,U0AE2,"
        "2-Scoping,New Business,2026-01-05,1000,2026-06-30,,\n"
    )
    await import_file(db, "opportunities", opportunities)
    assert "Hooli-New Business-Widgets" in (await slack.command("owner Hooli", "U0AE1")).text

    # A region renamed in the org chart (and its people moved with it): the org's version moves.
    org = tmp_path / "org.yaml"
    org.write_text((SAMPLES / "org.yaml").read_text().replace("US-East", "US-Northeast"))
    await import_file(db, "org", org)
    assert "*Territory:* US-Northeast" in (await slack.command("owner Hooli", "U0AE1")).text

    # An approved transfer: the hierarchy's own version moves.
    sent = await request_hooli(slack, standin)
    await slack.click("U0AE2", "approval.approve", sent["approve"]["value"])
    assert "*Owner:* <@U0AE1>" in (await slack.command("owner Hooli", "U0AE1")).text
    assert renders == ["A-HOOLI"] * 4


async def test_each_reader_gets_their_own_reassignment_line_from_kept_cards(
    slack: SlackClient, directory, renders: list[str]
) -> None:
    for _round in range(2):
        owner = (await slack.command("owner Hooli", "U0AE2")).text  # Ben owns it
        assert "You may reassign it" in owner and "you own the account (rule 1)" in owner
        other = (await slack.command("owner Hooli", "U0SAL2")).text  # Tom: EMEA, Large
        assert "You may not reassign it yourself" in other and "rule 1" not in other
        rd = (await slack.command("owner Hooli", "U0RD1")).text
        assert "any RD can reassign any account (rule 2)" in rd
    assert renders == ["A-HOOLI"] * 3  # one card per distinct decision, each reused once


async def test_a_kept_public_sector_card_reaches_nobody_who_may_not_see_it(
    slack: SlackClient, directory, renders: list[str]
) -> None:
    seen = (await slack.command("owner A-STARK", "U0PUB1")).text  # the public sector team
    assert "Stark Federal Systems" in seen
    for user in ("U0AE1", "U0RD1", "U0SAL1"):  # an RD may reassign any account, but sees none of these
        for typed in ("A-STARK", "Stark Federal Systems"):
            hidden = (await slack.command(f"owner {typed}", user)).text
            assert hidden.startswith(f"No account matches {typed}") and "*Owner:*" not in hidden
    admin = (await slack.command("owner Stark Federal Systems", "U0ADM1")).text  # admins see them
    assert "*Owner:* <@U0PUB1>" in admin and "any admin can reassign any account (rule 5)" in admin
    assert (await slack.command("owner A-STARK", "U0PUB1")).text == seen
    assert renders == ["A-STARK"] * 2


async def test_versions_never_written_are_never_trusted_with_a_kept_card(
    slack: SlackClient, db: Database, directory, renders: list[str]
) -> None:
    """Accounts written by hand (no directory versions): every question renders its card anew."""
    async with db.sessions.begin() as session:
        await session.execute(text("DELETE FROM directory_versions"))
    for _ in range(2):
        assert "*Owner:* <@U0AE2>" in (await slack.command("owner Hooli", "U0AE1")).text
    async with db.sessions.begin() as session:
        await session.execute(text("UPDATE accounts SET owner = 'U0AE1' WHERE account_id = 'A-HOOLI'"))
    assert "*Owner:* <@U0AE1>" in (await slack.command("owner Hooli", "U0AE1")).text
    assert renders == ["A-HOOLI"] * 3


async def test_an_owner_known_to_salesforce_alone_is_shown_by_name_not_as_a_mention(
    slack: SlackClient, db: Database, directory
) -> None:
    """People the Salesforce sync found no Slack user for are keyed by their User id: no mention can name
    them, so the card shows their name; everyone else is a mention."""
    async with db.sessions.begin() as session:
        await session.execute(text("DELETE FROM directory_versions"))  # written by hand: nothing kept
        await session.execute(
            text(
                "INSERT INTO people (slack_id, name, email, role, region, segment, team_lead, public_sector,"
                " e_group) VALUES ('005OUT000000000AAA', 'Quinn <Out>', 'q@example.com', 'AE', 'US-East',"
                " 'Mid-Market', false, false, false)"
            )
        )
        await session.execute(
            text("UPDATE accounts SET owner = '005OUT000000000AAA' WHERE account_id = 'A-HOOLI'")
        )
    card = (await slack.command("owner Hooli", "U0AE1")).text
    assert "Hooli is owned by Quinn &lt;Out&gt;" in card and "*Owner:* Quinn &lt;Out&gt;\n" in card
    assert "<@005OUT" not in card


async def test_a_segment_answer_is_kept_until_a_review_changes_the_hierarchys_count(
    slack: SlackClient, db: Database, directory, renders: list[str]
) -> None:
    for _ in range(2):
        assert "Initech UK Ltd is Large" in (await slack.command("segment Initech UK Ltd", "U0AE1")).text
    async with db.sessions.begin() as session:  # an approved segment review's override, on another member
        assert await ReviewRepository(session).set_employees_override("A-INITECH-DE", 50)
    answer = (await slack.command("segment Initech UK Ltd", "U0AE1")).text
    assert "Initech UK Ltd is Mid-Market" in answer
    assert renders == ["Initech UK Ltd is Large", "Initech UK Ltd is Mid-Market"]
