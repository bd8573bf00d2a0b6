"""`/gtm stage`, `/gtm sao`, `/gtm name` and `/gtm type` end to end, through signed requests."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.standin.web_api import Call, SlackStandIn
from storage.db import Database
from storage.directory import DirectoryRepository
from storage.models import OpportunityRow
from tests.conftest import FakeClock
from tests.handbook.test_stages import CANONICAL
from tests.slack.client import SlackClient, visible_text

pytestmark = pytest.mark.usefixtures("directory")

AVA, PAULA, ADAM = "U0AE1", "U0PUB1", "U0ADM1"


# ---- form values in Slack's state shape -------------------------------------------------------------------
def text(value: str | None) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": value}}


def choice(value: str | None, kind: str = "radio_buttons") -> dict[str, Any]:
    return {"value": {"type": kind, "selected_option": {"value": value} if value else None}}


def day(value: str | None) -> dict[str, Any]:
    return {"value": {"type": "datepicker", "selected_date": value}}


async def opened(standin: SlackStandIn, callback_id: str) -> dict[str, Any]:
    def matches(call: Call) -> bool:
        return call.args["view"].get("callback_id") == callback_id

    calls = await standin.wait_for("views.open", matches)
    return calls[-1].args["view"]


def block_ids(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if "block_id" in b]


# ---- /gtm stage ------------------------------------------------------------------------------------------
async def test_stage_alone_lists_every_stage_with_one_line_each(slack: SlackClient) -> None:
    reply = await slack.command("stage", AVA)
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    section = reply.json["blocks"][1]["text"]["text"]
    assert len(section.splitlines()) == len(CANONICAL)
    for label in CANONICAL:
        assert f"*{label}* — " in section


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("3", "3-Technical Evaluation"),
        ("00", "00-Pre Opportunity"),
        ("tech eval", "3-Technical Evaluation"),
        ("negotiation", "5-Negotiating"),
        ("closed-won", "7-Closed Won"),
        ("Stage 4", "4-Proposal"),
        ("negotating", "5-Negotiating"),
        ("2-scoping", "2-Scoping"),
    ],
)
async def test_a_stage_by_number_name_or_near_miss_shows_what_to_do(
    slack: SlackClient, typed: str, label: str
) -> None:
    reply = await slack.command(f"stage {typed}", AVA)
    assert reply.json["response_type"] == "ephemeral"
    assert reply.json["blocks"][0]["text"]["text"] == label
    for heading in ("To complete in this stage", "Exit criteria", "Fields it sets", "Next stages"):
        assert heading in reply.text
    assert "canonical" not in reply.text


async def test_discovery_shows_its_fields_and_next_stages(slack: SlackClient) -> None:
    reply = await slack.command("stage 1", AVA)
    assert "On entering: The opportunity is a Sales Accepted Opportunity (SAO)." in reply.text
    assert "`Sales Qualified Date` is the date it moves" in reply.text
    assert "*Next stages*\n2-Scoping, 8-Closed Lost" in reply.text
    assert "Begin filling out MEDDPICC." in reply.text


async def test_a_closed_stage_says_it_has_no_next_stage(slack: SlackClient) -> None:
    reply = await slack.command("stage won", AVA)
    assert "None: 7-Closed Won is closed." in reply.text


@pytest.mark.parametrize(
    ("typed", "label"),
    [
        ("6-Closed Won", "7-Closed Won"),
        ("8-Unqualified", "9-Unqualified"),
        ("9-Duplicate", "10-Duplicate"),
        ("7-Closed Lost", "8-Closed Lost"),
        ("0-Pending", "0-Pending Acceptance"),
    ],
)
async def test_a_variant_answers_with_the_canonical_stage_and_says_so(
    slack: SlackClient, typed: str, label: str
) -> None:
    reply = await slack.command(f"stage {typed}", AVA)
    assert reply.json["blocks"][0]["text"]["text"] == label
    assert f"{typed} is how one part of the handbook writes it" in reply.text
    assert "You typed" not in reply.text and f"also writes this stage as {typed}" not in reply.text
    assert f"the canonical number is {label}" in reply.text or f"the canonical label is {label}" in reply.text


@pytest.mark.parametrize(
    ("typed", "verdict", "anchor"),
    [
        ("3 -> 4", "Allowed: 3-Technical Evaluation → 4-Proposal", "#opportunity-stages"),
        ("from 1 to 2", "Allowed: 1-Discovery → 2-Scoping", "#opportunity-stages"),
        (
            "from tech eval to negotiation",
            "Allowed: 3-Technical Evaluation → 5-Negotiating",
            "#opportunity-stages",
        ),
        (
            "1 → 0",
            "Not allowed: 1-Discovery → 0-Pending Acceptance",
            "#opportunity-stage-movement-considerations",
        ),
        (
            "0 -> 3",
            "Not allowed: 0-Pending Acceptance → 3-Technical Evaluation",
            "#criteria-for-sales-accepted",
        ),
        ("00 -> 2", "Not allowed: 00-Pre Opportunity → 2-Scoping", "#opportunity-stages"),
        ("5 -> 3", "Allowed: 5-Negotiating → 3-Technical Evaluation", "#reverting-an-opportunity"),
    ],
)
async def test_a_move_says_whether_it_is_allowed_with_the_reason_and_link(
    slack: SlackClient, typed: str, verdict: str, anchor: str
) -> None:
    reply = await slack.command(f"stage {typed}", AVA)
    assert reply.json["response_type"] == "ephemeral"
    assert verdict in reply.text
    assert anchor in reply.text


async def test_a_refused_move_gives_the_handbooks_reason(slack: SlackClient) -> None:
    reply = await slack.command("stage 2 -> 9", AVA)
    assert "Not allowed" in reply.text
    assert "contact Sales Operations" in reply.text


async def test_an_allowed_move_lists_what_it_requires_and_the_fields_it_sets(slack: SlackClient) -> None:
    reply = await slack.command("stage 0 -> 1", AVA)
    assert "Allowed: 0-Pending Acceptance → 1-Discovery" in reply.text
    assert "*It requires*" in reply.text and "Populate `Amount`" in reply.text
    assert "*Fields it sets*" in reply.text and "`Sales Accepted Date`" in reply.text


async def test_a_move_from_a_variant_says_which_stage_it_means(slack: SlackClient) -> None:
    reply = await slack.command("stage 6-Closed Won -> 1", AVA)
    assert "Not allowed: 7-Closed Won → 1-Discovery" in reply.text
    assert "6-Closed Won is how one part of the handbook writes it; the canonical number is 7-Closed Won" in (
        reply.text
    )


async def test_a_move_that_skips_stages_names_them(slack: SlackClient) -> None:
    reply = await slack.command("stage discovery -> proposal", AVA)
    assert "Moving from 1-Discovery to 4-Proposal skips 2-Scoping and 3-Technical Evaluation" in reply.text
    assert "moves it on to" not in reply.text
    next_one = await slack.command("stage 1 -> 2", AVA)
    assert "Completing 1-Discovery moves it on to 2-Scoping" in next_one.text


async def test_closed_lost_offers_reopening_within_30_days(slack: SlackClient) -> None:
    reply = await slack.command("stage 8-Closed Lost", AVA)
    assert "*Next stages*\nReopen it to an open stage if the prospect re-engages within 30 days" in reply.text
    assert "None" not in reply.text.split("*Next stages*")[1]


async def test_a_move_to_something_that_is_not_a_stage_suggests_stages(slack: SlackClient) -> None:
    reply = await slack.command("stage 3 -> banana", AVA)
    assert "I don't know the stage `banana` (the *to* side of the move)" in reply.text
    assert reply.text.count("• `/gtm stage ") == 3
    reply = await slack.command("stage from bogus to 4", AVA)
    assert "I don't know the stage `bogus` (the *from* side of the move)" in reply.text


async def test_a_near_miss_in_a_move_says_how_it_was_read(slack: SlackClient) -> None:
    reply = await slack.command("stage 3 -> wonn", AVA)
    assert "Allowed: 3-Technical Evaluation → 7-Closed Won" in reply.text
    assert "Reading `wonn` as 7-Closed Won." in reply.text


async def test_an_unknown_stage_answers_with_the_closest_matches(slack: SlackClient) -> None:
    reply = await slack.command("stage frobnicate", AVA)
    assert reply.json["response_type"] == "ephemeral"
    assert "I don't know a stage or an opportunity called `frobnicate`" in reply.text
    assert reply.text.count("• `/gtm stage ") == 3


@pytest.mark.parametrize(
    "hostile", ["<!channel>", "<@U0SAL1> look", "<http://evil.example|click>", "@here now", "3 -> <!here>"]
)
async def test_hostile_input_is_never_echoed_unescaped(slack: SlackClient, hostile: str) -> None:
    reply = await slack.command(f"stage {hostile}", AVA)
    assert reply.status == 200
    assert "I don't know" in reply.text
    for raw in ("<!channel>", "<!here>", "<@U0SAL1>", "<http://evil", "@here"):
        assert raw not in reply.body
    assert "&lt;" in reply.text or "@\u200bhere" in reply.text


# ---- /gtm stage OPPORTUNITY ----------------------------------------------------------------------------
async def test_an_opportunity_by_id_shows_its_stage_what_remains_and_next_stages(slack: SlackClient) -> None:
    reply = await slack.command("stage O-1004", AVA)
    assert reply.json["response_type"] == "ephemeral"
    assert "*Acme, Inc- 50 Premium Renewal 01/17 + Add 25* (`O-1004`)" in reply.text
    assert "*Stage:* 5-Negotiating" in reply.text
    assert "*Owner:* <@U0AE1>" in reply.text  # Ava Cole, as each reader's Slack names her
    assert re.search(r"\*Close date:\* <!date\^\d+\^\{date_long\}\|2026-12-15>", reply.text)  # Slack's date
    assert "*What remains in 5-Negotiating*" in reply.text
    assert "Exit criteria: Verbal agreement on terms" in reply.text
    assert "*Next stages*\n6-Awaiting Signature, 8-Closed Lost" in reply.text
    assert "the directory has no next-step date; make sure the next step is within 60 days" in reply.text


async def test_an_opportunity_id_is_case_insensitive(slack: SlackClient) -> None:
    reply = await slack.command("stage o-1001", AVA)
    assert "*Stage:* 3-Technical Evaluation" in reply.text


async def test_a_pending_opportunity_by_name_reminds_of_the_48_hour_iqm_rule(
    slack: SlackClient, clock: FakeClock
) -> None:
    reply = await slack.command("stage hooli", AVA)
    assert "*Hooli- 100 Premium* (`O-1005`)" in reply.text
    assert "created 14 days ago. Once the IQM is held, move it within 48 hours" in reply.text
    clock.advance(timedelta(days=1))
    assert "created 15 days ago" in (await slack.command("stage hooli", AVA)).text


async def test_several_matching_opportunities_are_listed_to_choose_from(slack: SlackClient) -> None:
    reply = await slack.command("stage Initech", AVA)
    assert "Several opportunities match `Initech`" in reply.text
    for opp_id in ("O-1001", "O-1002", "O-1003"):
        assert f"`/gtm stage {opp_id}`" in reply.text


async def test_a_near_miss_opportunity_name_suggests_the_closest_opportunities(slack: SlackClient) -> None:
    reply = await slack.command("stage Initech 200 Premum", AVA)
    assert "I don't know a stage or an opportunity called" in reply.text
    assert "*Closest opportunities*" in reply.text
    assert "`/gtm stage O-1001` Initech- 200 Premium" in reply.text


async def test_holdover_warning_when_the_account_changed_owner(slack: SlackClient, db: Database) -> None:
    before = await slack.command("stage O-1006", AVA)
    assert "Open 206 days on a transferred account" not in before.text
    # the date in Slack's date formatting (each reader's own words for it), the ISO date its fallback
    assert "stays with its owner until <!date^" in before.text
    assert "^{date_long}|2026-10-29> (180 days after creation)" in before.text
    async with db.sessions.begin() as session:
        await DirectoryRepository(session).set_owner(["A-GLOBEX"], "U0SAL1")
    after = await slack.command("stage O-1006", AVA)
    assert ":warning: Open 206 days on a transferred account" in after.text
    assert "the account is owned by Sally Park, not the opportunity's owner" in after.text


async def test_an_opportunity_in_a_variant_stage_answers_with_the_canonical_one(
    slack: SlackClient, db: Database
) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(OpportunityRow)
            .where(OpportunityRow.opportunity_id == "O-1004")
            .values(stage="6-Closed Won")
        )
    reply = await slack.command("stage O-1004", AVA)
    assert "*Stage:* 7-Closed Won" in reply.text
    assert "The directory says `6-Closed Won`" in reply.text
    assert "the canonical number is 7-Closed Won" in reply.text
    assert "What remains" not in reply.text


async def test_an_opportunity_in_an_unknown_stage_is_flagged(slack: SlackClient, db: Database) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(OpportunityRow)
            .where(OpportunityRow.opportunity_id == "O-1004")
            .values(stage="Frozen <!here>")
        )
    reply = await slack.command("stage O-1004", AVA)
    assert "is not a stage the handbook knows" in reply.text
    assert "<!here>" not in reply.body


@pytest.mark.parametrize("typed", ["O-1007", "o-1007", "Stark Federal", "Stark", "Federal- 300"])
async def test_a_public_sector_opportunity_is_hidden_from_ava(slack: SlackClient, typed: str) -> None:
    reply = await slack.command(f"stage {typed}", AVA)
    assert f"I don't know a stage or an opportunity called `{typed}`" in reply.text
    assert "Stark" not in reply.text.replace(typed, "")
    assert "O-1007" not in reply.text.replace(typed, "")
    nothing = await slack.command("stage O-9999", AVA)
    assert [b["type"] for b in reply.json["blocks"]] == [b["type"] for b in nothing.json["blocks"]]


@pytest.mark.parametrize("user", [PAULA, ADAM])
@pytest.mark.parametrize("typed", ["O-1007", "Stark Federal"])
async def test_a_public_sector_opportunity_is_visible_to_the_public_sector_team_and_admins(
    slack: SlackClient, user: str, typed: str
) -> None:
    reply = await slack.command(f"stage {typed}", user)
    assert "*Stark Federal- 300 Premium* (`O-1007`)" in reply.text
    assert "*Stage:* 2-Scoping" in reply.text


async def test_someone_missing_from_the_directory_cannot_see_public_sector_opportunities(
    slack: SlackClient,
) -> None:
    reply = await slack.command("stage O-1007", "U0NOBODY")
    assert "I don't know a stage or an opportunity" in reply.text


async def test_help_lists_the_new_commands(slack: SlackClient) -> None:
    reply = await slack.command("help", AVA)
    for usage in ("/gtm stage", "/gtm sao", "/gtm name", "/gtm type"):
        assert usage in reply.text


# ---- /gtm sao ---------------------------------------------------------------------------------------------
async def test_sao_opens_the_checklist_modal(slack: SlackClient, standin: SlackStandIn) -> None:
    reply = await slack.command("sao", AVA)
    assert reply.status == 200 and reply.body == ""
    view = await opened(standin, "stages.sao")
    assert block_ids(view) == [
        "sao_authority",
        "sao_initiative",
        "sao_tools",
        "sao_use_case",
        "sao_seats",
        "sao_new_group",
        "sao_next_step",
    ]
    assert "within 60 days" in visible_text(view)


async def test_sao_with_malformed_answers_shows_inline_errors(slack: SlackClient) -> None:
    values = {"sao_seats": text("fifty"), "sao_next_step": day("next week"), "sao_tools": text("Jenkins")}
    reply = await slack.submit(AVA, "stages.sao", values)
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"sao_seats", "sao_next_step"}


@pytest.mark.parametrize("seats", ["0", "-3", "2.5"])
async def test_sao_seats_must_be_a_positive_whole_number(slack: SlackClient, seats: str) -> None:
    reply = await slack.submit(AVA, "stages.sao", {"sao_seats": text(seats)})
    assert reply.json == {
        "response_action": "errors",
        "errors": {"sao_seats": reply.json["errors"]["sao_seats"]},
    }
    assert "positive whole number" in reply.json["errors"]["sao_seats"]


def sao_values(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = {
        "sao_authority": choice("yes"),
        "sao_initiative": choice("yes"),
        "sao_tools": text("Jenkins, Bitbucket"),
        "sao_use_case": text("CI"),
        "sao_seats": text("150"),
        "sao_new_group": choice("yes"),
        "sao_next_step": day("2026-12-10"),
    }
    return {**values, **overrides}


async def test_sao_that_meets_every_criterion_says_so(slack: SlackClient) -> None:
    reply = await slack.submit(AVA, "stages.sao", sao_values())
    assert reply.json["response_action"] == "update"
    shown = visible_text(reply.json["view"])
    assert "The opportunity meets the SAO criteria." in shown
    assert "Missing" not in shown
    assert "#criteria-for-sales-accepted-opportunity-sao" in shown


async def test_sao_lists_what_is_missing(slack: SlackClient) -> None:
    values = sao_values(sao_authority=choice("no"), sao_tools=text(None), sao_next_step=day("2027-03-01"))
    reply = await slack.submit(AVA, "stages.sao", values)
    shown = visible_text(reply.json["view"])
    assert "does not meet the SAO criteria yet" in shown
    assert "Authority: the prospect must be directly involved" in shown
    assert "Fit: current DevOps or software development lifecycle tools." in shown
    assert "Timing: the next step is more than 60 days out." in shown
    assert "Initiative:" not in shown


async def test_sao_seats_are_not_needed_outside_a_new_account_or_buying_group(slack: SlackClient) -> None:
    values = sao_values(sao_seats=text(None), sao_new_group=choice("no"))
    shown = visible_text((await slack.submit(AVA, "stages.sao", values)).json["view"])
    assert "meets the SAO criteria." in shown
    values = sao_values(sao_seats=text(None))
    shown = visible_text((await slack.submit(AVA, "stages.sao", values)).json["view"])
    assert "Fit: potential seats" in shown


async def test_sao_uses_the_bots_clock_for_timing(slack: SlackClient, clock: FakeClock) -> None:
    clock.advance(timedelta(days=30))
    shown = visible_text((await slack.submit(AVA, "stages.sao", sao_values())).json["view"])
    assert "the next step date has passed" in shown


async def test_an_empty_sao_checklist_lists_everything_missing(slack: SlackClient) -> None:
    shown = visible_text((await slack.submit(AVA, "stages.sao", {})).json["view"])
    for criterion in (
        "Authority:",
        "Initiative:",
        "Fit: current",
        "Fit: expected",
        "Fit: potential",
        "Timing:",
    ):
        assert criterion in shown


# ---- /gtm name --------------------------------------------------------------------------------------------
async def test_name_opens_the_naming_modal(slack: SlackClient, standin: SlackStandIn) -> None:
    await slack.command("name", AVA)
    view = await opened(standin, "stages.name")
    assert block_ids(view) == ["name_kind", "name_company", "name_quantity", "name_edition", "name_partner"]
    assert view["blocks"][0]["element"]["initial_option"]["value"] == "new_business"


async def test_name_with_a_case_opens_with_that_case(slack: SlackClient, standin: SlackStandIn) -> None:
    await slack.command("name renewal add-on", AVA)
    view = await opened(standin, "stages.name")
    assert view["private_metadata"] == "renewal_add_on"
    assert "name_add_quantity" in block_ids(view)


async def test_picking_another_case_updates_the_modal(slack: SlackClient, standin: SlackStandIn) -> None:
    await slack.command("name", AVA)
    view = await opened(standin, "stages.name")
    opened_view = standin.views[next(iter(standin.views))]
    await slack.click(
        AVA, "stages.name_kind", "refund", view=opened_view, block_id="name_kind", channel_id=None
    )
    calls = await standin.wait_for("views.update")
    assert calls[0].args["view_id"] == opened_view["id"]
    updated = calls[0].args["view"]
    assert updated["callback_id"] == "stages.name" == view["callback_id"]
    assert block_ids(updated) == ["name_kind", "name_original_name", "name_partner"]
    assert updated["blocks"][0]["element"]["initial_option"]["value"] == "refund"


def name_values(kind: str, **fields: str) -> dict[str, dict[str, Any]]:
    values = {"name_kind": choice(kind, "static_select")}
    for key, value in fields.items():
        values[f"name_{key}"] = choice(value, "static_select") if key == "edition" else text(value)
    return values


@pytest.mark.parametrize(
    ("kind", "fields", "errors"),
    [
        (
            "renewal",
            {"company": "Acme", "quantity": "0", "edition": "Premium", "mm_yy": "13/17"},
            {"name_quantity", "name_mm_yy"},
        ),
        ("new_business", {"company": "Acme", "quantity": "2.5", "edition": "Premium"}, {"name_quantity"}),
        (
            "add_on_seats",
            {"company": " ", "quantity": "fifty", "edition": "Starter"},
            {"name_company", "name_quantity"},
        ),
        (
            "renewal_add_on",
            {
                "company": "Acme",
                "quantity": "50",
                "edition": "Premium",
                "mm_yy": "01/2017",
                "add_quantity": "-1",
            },
            {"name_mm_yy", "name_add_quantity"},
        ),
        ("professional_services", {"company": "Acme", "mm_yy": "00/18"}, {"name_mm_yy"}),
        ("refund", {}, {"name_original_name"}),
        ("no_such_case", {}, {"name_kind"}),
    ],
)
async def test_name_with_bad_inputs_shows_inline_errors(
    slack: SlackClient, kind: str, fields: dict[str, str], errors: set[str]
) -> None:
    reply = await slack.submit(AVA, "stages.name", name_values(kind, **fields))
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == errors


@pytest.mark.parametrize(
    ("kind", "fields", "name"),
    [
        (
            "new_business",
            {"company": "Acme, Inc", "quantity": "50", "edition": "Starter"},
            "Acme, Inc- 50 Starter",
        ),
        (
            "add_on_seats",
            {"company": "Acme, Inc", "quantity": "25", "edition": "Starter"},
            "Acme, Inc- Add 25 Starter",
        ),
        ("upgrade", {"company": "Acme, Inc", "edition": "Ultimate"}, "Acme, Inc- Upgrade to Ultimate"),
        (
            "renewal",
            {"company": "Acme, Inc", "quantity": "50", "edition": "Premium", "mm_yy": "1/17"},
            "Acme, Inc- 50 Premium Renewal 01/17",
        ),
        (
            "renewal_add_on",
            {
                "company": "Acme, Inc",
                "quantity": "50",
                "edition": "Premium",
                "mm_yy": "01/17",
                "add_quantity": "25",
            },
            "Acme, Inc- 50 Premium Renewal 01/17 + Add 25",
        ),
        (
            "renewal_upgrade",
            {"company": "Acme, Inc", "quantity": "50", "edition": "Premium", "mm_yy": "01/17"},
            "Acme, Inc- 50 Upgrade to Premium + Renewal 01/17",
        ),
        (
            "professional_services",
            {"company": "Acme, Inc", "mm_yy": "06/18"},
            "Acme, Inc- Professional Services 06/18",
        ),
        ("refund", {"original_name": "Acme, Inc- 50 Starter"}, "Acme, Inc- 50 Starter - REFUND"),
        (
            "new_business",
            {"company": "Acme, Inc", "quantity": "50", "edition": "Starter", "partner": "P4"},
            "P4 - Acme, Inc- 50 Starter",
        ),
    ],
)
async def test_name_builds_each_case_ready_to_copy(
    slack: SlackClient, kind: str, fields: dict[str, str], name: str
) -> None:
    reply = await slack.submit(AVA, "stages.name", name_values(kind, **fields))
    assert reply.json["response_action"] == "update"
    view = reply.json["view"]
    assert view["blocks"][1]["text"]["text"] == f"```{name}```"
    assert "#opportunity-naming-convention" in visible_text(view)


async def test_name_falls_back_to_the_case_in_the_metadata(slack: SlackClient) -> None:
    values = {"name_original_name": text("Acme, Inc- 50 Starter")}
    reply = await slack.submit(AVA, "stages.name", values, private_metadata="refund")
    assert reply.json["view"]["blocks"][1]["text"]["text"] == "```Acme, Inc- 50 Starter - REFUND```"


async def test_a_hostile_company_name_comes_out_escaped(slack: SlackClient) -> None:
    fields = {"company": "<!channel> Corp", "quantity": "5", "edition": "Premium"}
    reply = await slack.submit(AVA, "stages.name", name_values("new_business", **fields))
    assert "<!channel>" not in reply.body
    assert "&lt;!channel&gt; Corp- 5 Premium" in visible_text(reply.json["view"])


# ---- /gtm type --------------------------------------------------------------------------------------------
async def test_type_opens_the_three_questions(slack: SlackClient, standin: SlackStandIn) -> None:
    await slack.command("type", AVA)
    view = await opened(standin, "stages.type")
    assert block_ids(view)[:3] == ["type_new_account", "type_new_subscription", "type_new_amount"]
    assert {"type_parent_type", "type_parent_amount", "type_potential_total"} <= set(block_ids(view))


def type_values(
    account: str | None, subscription: str | None, amount: str | None, **more: Any
) -> dict[str, Any]:
    return {
        "type_new_account": choice(account),
        "type_new_subscription": choice(subscription),
        "type_new_amount": choice(amount),
        **more,
    }


async def test_type_with_unanswered_questions_or_bad_amounts_shows_inline_errors(slack: SlackClient) -> None:
    values = type_values(None, "no", "yes", type_parent_amount=text("lots"), type_potential_total=text("-5"))
    reply = await slack.submit(AVA, "stages.type", values)
    assert reply.json["response_action"] == "errors"
    assert set(reply.json["errors"]) == {"type_new_account", "type_parent_amount", "type_potential_total"}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (("yes", "yes", "yes"), "*Type: New Business* (New account)"),
        (("no", "yes", "yes"), "*Type: New Business* (New subscription)"),
        (("no", "no", "yes"), "*Type: Add-On Business* (Add On Business)"),
        (("no", "no", "no"), "*Type: Renewal* (Renewal)"),
        (("yes", "no", "yes"), "A new account cannot have an existing subscription."),
        (("no", "yes", "no"), "A new subscription always brings a new amount."),
    ],
)
async def test_type_classifies_the_three_answers(
    slack: SlackClient, answers: tuple[str, str, str], expected: str
) -> None:
    reply = await slack.submit(AVA, "stages.type", type_values(*answers))
    assert reply.json["response_action"] == "update"
    shown = visible_text(reply.json["view"])
    assert expected in shown
    assert ("*Add-on parent*" in shown) == (answers == ("no", "no", "yes"))


@pytest.mark.parametrize(
    ("parent", "assisted", "expected"),
    [
        ("Renewal", "yes", ":white_check_mark: A Renewal opportunity can be the parent of an add-on."),
        ("New Business", "yes", ":white_check_mark: A New Business opportunity can be the parent"),
        ("Add-On Business", "yes", ":no_entry: A parent opportunity cannot be another Add-on opportunity."),
        ("none", "yes", ":no_entry: All sales-assisted non-portal Add-on opportunities must have a parent"),
        ("none", "no", ":white_check_mark: A portal add-on does not need a parent opportunity."),
        (None, "yes", "Check the parent's type"),
    ],
)
async def test_type_applies_the_add_on_parent_rules(
    slack: SlackClient, parent: str | None, assisted: str, expected: str
) -> None:
    values = type_values(
        "no",
        "no",
        "yes",
        type_parent_type=choice(parent, "static_select"),
        type_sales_assisted=choice(assisted),
    )
    shown = visible_text((await slack.submit(AVA, "stages.type", values)).json["view"])
    assert expected in shown


async def test_type_computes_upside_iacv(slack: SlackClient) -> None:
    values = type_values(
        "no", "no", "yes", type_parent_amount=text("$100,000"), type_potential_total=text("150,000")
    )
    shown = visible_text((await slack.submit(AVA, "stages.type", values)).json["view"])
    assert "*Upside IACV: $50,000*" in shown
    values = type_values(
        "no", "no", "yes", type_parent_amount=text("100000"), type_potential_total=text("90000")
    )
    shown = visible_text((await slack.submit(AVA, "stages.type", values)).json["view"])
    assert "must be more than the parent opportunity's amount" in shown
    values = type_values("no", "no", "yes", type_potential_total=text("90000"))
    shown = visible_text((await slack.submit(AVA, "stages.type", values)).json["view"])
    assert "Enter both the parent amount and the potential total" in shown


async def test_the_stage_card_warns_when_an_add_ons_parent_is_an_add_on(
    slack: SlackClient, db: Database, directory
) -> None:
    async with db.sessions.begin() as session:  # as an older import or Salesforce may have stored it
        session.add_all(
            [
                OpportunityRow(
                    opportunity_id="O-A1",
                    name="Acme- 10 Add",
                    account_id="A-ACME",
                    owner=AVA,
                    stage="1-Discovery",
                    type="Add-On Business",
                    parent_opportunity_id="O-1004",
                ),
                OpportunityRow(
                    opportunity_id="O-A2",
                    name="Acme- 5 Add",
                    account_id="A-ACME",
                    owner=AVA,
                    stage="1-Discovery",
                    type="Add-On Business",
                    parent_opportunity_id="O-A1",
                ),
            ]
        )
    reply = await slack.command("stage O-A2", AVA)
    assert "Its parent O-A1 is an Add-on too. A parent opportunity cannot be another Add-on" in reply.text
    assert "cannot be another Add-on" not in (await slack.command("stage O-A1", AVA)).text
