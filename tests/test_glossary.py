"""/glossary and /gtm define|glossary|ask end to end: signed requests into the real app, a real database."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.features.glossary.service import MISSED
from bot.standin.web_api import SlackStandIn
from storage.db import Database
from storage.models import GlossaryChangeRow, GlossaryEntryRow, GlossaryStatRow, RequestRow
from tests.conftest import FakeClock
from tests.slack.client import Reply, SlackClient, visible_text

pytestmark = pytest.mark.usefixtures("directory")

AE, OPS, ADMIN = "U0AE1", "U0OPS1", "U0ADM1"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def values(**fields: str) -> dict[str, dict[str, Any]]:
    return {block: {"value": {"type": "plain_text_input", "value": text}} for block, text in fields.items()}


async def submit_entry(slack: SlackClient, user: str, metadata: str, **fields: str) -> Reply:
    """Submit the glossary entry modal (add when metadata's id is empty, else edit that id)."""
    return await slack.submit(user, "glossary.entry_modal", values(**fields), private_metadata=metadata)


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


def closest_terms(reply: Any) -> list[str]:
    return [b["text"]["text"] for b in buttons(reply.json) if b["action_id"].startswith("glossary.show")]


@pytest.mark.parametrize(
    ("typed", "closest"),
    [
        ("pipeline", ["0-Pending Acceptance", "Sales Qualified Source"]),  # definitions that use the word
        ("webcast", ["Active vs. Passive", "High intent"]),
        ("Sales Acepted", ["SAO"]),  # first of those sharing "sales": it also has "accepted"
    ],
)
async def test_no_match_offers_only_entries_that_share_a_word_with_it(
    slack: SlackClient, typed: str, closest: list[str]
) -> None:
    reply = await slack.command(typed, AE, command="/glossary")
    offered = closest_terms(reply)
    assert set(offered[: len(closest)]) == set(closest)
    assert "AE" not in offered and "Visual Compliance" not in offered


async def test_no_match_and_nothing_close_says_so_and_offers_to_suggest(slack: SlackClient) -> None:
    reply = await slack.command("xyzzy plugh", AE, command="/glossary")
    assert "has no entry for `xyzzy plugh`. Nothing in it is close to that." in reply.text
    assert closest_terms(reply) == []
    assert any(b["action_id"] == "glossary.suggest" for b in buttons(reply.json))


async def test_the_a_to_z_search_lists_only_entries_close_to_what_was_typed(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    await slack.command("", AE, command="/glossary")
    opened = standin.views[next(iter(await open_modal_ids(standin)))]
    await slack.click(AE, "glossary.search", "holdover", view=opened)
    found = visible_text((await standin.wait_for("views.update"))[-1].args["view"])
    assert "*Holdover Account*" in found and "*Holdover Opportunity*" in found
    assert "*RD*" not in found
    await slack.click(AE, "glossary.search", "xyzzy", view=opened)
    found = visible_text((await standin.wait_for("views.update", count=2))[-1].args["view"])
    assert "Nothing in the glossary is close to that." in found


async def open_modal_ids(standin: SlackStandIn) -> list[str]:
    await open_modal(standin, "glossary.browse")
    return list(standin.views)


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


# ---- "Look up in glossary" on a message -------------------------------------------------------------
async def test_the_message_shortcut_lists_the_terms_the_message_names_with_their_definitions(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    said = "Is it an SAO yet? The RD wants the IQM booked before it moves to 4-Proposal. I am on it."
    reply = await slack.message_shortcut(AE, "glossary.lookup_message", said)
    assert reply.status == 200 and reply.body == ""
    view = await open_modal(standin, "glossary.message_terms")
    shown = visible_text(view)
    assert "4 handbook terms in this message:" in shown
    terms = [line for line in shown.splitlines() if line.startswith("*")]
    assert terms == ["*SAO* (Sales Accepted Opportunity)", "*RD* (Regional Director)",
                     "*IQM* (Initial Qualifying Meeting)", "*4-Proposal*"]  # fmt: skip
    assert "An opportunity Sales agrees to pursue" in shown
    assert "Account Manager" not in shown  # "I am" is no AM


async def test_the_message_shortcut_on_a_message_without_terms_says_so(
    slack: SlackClient, standin: SlackStandIn
) -> None:
    await slack.message_shortcut(AE, "glossary.lookup_message", "lunch at noon? <!here>")
    view = await open_modal(standin, "glossary.message_terms")
    assert "This message names no term of the handbook's glossary." in visible_text(view)
    assert "<!here>" not in json.dumps(view)


# ---- keeping it current -----------------------------------------------------------------------------
async def test_sales_ops_adds_an_entry_from_a_modal_and_it_is_logged(
    slack: SlackClient, standin: SlackStandIn, db: Database, clock: FakeClock
) -> None:
    reply = await slack.command("glossary add", OPS)
    assert reply.body == ""
    view = await open_modal(standin, "glossary.entry_modal")
    submitted = await submit_entry(
        slack,
        OPS,
        view["private_metadata"],
        term="PQL",
        expansion="Product Qualified Lead",
        definition="A user who hit the usage bar.",
        aliases="product-qualified lead, PQLs",
    )
    assert submitted.json["response_action"] == "update"
    assert "Added *PQL*" in visible_text(submitted.json["view"])

    found = await slack.command("product qualified lead", AE, command="/glossary")
    assert "A user who hit the usage bar." in found.text
    # The handbook does not define PQL: no "Handbook section" link to a page without it.
    assert "Handbook section" not in found.body and "gtm-resources/#" not in found.body
    assert "|Handbook section>" in (await slack.command("sao", AE, command="/glossary")).body
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
    await submit_entry(
        slack,
        ADMIN,
        view["private_metadata"],
        term="SAO",
        expansion="Sales Accepted Opportunity",
        definition="Edited: Sales said yes.",
        aliases="",
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
    reply = await submit_entry(slack, AE, '{"id": "sao"}', term="SAO", definition="Hijacked.")
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
    reply = await submit_entry(slack, OPS, '{"id": ""}', **fields)
    assert reply.json["response_action"] == "errors"
    assert message in reply.json["errors"][block]
    assert await rows(db, GlossaryChangeRow) == []


async def test_a_second_meaning_of_an_acronym_is_added_beside_the_first(slack: SlackClient) -> None:
    await submit_entry(
        slack,
        OPS,
        '{"id": ""}',
        term="TAM",
        expansion="Total Addressable Market",
        definition="All the revenue there is.",
    )
    reply = await slack.command("tam", AE, command="/glossary")
    assert "has 2 meanings" in reply.text
    assert "Technical Account Manager" in reply.text and "Total Addressable Market" in reply.text


async def test_an_entry_full_of_mentions_is_shown_escaped(slack: SlackClient, standin: SlackStandIn) -> None:
    await submit_entry(
        slack,
        OPS,
        '{"id": ""}',
        term="Ping <!channel>",
        definition="<@U0CRO1> says <http://evil.example|click> & @here",
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
    zeta = await slack.command("zeta deal", AE, command="/glossary")
    assert "Stored only." in zeta.text
    assert "Handbook section" not in zeta.body  # stored as "glossary", a section that does not have it
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
HANDBOOK = "<https://about.gitlab.com/handbook/sales/field-operations/gtm-resources/#"


def block(reply: Any, block_id: str) -> str:
    return next(b["text"]["text"] for b in reply.json["blocks"] if b.get("block_id") == block_id)


@pytest.mark.parametrize(
    ("question", "anchor", "rule"),
    [
        ("how many named accounts can I have", "account-ownership-rules-of-engagement",
         "A sales rep will own no more than 30 named accounts."),
        ("how long can I keep an opportunity after the account changes owner",
         "account-ownership-rules-of-engagement", "no more than 180 days after opportunity creation"),
        ("can a regional director reassign any account", "changing-account-ownership-in-salesforce",
         "Any RD can reassign any account"),
    ],
)  # fmt: skip
async def test_ask_answers_with_the_rule_itself_its_section_and_the_two_next_best(
    slack: SlackClient, question: str, anchor: str, rule: str
) -> None:
    reply = await slack.command(f"ask {question}", AE)
    assert reply.status == 200 and reply.json["response_type"] == "ephemeral"
    answer = block(reply, "answer")
    assert answer.startswith(f"*{HANDBOOK}{anchor}|")
    assert rule in answer
    next_best = [block(reply, "next:1"), block(reply, "next:2")]
    assert all(text.startswith(f"*{HANDBOOK}") for text in next_best)
    assert rule not in " ".join(next_best)


async def test_ask_quotes_a_rule_with_its_cases_and_says_what_it_hangs_under(slack: SlackClient) -> None:
    reply = await slack.command("ask do franchise employees count toward the HQ", AE)
    answer = block(reply, "answer")
    assert "_Exceptions:_" in answer  # the rule it belongs to
    assert "\n>• HQ : Franchises or Consultants (Note: Franchises do not count" in answer


@pytest.mark.parametrize(
    ("question", "says"), [("", "Ask me a question"), ("<!here> qqqzzz", "couldn't find")]
)
async def test_ask_without_an_answer_says_so(slack: SlackClient, question: str, says: str) -> None:
    reply = await slack.command(f"ask {question}", AE)
    assert says in reply.text and "<!here>" not in reply.body
