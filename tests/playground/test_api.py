"""The playground's HTTP API end to end: the page's requests go through the bot's real signed endpoint."""

from __future__ import annotations

from typing import Any

from tests.playground.demo import CHANNEL, RD
from tests.playground.fixtures import PlaygroundServer
from tests.slack.client import visible_text

REP = "U0AE1"


def timeline(state: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    return state["conversations"].get(channel, [])


async def open_request_modal(pg: PlaygroundServer, user: str = REP) -> dict[str, Any]:
    ts = await pg.post_card()
    answer = await pg.post(
        "action", {"user": user, "surface": "message", "channel": CHANNEL, "ts": ts, "block": 3, "element": 0}
    )
    assert answer["status"] == 200
    await pg.standin.wait_for("views.open")
    modal = (await pg.state(user))["modal"]
    assert modal is not None
    return modal


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
    answer = await playground_server.post(
        "command", {"user": REP, "channel": CHANNEL, "command": "/gtm", "text": "help"}
    )
    assert answer["status"] == 200
    assert answer["answer"]["response_type"] == "ephemeral"
    assert "/gtm help" in visible_text(answer["answer"])
    mine = timeline(await playground_server.state(REP), CHANNEL)
    assert [m["kind"] for m in mine] == ["ephemeral"]
    assert mine[0]["command"] == "/gtm help"
    assert "Here is what I can do" in visible_text(mine[0]["blocks"])
    assert timeline(await playground_server.state(RD), CHANNEL) == []


async def test_a_command_the_bot_does_not_have_is_refused_without_reaching_it(
    playground_server: PlaygroundServer,
) -> None:
    answer = await playground_server.post("command", {"user": REP, "command": "/remind", "text": "me"})
    assert answer["status"] == 404
    assert playground_server.standin.calls == []


async def test_a_request_without_a_user_is_a_400(playground_server: PlaygroundServer) -> None:
    await playground_server.post("command", {"command": "/gtm", "text": "help"}, status=400)


async def test_a_click_opens_the_modal_for_the_clicker_only(playground_server: PlaygroundServer) -> None:
    modal = await open_request_modal(playground_server)
    assert modal["title"]["text"] == "Request ownership"
    assert modal["errors"] == {}
    assert modal["private_metadata"].startswith(CHANNEL + "|")
    assert (await playground_server.state(RD))["modal"] is None


async def test_a_rejected_submission_keeps_the_modal_open_with_inline_errors(
    playground_server: PlaygroundServer,
) -> None:
    modal = await open_request_modal(playground_server)
    answer = await playground_server.post(
        "submit", {"user": REP, "view_id": modal["id"], "state": {"0": "Acme", "1": None}}
    )
    assert answer["answer"]["response_action"] == "errors"
    shown = (await playground_server.state(REP))["modal"]
    assert shown["id"] == modal["id"]
    assert shown["errors"] == {
        "account": "Pick an account the directory knows, e.g. Initech",
        "why": "Say why",
    }


async def test_the_claim_flow_an_rd_approves_from_the_dm_and_the_card_changes(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    modal = await open_request_modal(pg)
    answer = await pg.post(
        "submit", {"user": REP, "view_id": modal["id"], "state": {"0": "Initech", "1": "named"}}
    )
    assert answer == {"status": 200, "answer": {}}
    assert (await pg.state(REP))["modal"] is None

    await pg.standin.wait_for("chat.postMessage", lambda c: c.args["channel"] == RD)
    dana = await pg.state(RD)
    dm = timeline(dana, dana["dm"])
    assert "asks to own *Initech*" in visible_text(dm[-1]["blocks"])

    clicked = await pg.post(
        "action",
        {
            "user": RD,
            "surface": "message",
            "channel": dana["dm"],
            "ts": dm[-1]["ts"],
            "block": 1,
            "element": 0,
        },
    )
    assert clicked["status"] == 200
    await pg.standin.wait_for("chat.update")
    await pg.standin.wait_for("response_url")

    card = timeline(await pg.state(REP), CHANNEL)[-1]
    assert card["blocks"][1]["fields"][1]["text"] == f"<@{REP}>"
    dm_after = timeline(await pg.state(RD), dana["dm"])
    assert dm_after[-1]["text"] == f"Approved: <@{REP}> now owns Initech"
    assert dm_after[-1]["blocks"] == []
    assert len(dm_after) == len(dm)


async def test_cancel_closes_the_modal(playground_server: PlaygroundServer) -> None:
    modal = await open_request_modal(playground_server)
    await playground_server.post("close", {"user": REP, "view_id": modal["id"]})
    assert (await playground_server.state(REP))["modal"] is None


async def test_submitting_someone_elses_modal_is_a_404(playground_server: PlaygroundServer) -> None:
    modal = await open_request_modal(playground_server)
    await playground_server.post("submit", {"user": RD, "view_id": modal["id"], "state": {}}, status=404)


async def test_clicking_an_element_that_is_not_there_is_a_404(playground_server: PlaygroundServer) -> None:
    ts = await playground_server.post_card()
    body = {"user": REP, "surface": "message", "channel": CHANNEL, "ts": ts, "block": 0, "element": 0}
    await playground_server.post("action", body, status=404)
    await playground_server.post("action", {**body, "ts": "9.9", "block": 3}, status=404)


async def test_opening_the_home_tab_sends_app_home_opened_and_shows_the_published_view(
    playground_server: PlaygroundServer,
) -> None:
    answer = await playground_server.post("home", {"user": REP})
    assert answer["status"] == 200
    await playground_server.standin.wait_for("views.publish")
    home = (await playground_server.state(REP))["home"]
    assert home["blocks"][0]["text"]["text"] == "Go-to-market requests"
    assert (await playground_server.state(RD))["home"] is None


async def test_response_url_posts_show_as_private_or_channel_messages(
    playground_server: PlaygroundServer,
) -> None:
    pg = playground_server
    for body in ({"text": "just you"}, {"text": "everyone", "response_type": "in_channel"}):
        async with pg.session.post(pg.standin.response_url(f"{REP}~{CHANNEL}"), json=body) as r:
            assert r.status == 200
    mine = timeline(await pg.state(REP), CHANNEL)
    assert [(m["kind"], m["text"]) for m in mine] == [("ephemeral", "just you"), ("message", "everyone")]
    assert [m["text"] for m in timeline(await pg.state(RD), CHANNEL)] == ["everyone"]
