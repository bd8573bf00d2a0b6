"""The playground's HTTP API end to end: the page's requests go through the bot's real signed endpoint, and
the bot's real features (owner card, claim modal, routed approvals, App Home) answer them."""

from __future__ import annotations

from typing import Any

from bot.standin.web_api import Call
from tests.playground.fixtures import PlaygroundServer
from tests.slack.client import visible_text

CHANNEL = "C0GENERAL1"
REP = "U0AE1"  # Ava Cole, AE US-East Mid-Market
OWNER = "U0AE2"  # Ben Ito, owns Hooli
RD_WEST = "U0RD2"  # Haydn Mack, approves overrides for US-West (Globex)


def timeline(state: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    return state["conversations"].get(channel, [])


def find(blocks: list[dict[str, Any]], action_id: str) -> tuple[int, int]:
    """(block index, element index) of the element with this action_id, as the page refers to it."""
    for i, block in enumerate(blocks):
        elements = block.get("elements", []) if block["type"] == "actions" else []
        elements = elements or [e for e in (block.get("accessory"), block.get("element")) if e]
        for j, element in enumerate(elements):
            if element.get("action_id") == action_id:
                return i, j
    raise AssertionError(f"no {action_id} in {blocks}")


async def command(pg: PlaygroundServer, user: str, text: str, name: str = "/gtm") -> dict[str, Any]:
    answer = await pg.post("command", {"user": user, "channel": CHANNEL, "command": name, "text": text})
    assert answer["status"] == 200, answer
    return answer


async def click(
    pg: PlaygroundServer, user: str, item: dict[str, Any], action_id: str, *, channel: str, **extra: Any
) -> dict[str, Any]:
    block, element = find(item["blocks"], action_id)
    surface = "ephemeral" if item.get("kind") == "ephemeral" else "message"
    body = {"user": user, "surface": surface, "channel": channel, "ts": item["ts"]}
    answer = await pg.post("action", {**body, "block": block, "element": element, **extra})
    assert answer["status"] == 200, answer
    return answer


async def owner_card(pg: PlaygroundServer, user: str, account: str) -> dict[str, Any]:
    await command(pg, user, f"owner {account}")
    return timeline(await pg.state(user), CHANNEL)[-1]


async def open_claim_modal(pg: PlaygroundServer, account: str = "Hooli") -> dict[str, Any]:
    """Ava's owner card, then its Request ownership button: the claim modal, open for her."""
    card = await owner_card(pg, REP, account)
    await click(pg, REP, card, "ownership.claim_button", channel=CHANNEL)
    await pg.standin.wait_for("views.open")
    modal = (await pg.state(REP))["modal"]
    assert modal is not None and modal["callback_id"] == "ownership.claim"
    return modal


def claim_state(modal: dict[str, Any], new_owner: str | None, reason: str) -> dict[str, Any]:
    """The page's raw state for the claim modal: {block index: value} for its input blocks."""
    index = {b.get("block_id"): i for i, b in enumerate(modal["blocks"])}
    return {str(index["new_owner"]): new_owner, str(index["reason"]): reason}


async def dm(pg: PlaygroundServer, user: str, containing: str) -> dict[str, Any]:
    await pg.standin.wait_for(
        "chat.postMessage", lambda c: c.args["channel"] == user and containing in visible_text(c.args)
    )
    state = await pg.state(user)
    return next(m for m in reversed(timeline(state, state["dm"])) if containing in visible_text(m))


async def test_the_page_and_its_scripts_are_served(playground_server: PlaygroundServer) -> None:
    for path in ("/", "/playground/static/app.js", "/playground/static/blockkit.js"):
        async with playground_server.session.get(playground_server.origin + path) as r:
            assert r.status == 200
            assert len(await r.text()) > 500


async def test_state_lists_the_sample_org_and_the_channels(playground_server: PlaygroundServer) -> None:
    state = await playground_server.state(REP)
    people = {p["id"]: p for p in state["people"]}
    assert people["U0RD1"] == {"id": "U0RD1", "name": "Dana Reyes", "role": "RD", "region": "US-East"}
    assert len(people) == 18
    assert {"id": CHANNEL, "name": "general"} in state["channels"]
    assert state["dm"] == "D0AE1"
    assert state["modal"] is None
    assert state["home"] is None


async def test_a_slash_command_answers_privately_to_the_person_who_typed_it(
    playground_server: PlaygroundServer,
) -> None:
    answer = await command(playground_server, REP, "help")
    assert answer["answer"]["response_type"] == "ephemeral"
    assert "/gtm help" in visible_text(answer["answer"])
    mine = timeline(await playground_server.state(REP), CHANNEL)
    assert [m["kind"] for m in mine] == ["ephemeral"]
    assert mine[0]["command"] == "/gtm help"
    assert "Here is what I can do" in visible_text(mine[0]["blocks"])
    assert timeline(await playground_server.state(RD_WEST), CHANNEL) == []


async def test_glossary_answers_the_person_who_asked(playground_server: PlaygroundServer) -> None:
    await command(playground_server, REP, "SAO", name="/glossary")
    answer = timeline(await playground_server.state(REP), CHANNEL)[-1]
    assert answer["command"] == "/glossary SAO"
    assert "Sales Accepted Opportunity" in visible_text(answer["blocks"])


async def test_a_command_the_bot_does_not_have_is_refused_without_reaching_it(
    playground_server: PlaygroundServer,
) -> None:
    answer = await playground_server.post("command", {"user": REP, "command": "/remind", "text": "me"})
    assert answer["status"] == 404
    assert playground_server.standin.calls == []


async def test_a_request_without_a_user_is_a_400(playground_server: PlaygroundServer) -> None:
    await playground_server.post("command", {"command": "/gtm", "text": "help"}, status=400)


async def test_the_owner_cards_button_opens_the_claim_modal_for_the_clicker_only(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    card = await owner_card(pg, REP, "Hooli")
    assert card["kind"] == "ephemeral"
    assert f"*Owner:* <@{OWNER}>" in visible_text(card["blocks"])
    assert timeline(await pg.state(OWNER), CHANNEL) == []

    modal = await open_claim_modal(pg)
    assert modal["private_metadata"] == "A-HOOLI"
    assert modal["errors"] == {}
    assert "The current owner, Ben Ito, decides" in visible_text(modal["blocks"])
    assert (await pg.state(OWNER))["modal"] is None


async def test_picking_another_new_owner_updates_the_open_modal_with_their_rules(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    await command(pg, REP, "claim Globex Corporation")  # the subcommand opens the same modal
    await pg.standin.wait_for("views.open")
    modal = (await pg.state(REP))["modal"]
    assert "Ava Cole works Mid-Market" in visible_text(modal["blocks"])
    block = next(i for i, b in enumerate(modal["blocks"]) if b.get("block_id") == "new_owner")
    assert modal["blocks"][block]["dispatch_action"] is True

    answer = await pg.post(
        "action",
        {
            "user": REP,
            "surface": "view",
            "view_id": modal["id"],
            "block": block,
            "element": 0,
            "value": "U0SAL1",
            "state": claim_state(modal, "U0SAL1", "typed so far"),
        },
    )
    assert answer["status"] == 200
    update = (await pg.standin.wait_for("views.update"))[0]
    assert update.args["external_id"] == modal["external_id"]  # the modal opened for this user
    updated = (await pg.state(REP))["modal"]
    assert updated["id"] == modal["id"]
    assert updated["blocks"][block]["element"]["initial_user"] == "U0SAL1"
    assert "Sally Park works Large" in visible_text(updated["blocks"])


async def test_a_claim_without_a_new_owner_stays_open_with_an_inline_error(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    modal = await open_claim_modal(pg)
    answer = await pg.post(
        "submit", {"user": REP, "view_id": modal["id"], "state": claim_state(modal, None, "mine")}
    )
    assert answer["answer"]["response_action"] == "errors"
    shown = (await pg.state(REP))["modal"]
    assert shown["id"] == modal["id"]
    assert shown["errors"] == {"new_owner": "Pick the new owner."}


async def test_a_claim_routed_to_an_rd_is_approved_with_an_override_from_the_dm(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    modal = await open_claim_modal(pg, "Globex Corporation")
    answer = await pg.post(
        "submit", {"user": REP, "view_id": modal["id"], "state": claim_state(modal, REP, "Met their CIO")}
    )
    assert answer["answer"]["response_action"] == "update"
    sent = (await pg.state(REP))["modal"]
    assert sent["id"] == modal["id"]
    assert sent["title"]["text"] == "Request sent"
    assert "waiting on <@U0RD2>" in visible_text(sent["blocks"])
    await pg.post("close", {"user": REP, "view_id": sent["id"]})

    card = await dm(pg, RD_WEST, "Ava Cole to own Globex Corporation")
    assert "Rules broken" in visible_text(card["blocks"])
    haydn = await pg.state(RD_WEST)
    await click(pg, RD_WEST, card, "approval.approve_override", channel=haydn["dm"])
    await pg.standin.wait_for(
        "views.open", lambda c: c.args["view"]["callback_id"] == "approval.override_reason"
    )
    reason = (await pg.state(RD_WEST))["modal"]
    assert reason["title"]["text"] == "Approve with override"

    empty = await pg.post("submit", {"user": RD_WEST, "view_id": reason["id"], "state": {"1": ""}})
    assert empty["answer"]["response_action"] == "errors"
    assert (await pg.state(RD_WEST))["modal"]["errors"] == {
        "reason": "Please write a reason (a sentence is best)."
    }
    done = await pg.post(
        "submit",
        {"user": RD_WEST, "view_id": reason["id"], "state": {"1": "Exec relationship, agreed with Wen"}},
    )
    assert done == {"status": 200, "answer": {}}
    assert (await pg.state(RD_WEST))["modal"] is None

    await pg.standin.wait_for("chat.update", lambda c: c.args["channel"] == haydn["dm"])
    decided = timeline(await pg.state(RD_WEST), haydn["dm"])
    assert [m["ts"] for m in decided] == [card["ts"]]  # the card itself changed
    assert "approved" in visible_text(decided[0]["blocks"])
    assert not [b for b in decided[0]["blocks"] if b["type"] == "actions"]
    told = await dm(pg, REP, "moved from")
    assert "moved from <@U0SAL3> to *<@U0AE1>*" in visible_text(told["blocks"])
    assert f"*Owner:* <@{REP}>" in visible_text((await owner_card(pg, REP, "Globex Corporation"))["blocks"])


async def test_the_requester_cancels_from_the_dm_and_the_owners_card_says_so(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    modal = await open_claim_modal(pg, "Hooli")
    await pg.post("submit", {"user": REP, "view_id": modal["id"], "state": claim_state(modal, REP, "")})
    note = await dm(pg, REP, f"Waiting on <@{OWNER}>")
    cancel = note["blocks"][find(note["blocks"], "approval.cancel")[0]]["elements"][0]
    assert cancel["confirm"]["title"]["text"] == "Cancel this request?"  # the page asks before it sends

    await click(pg, REP, note, "approval.cancel", channel="D0AE1")
    await pg.standin.wait_for("chat.update", lambda c: c.args["channel"] == "D0AE2")
    ben = await pg.state(OWNER)
    assert "cancelled" in visible_text(timeline(ben, ben["dm"])[-1]["blocks"])
    await pg.standin.wait_for("response_url", lambda c: "is cancelled" in visible_text(c.args))
    assert "is cancelled" in visible_text(timeline(await pg.state(REP), "D0AE1")[-1]["blocks"])


async def test_cancel_closes_the_modal(playground_server: PlaygroundServer) -> None:
    modal = await open_claim_modal(playground_server)
    await playground_server.post("close", {"user": REP, "view_id": modal["id"]})
    assert (await playground_server.state(REP))["modal"] is None


async def test_submitting_someone_elses_modal_is_a_404(playground_server: PlaygroundServer) -> None:
    modal = await open_claim_modal(playground_server)
    await playground_server.post("submit", {"user": OWNER, "view_id": modal["id"], "state": {}}, status=404)


async def test_clicking_an_element_that_is_not_there_is_a_404(playground_server: PlaygroundServer) -> None:
    card = await owner_card(playground_server, REP, "Hooli")
    body = {
        "user": REP,
        "surface": "ephemeral",
        "channel": CHANNEL,
        "ts": card["ts"],
        "block": 0,
        "element": 0,
    }
    await playground_server.post("action", body, status=404)  # a section without an accessory
    button = find(card["blocks"], "ownership.claim_button")[0]
    await playground_server.post("action", {**body, "ts": "9.9", "block": button}, status=404)
    await playground_server.post("action", {**body, "user": OWNER, "block": button}, status=404)


async def test_the_home_tab_shows_what_waits_on_each_person(playground_server: PlaygroundServer) -> None:
    pg = playground_server
    modal = await open_claim_modal(pg, "Globex Corporation")
    await pg.post("submit", {"user": REP, "view_id": modal["id"], "state": claim_state(modal, REP, "CIO")})
    await dm(pg, RD_WEST, "Ava Cole to own Globex Corporation")

    for user, expected in ((RD_WEST, "Waiting on you (1)"), (REP, "Ava Cole to own Globex Corporation")):
        # Home refreshes the claim queued for other people may land meanwhile: wait for this person's own.
        def for_user(call: Call, user: str = user) -> bool:
            return call.args.get("user_id") == user

        before = len([c for c in pg.standin.calls_to("views.publish") if for_user(c)])
        answer = await pg.post("home", {"user": user})
        assert answer["status"] == 200
        await pg.standin.wait_for("views.publish", for_user, count=before + 1)
        home = (await pg.state(user))["home"]
        assert home["blocks"][0]["text"]["text"] == "Go-to-market inbox"
        assert expected in visible_text(home["blocks"])
    assert (await pg.state(OWNER))["home"] is None


async def test_response_url_posts_show_as_private_or_channel_messages(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    for body in ({"text": "just you"}, {"text": "everyone", "response_type": "in_channel"}):
        async with pg.session.post(pg.standin.response_url(f"{REP}~{CHANNEL}"), json=body) as r:
            assert r.status == 200
    mine = timeline(await pg.state(REP), CHANNEL)
    assert [(m["kind"], m["text"]) for m in mine] == [("ephemeral", "just you"), ("message", "everyone")]
    assert [m["text"] for m in timeline(await pg.state(RD_WEST), CHANNEL)] == ["everyone"]
