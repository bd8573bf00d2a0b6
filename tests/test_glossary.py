"""/glossary and /gtm define|glossary|ask end to end: signed requests into the real app, a real database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.glossary import MISSED
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import GlossaryChangeRow, GlossaryEntryRow, GlossaryStatRow, RequestRow
from tests.conftest import FakeClock
from tests.slack.client import SlackClient, visible_text

pytestmark = pytest.mark.usefixtures("directory")

AE, OPS, ADMIN = "U0AE1", "U0OPS1", "U0ADM1"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def values(**fields: str) -> dict[str, dict[str, Any]]:
    return {block: {"value": {"type": "plain_text_input", "value": text}} for block, text in fields.items()}


async def open_modal(standin: SlackStandIn, callback_id: str) -> dict[str, Any]:
    calls = await standin.wait_for("views.open", lambda c: c.args["view"].get("callback_id") == callback_id)
    return calls[-1].args["view"]


async def rows(db: Database, model: type[Any]) -> list[Any]:
    async with db.sessions() as session:
        return list(await session.scalars(select(model)))


# ---- lookups ----------------------------------------------------------------------------------------
async def test_glossary_sao_answers_privately_with_the_definition_and_a_share_button(
    slack: SlackClient,
) -> None:
    reply = await slack.command("SAO", AE, command="/glossary")
    assert reply.status == 200
    assert reply.json["response_type"] == "ephemeral"
    assert "Sales Accepted Opportunity" in reply.text
    assert [(b["action_id"], b["value"]) for b in buttons(reply.json)] == [("glossary.share", "sao")]


@pytest.mark.parametrize(
    ("typed", "term"),
    [
        ("sao", "SAO"),
        ("S.A.O.", "SAO"),
        ("  SAOs?! ", "SAO"),
        ("sales accepted opportunity", "SAO"),
        ("Sales Acepted Oportunity", "SAO"),  # a typo
        ("sqo", "SQO"),
        ("Asia Pacific", "APAC"),  # an alias
        ("end user license agreement", "EULA"),
    ],
)
async def test_case_punctuation_expansions_aliases_and_typos_find_the_entry(
    slack: SlackClient, typed: str, term: str
) -> None:
    reply = await slack.command(f"define {typed}", AE)
    assert f"*{term}*" in reply.text
    assert "has no entry" not in reply.text


async def test_a_typo_says_which_entry_it_shows(slack: SlackClient) -> None:
    reply = await slack.command("Sales Acepted Oportunity", AE, command="/glossary")
    assert "Showing *SAO* for `Sales Acepted Oportunity`" in reply.text


async def test_a_name_with_several_meanings_lists_them_all(slack: SlackClient) -> None:
    reply = await slack.command("ROE", AE, command="/glossary")
    assert "has 2 meanings" in reply.text
    assert "*Account Ownership Rules of Engagement*" in reply.text and "*Rules of Engagement*" in reply.text
    assert len(buttons(reply.json)) == 2


async def test_no_match_answers_with_the_closest_entries_and_a_suggest_button(slack: SlackClient) -> None:
    reply = await slack.command("quarterly pipeline thingamajig", AE, command="/glossary")
    assert "has no entry for `quarterly pipeline thingamajig`" in reply.text
    closest = [b for b in buttons(reply.json) if b["action_id"].startswith("glossary.show")]
    assert 1 <= len(closest) <= 5
    assert any(b["action_id"] == "glossary.suggest" for b in buttons(reply.json))


@pytest.mark.parametrize(
    "hostile", ["<!channel>", "<@U0CRO1> <http://evil.example|click>", "@here & <!everyone>"]
)
async def test_hostile_input_is_never_echoed_unescaped(slack: SlackClient, hostile: str) -> None:
    reply = await slack.command(hostile, AE, command="/glossary")
    assert reply.status == 200
    for raw in ("<!channel>", "<@U0CRO1>", "<http://evil", "<!everyone>"):
        assert raw not in reply.body
    assert "@here" not in reply.text.replace("@\u200bhere", "")


async def test_glossary_works_in_a_dm_and_where_the_bot_is_not_a_member(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    for channel in ("D0AE10001", "C0NOTMEMBER"):
        reply = await slack.command("IACV", AE, command="/glossary", channel=channel)
        assert "*IACV*" in reply.text
    await asyncio.sleep(0.1)
    assert not standin.calls_to("chat.postMessage") and not standin.calls_to("chat.postEphemeral")


async def test_share_posts_the_entry_in_channel_through_the_response_url(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    await slack.click(AE, "glossary.share", "sao", channel_id="C0NOTMEMBER")
    posted = (await standin.wait_for("response_url"))[0].args
    assert posted["response_type"] == "in_channel"
    assert posted["replace_original"] is False
    assert "Sales Accepted Opportunity" in visible_text(posted)
    assert f"Shared by <@{AE}>" in visible_text(posted)
    assert not standin.calls_to("chat.postMessage")


async def test_a_closest_entry_button_shows_that_entry(slack: SlackClient, standin: SlackStandIn) -> None:
    await slack.click(AE, "glossary.show:2", "iacv")
    posted = (await standin.wait_for("response_url"))[0].args
    assert posted["replace_original"] is True
    assert "*IACV*" in visible_text(posted)


async def test_empty_glossary_opens_a_browse_modal_with_search_and_a_to_z(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    reply = await slack.command("", AE, command="/glossary")
    assert reply.status == 200 and reply.body == ""
    view = await open_modal(standin, "glossary.browse")
    assert view["blocks"][0]["element"]["action_id"] == "glossary.search"
    letters = [b["value"] for b in buttons(view)]
    assert letters[:3] == ["A", "C", "D"] or "A" in letters and "S" in letters
    opened = standin.views[next(iter(standin.views))]

    await slack.click(AE, "glossary.letter:19", "S", view=opened)
    update = (await standin.wait_for("views.update"))[-1].args["view"]
    assert "*SAO*" in visible_text(update) and "*SQO*" in visible_text(update)
    assert "*IACV*" not in visible_text(update)

    await slack.click(AE, "glossary.search", "iacv", view=opened)
    update = (await standin.wait_for("views.update", count=2))[-1].args["view"]
    assert "Results for `iacv`" in visible_text(update) and "*IACV*" in visible_text(update)


# ---- keeping it current -----------------------------------------------------------------------------
async def test_sales_ops_adds_an_entry_from_a_modal_and_it_is_logged(
    slack: SlackClient, standin: SlackStandIn, db: Database, clock: FakeClock
) -> None:
    reply = await slack.command("glossary add", OPS)
    assert reply.body == ""
    view = await open_modal(standin, "glossary.entry_modal")
    submitted = await slack.submit(
        OPS,
        "glossary.entry_modal",
        values(
            term="PQL",
            expansion="Product Qualified Lead",
            definition="A user who hit the usage bar.",
            aliases="product-qualified lead, PQLs",
        ),
        private_metadata=view["private_metadata"],
    )
    assert submitted.json["response_action"] == "update"
    assert "Added *PQL*" in visible_text(submitted.json["view"])

    found = await slack.command("product qualified lead", AE, command="/glossary")
    assert "A user who hit the usage bar." in found.text
    [change] = await rows(db, GlossaryChangeRow)
    assert (change.slug, change.action, change.actor, change.at) == ("pql", "add", OPS, clock.now)
    assert change.old_value is None and change.new_value["expansion"] == "Product Qualified Lead"


async def test_an_admin_edits_a_shipped_entry_and_the_old_value_is_kept(
    slack: SlackClient, standin: SlackStandIn, db: Database
) -> None:
    await slack.command("glossary edit s.a.o.", ADMIN)
    view = await open_modal(standin, "glossary.entry_modal")
    assert view["blocks"][0]["element"]["initial_value"] == "SAO"
    assert json.loads(view["private_metadata"]) == {"id": "sao"}
    await slack.submit(
        ADMIN,
        "glossary.entry_modal",
        values(
            term="SAO",
            expansion="Sales Accepted Opportunity",
            definition="Edited: Sales said yes.",
            aliases="",
        ),
        private_metadata=view["private_metadata"],
    )
    assert "Edited: Sales said yes." in (await slack.command("sao", AE, command="/glossary")).text
    [change] = await rows(db, GlossaryChangeRow)
    assert change.action == "edit" and change.actor == ADMIN
    assert change.old_value["definition"].startswith("An opportunity Sales agrees to pursue")


async def test_sales_ops_retires_an_entry_and_lookups_stop_finding_it(
    slack: SlackClient, standin: SlackStandIn, db: Database
) -> None:
    await slack.command("glossary retire MVC", OPS)
    view = await open_modal(standin, "glossary.retire_modal")
    done = await slack.submit(OPS, "glossary.retire_modal", {}, private_metadata=view["private_metadata"])
    assert "Retired *MVC*" in visible_text(done.json["view"])
    reply = await slack.command("MVC", AE, command="/glossary")
    assert "has no entry for `MVC`" in reply.text
    [row] = await rows(db, GlossaryEntryRow)
    assert row.retired and row.updated_by == OPS
    [change] = await rows(db, GlossaryChangeRow)
    assert change.action == "retire" and change.old_value["term"] == "MVC" and change.new_value is None


async def test_several_meanings_to_edit_are_offered_as_buttons(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    reply = await slack.command("glossary edit holdover", OPS)
    choices = buttons(reply.json)
    assert [b["value"] for b in choices] == ["holdover-account", "holdover-opportunity"]
    await slack.click(OPS, choices[1]["action_id"], choices[1]["value"])
    view = await open_modal(standin, "glossary.entry_modal")
    assert json.loads(view["private_metadata"]) == {"id": "holdover-opportunity"}


@pytest.mark.parametrize("command", ["glossary add", "glossary edit SAO", "glossary retire SAO"])
async def test_someone_outside_sales_ops_is_denied_and_told_why(
    slack: SlackClient, standin: SlackStandIn, command: str
) -> None:
    reply = await slack.command(command, AE)
    assert "Only Sales Ops and admins can change the glossary" in reply.text
    assert "lists you as AE" in reply.text
    await asyncio.sleep(0.1)
    assert not standin.calls_to("views.open")


async def test_a_forged_modal_submission_from_a_non_editor_changes_nothing(
    slack: SlackClient, db: Database
) -> None:
    reply = await slack.submit(
        AE,
        "glossary.entry_modal",
        values(term="SAO", definition="Hijacked."),
        private_metadata='{"id": "sao"}',
    )
    assert reply.json["response_action"] == "errors"
    assert "Only Sales Ops" in reply.json["errors"]["term"]
    assert await rows(db, GlossaryEntryRow) == []
    assert "Hijacked" not in (await slack.command("sao", AE, command="/glossary")).text


@pytest.mark.parametrize(
    ("fields", "block", "message"),
    [
        ({"term": "PQL", "definition": "x" * 1501}, "definition", "Keep the definition to 1500 characters"),
        ({"term": "PQL", "definition": "   "}, "definition", "Write the definition"),
        ({"term": "!!!", "definition": "ok"}, "term", "at least one letter or digit"),
        ({"term": "T" * 61, "definition": "ok"}, "term", "Keep the term to 60 characters"),
        ({"term": "PQL", "definition": "ok", "expansion": "e" * 121}, "expansion", "120 characters"),
        ({"term": "PQL", "definition": "ok", "aliases": ",".join("abcdefghijk")}, "aliases", "At most 10"),
        ({"term": "sqo", "definition": "again"}, "term", "already in the glossary"),
    ],
)
async def test_bad_modal_input_gets_an_inline_error(
    slack: SlackClient, db: Database, fields: dict[str, str], block: str, message: str
) -> None:
    reply = await slack.submit(OPS, "glossary.entry_modal", values(**fields), private_metadata='{"id": ""}')
    assert reply.json["response_action"] == "errors"
    assert message in reply.json["errors"][block]
    assert await rows(db, GlossaryChangeRow) == []


async def test_a_second_meaning_of_an_acronym_is_added_beside_the_first(slack: SlackClient) -> None:
    await slack.submit(
        OPS,
        "glossary.entry_modal",
        values(term="TAM", expansion="Total Addressable Market", definition="All the revenue there is."),
        private_metadata='{"id": ""}',
    )
    reply = await slack.command("tam", AE, command="/glossary")
    assert "has 2 meanings" in reply.text
    assert "Technical Account Manager" in reply.text and "Total Addressable Market" in reply.text


async def test_an_entry_full_of_mentions_is_shown_escaped(slack: SlackClient, standin: SlackStandIn) -> None:
    await slack.submit(
        OPS,
        "glossary.entry_modal",
        values(term="Ping <!channel>", definition="<@U0CRO1> says <http://evil.example|click> & @here"),
        private_metadata='{"id": ""}',
    )
    reply = await slack.command("ping channel", AE, command="/glossary")
    assert "&lt;@U0CRO1&gt;" in reply.text
    for raw in ("<!channel>", "<@U0CRO1>", "<http://evil"):
        assert raw not in reply.body
    await slack.click(AE, "glossary.share", "ping-channel")
    shared = json.dumps((await standin.wait_for("response_url"))[0].args)
    assert "<!channel>" not in shared and "<@U0CRO1>" not in shared


async def test_stored_entries_override_add_and_hide_shipped_ones_at_first_use(
    slack: SlackClient, db: Database, clock: FakeClock
) -> None:
    async with db.sessions.begin() as session:
        common = {"section": "glossary", "updated_by": OPS, "updated_at": clock.now, "aliases": []}
        session.add_all(
            [
                GlossaryEntryRow(slug="sao", term="SAO", definition="Overridden.", retired=False, **common),
                GlossaryEntryRow(
                    slug="zeta", term="Zeta Deal", definition="Stored only.", retired=False, **common
                ),
                GlossaryEntryRow(slug="mvc", term="MVC", definition="x", retired=True, **common),
            ]
        )
    assert "Overridden." in (await slack.command("sao", AE, command="/glossary")).text
    assert "Stored only." in (await slack.command("zeta deal", AE, command="/glossary")).text
    assert "has no entry" in (await slack.command("mvc", AE, command="/glossary")).text


# ---- suggestions through the approval engine ---------------------------------------------------------
async def suggest(slack: SlackClient, standin: SlackStandIn, db: Database) -> tuple[int, str]:
    reply = await slack.command("<PQL>", AE, command="/glossary")
    [suggest_button] = [b for b in buttons(reply.json) if b["action_id"] == "glossary.suggest"]
    await slack.click(AE, "glossary.suggest", suggest_button["value"])
    view = await open_modal(standin, "glossary.suggest_modal")
    assert view["blocks"][0]["element"]["initial_value"] == "PQL"
    done = await slack.submit(
        AE, "glossary.suggest_modal", values(term="PQL", definition="A user who hit the usage bar.")
    )
    assert "Suggestion sent" in json.dumps(done.json["view"])
    [request] = await rows(db, RequestRow)
    assert (request.kind, request.status, request.requester) == ("glossary_suggestion", "pending", AE)
    card = (await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == OPS))[0].args
    assert "A user who hit the usage bar." in visible_text(card)
    approve = next(b for b in buttons(card) if b["action_id"] == "approval.approve")
    return request.id, approve["value"]


async def test_an_approved_suggestion_goes_live_and_the_suggester_hears_it(
    slack: SlackClient, standin: SlackStandIn, db: Database
) -> None:
    _, value = await suggest(slack, standin, db)
    await slack.click(OPS, "approval.approve", value, channel_id="D0OPS1")
    dm = await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == AE)
    assert "approved your glossary suggestion *PQL*" in visible_text(dm[0].args)
    assert "A user who hit the usage bar." in (await slack.command("pql", AE, command="/glossary")).text
    [request] = await rows(db, RequestRow)
    assert request.status == "applied"
    [change] = await rows(db, GlossaryChangeRow)
    assert (change.action, change.actor) == ("add", OPS)


async def test_a_rejected_suggestion_tells_the_suggester_why(
    slack: SlackClient, standin: SlackStandIn, db: Database
) -> None:
    _, value = await suggest(slack, standin, db)
    await slack.click(OPS, "approval.reject", value, channel_id="D0OPS1")
    await standin.wait_for(
        "views.open", lambda c: c.args["view"].get("callback_id") == "approval.reject_reason"
    )
    await slack.submit(
        OPS,
        "approval.reject_reason",
        values(reason="We call this <!channel> an MQL."),
        private_metadata=value,
    )
    dm = (await standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == AE))[0].args
    assert "did not accept your glossary suggestion *PQL*" in visible_text(dm)
    assert "We call this &lt;!channel&gt; an MQL." in visible_text(dm)
    assert "has no entry" in (await slack.command("pql", AE, command="/glossary")).text
    [request] = await rows(db, RequestRow)
    assert request.status == "rejected"


async def test_a_suggestion_with_a_too_long_definition_gets_an_inline_error(
    slack: SlackClient, db: Database
) -> None:
    reply = await slack.submit(AE, "glossary.suggest_modal", values(term="PQL", definition="x" * 2000))
    assert "Keep the definition to 1500" in reply.json["errors"]["definition"]
    assert await rows(db, RequestRow) == []


# ---- lookup counts ----------------------------------------------------------------------------------
async def counts_for(db: Database, queries: set[str], wanted: int) -> dict[tuple[str, bool], int]:
    """Counts of `queries` (a test's own words: an earlier test's counts may still be flushing)."""
    async with asyncio.timeout(5):
        while True:
            found = {
                (r.query, r.found): r.count for r in await rows(db, GlossaryStatRow) if r.query in queries
            }
            if len(found) >= wanted:
                return found
            await asyncio.sleep(0.05)


async def test_lookups_are_counted_after_the_ack(slack: SlackClient, db: Database) -> None:
    await slack.command("E.U.L.A.", AE, command="/glossary")
    assert not [r for r in await rows(db, GlossaryStatRow) if r.query == "eula"]  # not written in the ack
    await slack.command("Eula", AE, command="/glossary")
    await slack.command("blorptastic", AE, command="/glossary")
    counts = await counts_for(db, {"eula", MISSED}, 2)
    assert counts[("eula", True)] == 2 and counts[(MISSED, False)] >= 1
    assert not [r for r in await rows(db, GlossaryStatRow) if "blorptastic" in r.query]  # never the text


async def test_stats_count_the_term_found_not_the_words_typed(slack: SlackClient, db: Database) -> None:
    """A lookup is counted under the glossary term it found (a typo is counted as the term)."""
    await slack.command("tedd", AE, command="/glossary")
    await slack.command("Tedd glossry please", AE, command="/glossary")  # whatever it finds, not this text
    await counts_for(db, {"tedd"}, 1)
    assert not [r for r in await rows(db, GlossaryStatRow) if "please" in r.query]


async def test_glossary_stats_shows_the_most_asked_and_most_missed_terms(slack: SlackClient) -> None:
    for typed in ("tedd", "TEDD", "T.E.D.D.", "sqo", "<!channel> zzgarble", "<!channel> zzgarble"):
        await slack.command(typed, AE, command="/glossary")
    reply = await slack.command("glossary stats", AE)
    asked, missed = reply.json["blocks"][0]["text"]["text"], reply.json["blocks"][1]["text"]["text"]
    assert asked.splitlines()[1] == "1. `tedd` — 3"
    assert "lookups found no entry" in missed
    assert "<!channel>" not in reply.body


async def test_glossary_stats_never_show_what_someone_else_typed(slack: SlackClient, directory) -> None:
    """A failed lookup names an account (a public-sector one here): Sales Ops see a count, not the text."""
    await slack.command("Stark Federal Systems", "U0PUB1", command="/glossary")
    await slack.command("Stark Federal Systems", "U0PUB1", command="/glossary")
    reply = await slack.command("glossary stats", "U0OPS1")
    assert "Stark" not in reply.body and "stark" not in reply.body
    assert "found no entry" in reply.text


# ---- /gtm ask ---------------------------------------------------------------------------------------
async def test_ask_answers_with_three_handbook_sections_and_links(slack: SlackClient) -> None:
    reply = await slack.command("ask who can reassign an account", AE)
    sections = [b for b in reply.json["blocks"] if b["type"] == "section"][1:]
    assert len(sections) == 3
    for block in sections:
        assert (
            "<https://about.gitlab.com/handbook/sales/field-operations/gtm-resources/#"
            in block["text"]["text"]
        )
    assert "Changing Account Ownership in Salesforce" in reply.text


@pytest.mark.parametrize(
    ("question", "says"), [("", "Ask me a question"), ("<!here> qqqzzz", "couldn't find")]
)
async def test_ask_without_an_answer_says_so(slack: SlackClient, question: str, says: str) -> None:
    reply = await slack.command(f"ask {question}", AE)
    assert says in reply.text and "<!here>" not in reply.body
