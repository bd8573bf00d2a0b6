"""Public sector accounts through every path that renders a record ("Record Visibility").

A sample org with a public sector team: Paula (SAL, owns Stark Federal Systems, manager Dana, an RD who
is not on the team), Pia (AE, manager Sam, not on the team) and, unless left out, Petra (the team's RD
in US-East). Wayne Civic Works is a public-sector account that Ben (not on the team) owns, with an open
opportunity. Signed requests in; what each person is shown out.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.deps import Deps
from bot.features.directory.importer import import_file
from bot.features.home import service as home
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import AccountRow, RequestRow
from tests.conftest import SAMPLES, START, FakeClock
from tests.slack.client import SlackClient, visible_text
from tests.test_ownership import home_buttons, open_home, request_hooli
from tests.test_sla import tick_at
from tests.test_sla import values as sla_values

PAULA, PIA, PETRA, DANA, SAM, BEN = "U0PUB1", "U0PAE1", "U0PRD1", "U0RD1", "U0ASM3", "U0AE2"
AVA = "U0AE1"
OLIVE, CASEY, ADAM = "U0OPS1", "U0CRO1", "U0ADM1"
STARK, WAYNE = "Stark Federal Systems", "Wayne Civic Works"
HIDDEN = "a public-sector account"
PETRA_ROW = (
    "  - {slack_id: U0PRD1, name: Petra Ruiz, email: petra@example.com, role: RD, region: US-East, "
    "segment: Large, manager: U0VP1, public_sector: true, e_group: true}\n"
)
PIA_ROW = (
    "  - {slack_id: U0PAE1, name: Pia Lund, email: pia@example.com, role: AE, region: US-East, "
    "segment: Mid-Market, manager: U0ASM3, public_sector: true}\n"
)


async def import_public_org(db: Database, tmp_path: Path, *, team_rd: bool = True) -> None:
    org = tmp_path / "org.yaml"
    org.write_text((SAMPLES / "org.yaml").read_text() + PIA_ROW + (PETRA_ROW if team_rd else ""))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        (SAMPLES / "accounts.csv").read_text().rstrip("\n")
        + "\nA-STARK-NAVY,Stark Federal Navy Division,A-STARK,U0PUB1,Customer,false,stark.example,"
        "800,,,,,US,VA,,,,,,,true,"
        + "\nA-WAYNE,Wayne Civic Works,,U0AE2,Customer,false,wayne.example,500,,,,,US,NJ,,,,,,,true,\n"
    )
    opportunities = tmp_path / "opportunities.csv"
    opportunities.write_text(
        (SAMPLES / "opportunities.csv").read_text().rstrip("\n")
        + "\nO-WAYNE-1,Wayne Civic Works - Renewal 2027,A-WAYNE,U0AE2,3-Technical Evaluation,Renewal,"
        "2026-10-01,50000,2027-01-15,,\n"
    )
    for kind, path in (("org", org), ("accounts", accounts), ("opportunities", opportunities)):
        await import_file(db, kind, path)


def claim_values(new_owner: str, reason: str = "") -> dict:
    return {
        "new_owner": {"ownership.new_owner": {"type": "users_select", "selected_user": new_owner}},
        "reason": {"value": {"type": "plain_text_input", "value": reason}},
    }


def said_to(standin: SlackStandIn, user: str) -> str:
    """Everything the bot posted or updated in `user`'s DM, and views published for them."""
    posted = [
        visible_text(c.args)
        for c in standin.calls_to("chat.postMessage") + standin.calls_to("chat.update")
        if c.args.get("channel") in (user, "D" + user[1:])
    ]
    published = [
        visible_text(c.args["view"]) for c in standin.calls_to("views.publish") if c.args["user_id"] == user
    ]
    return "\n".join(posted + published)


async def claim_stark(slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database) -> int:
    """Pia asks for Stark: she works Mid-Market and Stark is Large, so an RD must override."""
    reply = await slack.submit(
        PIA, "ownership.claim", claim_values(PIA, "I run their renewal"), private_metadata="A-STARK"
    )
    assert reply.json["response_action"] == "update", reply.body
    await deps.outbox.drain()
    async with db.sessions() as session:
        return int(await session.scalar(select(RequestRow.id).order_by(RequestRow.id.desc()).limit(1)))


@pytest.mark.parametrize(("team_rd", "approver"), [(True, PETRA), (False, ADAM)])
async def test_a_public_sector_claim_goes_only_to_approvers_who_may_see_it(
    slack: SlackClient,
    standin: SlackStandIn,
    deps: Deps,
    db: Database,
    tmp_path: Path,
    team_rd: bool,
    approver: str,
) -> None:
    await import_public_org(db, tmp_path, team_rd=team_rd)
    await claim_stark(slack, standin, deps, db)
    assert STARK in said_to(standin, approver)  # the team's own RD, else an admin, gets the card
    assert "Approve with override" in said_to(standin, approver)
    for outsider in (DANA, "U0RD2", "U0RD3", OLIVE, CASEY):
        assert STARK not in said_to(standin, outsider) and "Stark" not in said_to(standin, outsider)
    for outsider in (DANA, OLIVE, CASEY):  # not in their /gtm requests, nor their App Home
        assert "Stark" not in (await slack.command("requests", outsider)).body
        event = {
            "type": "event_callback",
            "team_id": "T0GTMBOT1",
            "api_app_id": "A0GTMBOT1",
            "event_id": f"Ev{outsider}",
            "event_time": 1,
            "event": {
                "type": "app_home_opened",
                "user": outsider,
                "tab": "home",
                "channel": "D" + outsider[1:],
            },
        }
        await slack.post(json.dumps(event), "application/json")
        await standin.wait_for("views.publish", lambda c, o=outsider: c.args["user_id"] == o)
        assert "Stark" not in said_to(standin, outsider)
    assert "Waiting on you (1)" in (await slack.command("requests", approver)).text


async def test_a_request_timeline_is_shown_only_to_those_who_may_see_the_account(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, tmp_path: Path
) -> None:
    await import_public_org(db, tmp_path)
    request_id = await claim_stark(slack, standin, deps, db)
    for outsider in (OLIVE, CASEY, DANA):  # Sales Ops, the CRO, an RD off the team
        reply = await slack.command(f"requests {request_id}", outsider)
        assert "No request" in reply.text and "Stark" not in reply.body
    for insider in (PETRA, ADAM, PIA):
        assert STARK in (await slack.command(f"requests {request_id}", insider)).text


async def test_someone_told_about_a_public_sector_account_they_may_not_see_reads_no_name(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, tmp_path: Path
) -> None:
    """Pia takes Wayne from Ben (rule 4: no parent, her region and segment): Ben is told, without the
    name; his holdover reads the same; Sales Ops can't look the holdover up."""
    await import_public_org(db, tmp_path)
    reply = await slack.submit(
        PIA, "ownership.claim", claim_values(PIA, "My territory"), private_metadata="A-WAYNE"
    )
    assert reply.json["response_action"] == "update", reply.body
    async with db.sessions() as session:
        assert await session.scalar(select(AccountRow.owner).where(AccountRow.account_id == "A-WAYNE")) == PIA
    await deps.outbox.drain()
    told = said_to(standin, BEN)
    assert HIDDEN in told and "Wayne" not in told
    assert WAYNE in said_to(standin, PIA)
    kept = await slack.command("holdover", BEN)
    assert HIDDEN in kept.text and "Wayne" not in kept.body
    looked_up = await slack.command("holdover O-WAYNE-1", OLIVE)
    assert "Wayne" not in looked_up.body
    assert "Wayne" in (await slack.command("holdover O-WAYNE-1", ADAM)).text


async def test_sla_lists_and_the_escalation_dm_name_no_public_sector_account_to_outsiders(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, tmp_path: Path, clock: FakeClock
) -> None:
    """Pia logs a Contact Us request for Stark (Paula's; her manager Dana is not on the team)."""
    await import_public_org(db, tmp_path)
    reply = await slack.submit(
        PIA, "sla.submit", sla_values(START - timedelta(hours=1)), private_metadata="A-STARK"
    )
    assert reply.json["response_action"] == "update", reply.body
    listed = await slack.command("sla", DANA)  # Dana is told when it runs out, so it is hers to see
    assert HIDDEN in listed.text and "Stark" not in listed.body
    for staff in (OLIVE, CASEY):
        assert "Stark" not in (await slack.command("sla", staff)).body
    assert STARK in (await slack.command("sla", PAULA)).text
    await tick_at(deps, clock, START + timedelta(days=1, hours=2))
    escalated = said_to(standin, DANA)
    assert "has not followed up" in escalated and HIDDEN in escalated and "Stark" not in escalated
    assert STARK in said_to(standin, PAULA)


async def test_an_escalation_on_a_public_sector_child_is_voted_on_by_the_team(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, tmp_path: Path
) -> None:
    """Pia asks Paula for Stark's Navy division; both reps' managers (Dana, Sam) are off the team, so
    the team's RD votes in their place, and nobody off the team is sent the name."""
    await import_public_org(db, tmp_path)
    reply = await slack.submit(
        PIA,
        "escalation.request",
        {
            "explanation": {
                "value": {"type": "plain_text_input", "value": "Their whole navy team sits in my territory"}
            },
            "considerations": {"value": {"type": "checkboxes", "selected_options": [{"value": "end_users"}]}},
        },
        private_metadata="A-STARK-NAVY",
    )
    assert reply.json.get("response_action") == "update", reply.body
    async with db.sessions() as session:
        request = await session.scalar(select(RequestRow).where(RequestRow.kind == "escalation"))
    assert request is not None and request.payload["managers"] == [PETRA]
    await deps.outbox.drain()
    assert "Stark" in said_to(standin, PAULA)
    for outsider in (DANA, SAM, CASEY):
        assert "Stark" not in said_to(standin, outsider)
        assert "Stark" not in (await slack.command(f"requests {request.id}", outsider)).body


VERA_ROW = (
    "  - {slack_id: U0PVP1, name: Vera Quinn, email: vera@example.com, role: VP, manager: U0CRO1, "
    "public_sector: true}\n"
)


async def test_a_public_sector_sponsorship_names_the_account_only_to_the_team(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, tmp_path: Path
) -> None:
    """Vera (VP, on the team) nominates Petra for Stark: a sponsor off the team is refused; the CRO, who
    alone confirms, confirms "a public-sector account"."""
    from sqlalchemy import func

    from storage.models import SponsorshipRow
    from tests.test_sponsorship import approve_value
    from tests.test_sponsorship import values as sponsor_values

    await import_public_org(db, tmp_path)
    org = tmp_path / "org.yaml"
    org.write_text(org.read_text() + VERA_ROW)
    await import_file(db, "org", org)
    off_team = await slack.submit(
        "U0PVP1", "sponsor.submit", sponsor_values("U0VP2"), private_metadata="A-STARK"
    )
    assert "Nomination #" not in visible_text(off_team.json) and "public sector" in off_team.body
    await deps.outbox.drain()
    assert "Stark" not in said_to(standin, "U0VP2")

    reply = await slack.submit("U0PVP1", "sponsor.submit", sponsor_values(PETRA), private_metadata="A-STARK")
    assert "Nomination #" in visible_text(reply.json), reply.body
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == PETRA)
    await slack.click(PETRA, "approval.approve", approve_value(standin, PETRA))
    await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == CASEY)
    await deps.outbox.drain()
    card = said_to(standin, CASEY)
    assert HIDDEN in card and "Stark" not in card
    await slack.click(CASEY, "approval.reject", approve_value(standin, CASEY))  # the reason modal
    modal = (await standin.wait_for("views.open", lambda c: c.args["view"].get("private_metadata")))[-1]
    assert HIDDEN in visible_text(modal.args["view"]) and "Stark" not in json.dumps(modal.args["view"])
    await slack.click(CASEY, "approval.approve", approve_value(standin, CASEY))
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SponsorshipRow)) == 1
    await deps.outbox.drain()
    assert "Stark" not in said_to(standin, CASEY)


async def test_a_clicks_home_refresh_shows_each_viewer_their_outcome_and_no_hidden_account(
    slack: SlackClient, standin: SlackStandIn, deps: Deps, db: Database, tmp_path: Path
) -> None:
    """Ben keeps Wayne's opportunity for now (Pia took Wayne, which he may not see) and approves Ava's
    Hooli request from its card: the refresh the outbox publishes for each of them (App Home is read in
    one session) speaks to its reader, shows the ended request without buttons and names no Wayne."""
    await import_public_org(db, tmp_path)
    for user in (BEN, AVA):
        await open_home(slack, standin, user)
    sent = await request_hooli(slack, standin)
    await deps.outbox.drain()
    reply = await slack.submit(PIA, "ownership.claim", claim_values(PIA, "Mine"), private_metadata="A-WAYNE")
    assert reply.json["response_action"] == "update", reply.body
    await deps.outbox.drain()
    ben = visible_text(standin.home[BEN])
    assert "Waiting on you (1)" in ben and "you decide as the account's owner" in ben.lower()
    assert HIDDEN in ben and "Wayne" not in json.dumps(standin.home[BEN])
    published = len(standin.calls_to("views.publish"))
    await slack.click(BEN, "approval.approve", sent["approve"]["value"])
    await deps.outbox.drain()
    refreshed = {c.args["user_id"] for c in standin.calls_to("views.publish")[published:]}
    assert refreshed == {BEN, AVA}
    ben, ava = standin.home[BEN], standin.home[AVA]
    assert "Waiting on you (0)" in visible_text(ben) and "you approved <!date^" in visible_text(ben)
    assert "approval.approve" not in home_buttons(ben)
    assert HIDDEN in visible_text(ben) and "Wayne" not in json.dumps(ben)
    assert "Your open requests (0)" in visible_text(ava) and "approval.cancel" not in home_buttons(ava)
    assert "Ava Cole to own Hooli — applied" in visible_text(ava)
    assert ben == await home.view(deps, BEN) and ava == await home.view(deps, AVA)  # the newest state
