"""The pooled Slack client's short path for plain JSON calls answers exactly as slack_sdk's own path does:
the same data, and the same SlackApiError (its error, HTTP status and Retry-After) that the outbox reads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.standin import signer
from bot.standin.web_api import Fault, SlackStandIn
from bot.web_client import PooledRespond, SharedSessionWebClient
from tests.conftest import serving
from tests.slack.client import SlackClient, visible_text


async def outcome(client: AsyncWebClient, method: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        response = await client.api_call(method, json=dict(payload))
    except SlackApiError as exc:
        answer = exc.response
        return {
            "raised": True,
            "status": answer.status_code,
            "error": answer.get("error"),
            "retry_after": answer.headers.get("Retry-After"),
        }
    data = {k: v for k, v in response.data.items() if k not in ("ts", "message")}  # ts differs per post
    return {"raised": False, "status": response.status_code, "data": data}


@pytest.mark.parametrize(
    ("method", "payload", "fault"),
    [
        ("chat.postMessage", {"channel": "U0AE1", "text": "hi"}, None),
        ("chat.postMessage", {"channel": "", "text": "no channel"}, None),  # ok: false, status 200
        ("chat.update", {"channel": "D0AE1", "ts": "1.000001", "text": "gone"}, None),
        ("chat.postMessage", {"channel": "U0AE1", "text": "x"}, Fault(status=500)),
        ("chat.postMessage", {"channel": "U0AE1", "text": "x"}, Fault(status=429, retry_after=7)),
        ("views.publish", {"user_id": "U0AE1", "view": {"type": "home", "blocks": []}}, None),
    ],
)
async def test_the_short_path_answers_as_slack_sdk_does(
    standin: SlackStandIn,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    payload: dict[str, Any],
    fault: Fault | None,
) -> None:
    base_url = standin.base_url + "api/"
    plain = AsyncWebClient(token="xoxb-test", base_url=base_url)
    if fault is not None:
        standin.fail_next(method, fault)
    expected = await outcome(plain, method, payload)
    pooled = SharedSessionWebClient(token="xoxb-test", base_url=base_url)

    async def generic(**_kwargs: Any) -> dict[str, Any]:
        raise AssertionError("a plain JSON call went through slack_sdk's generic request")

    monkeypatch.setattr(pooled, "_request", generic)
    if fault is not None:
        standin.fail_next(method, fault)
    try:
        assert await outcome(pooled, method, payload) == expected
    finally:
        await pooled.close()
    sent = standin.calls_to(method)[-1].args  # the same JSON body reached Slack (less the fault's mark)
    assert {k: v for k, v in sent.items() if k != "_fault"} == payload


@pytest.mark.usefixtures("directory")
async def test_listeners_call_slack_and_reply_over_the_pooled_connection(
    slack: SlackClient, standin: SlackStandIn, deps: Deps
) -> None:
    """Bolt's own `client` and `respond` open a connection per call (a TLS handshake against Slack: for a
    modal, inside its trigger's 3 s); ours reuse one. Show is a lazy listener (Bolt deep-copies its
    context after the ack), Share replies in the channel, and /glossary alone opens a modal."""
    await slack.command("sao", "U0AE1", command="/glossary")  # Bolt's auth.test, once
    standin.peers.clear()
    for word in ("sao", "iacv", "sao"):
        await slack.click("U0AE1", "glossary.show:1", word)
        await standin.wait_for("response_url", count=len(standin.responses) + 1)
    await slack.click("U0AE1", "glossary.share", "sao", channel_id="C0NOTMEMBER")
    posted = await standin.wait_for("response_url", count=4)
    assert [p.args["replace_original"] for p in posted] == [True, True, True, False]
    assert "*SAO*" in visible_text(posted[0].args) and "*IACV*" in visible_text(posted[1].args)
    await slack.command("", "U0AE1", command="/glossary")
    [opened] = await standin.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == "glossary.browse"
    assert len(standin.peers) == 1, standin.peers
    assert deps.client.sessions_opened == 1


async def test_a_request_carrying_a_workflow_token_leaves_the_process_client_alone(
    slack: SlackClient, standin: SlackStandIn, deps: Deps
) -> None:
    """Every request's context holds the process's one client (bot/app.py GtmApp). Bolt would set a custom
    workflow step's token (`bot_access_token` in the payload) on the request's client: on this one, the
    next call of every other request would go out with it."""
    payload = signer.block_action_payload(
        "U0AE1", "glossary.show:1", "sao", response_url=standin.response_url("U0AE1")
    )
    payload |= {"function_execution_id": "Fx0000000001", "bot_access_token": "xwfp-not-the-bot-token"}
    assert (await slack.post(*signer.interaction_body(payload))).status == 200
    [shown] = await standin.wait_for("response_url")
    assert "*SAO*" in visible_text(shown.args)
    assert deps.client.token == deps.settings.bot_token


async def test_the_request_context_holds_what_bolts_own_would_with_the_process_client(deps: Deps) -> None:
    """GtmApp._init_context stands in for Bolt's own (to skip a client per request); should an upgrade of
    slack-bolt (pinned <2) set more in a request's context, this fails instead of listeners missing it."""
    from slack_bolt.async_app import AsyncApp
    from slack_bolt.request.async_request import AsyncBoltRequest

    from bot.app import build_app

    app = build_app(deps)
    body, content_type = signer.command_body("/glossary", "SAO", "U0AE1")
    ours, bolts = (AsyncBoltRequest(body=body, headers={"content-type": content_type}) for _ in range(2))
    app._init_context(ours)
    AsyncApp._init_context(app, bolts)
    assert set(ours.context) == set(bolts.context)
    assert ours.context.client is deps.client and bolts.context.client is not deps.client
    assert ours.context.client.token == bolts.context.client.token == deps.settings.bot_token


async def test_a_reply_to_a_response_url_that_never_answers_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pooled reply ends at its own time-out, as Bolt's (a session made per reply) did."""
    hung = asyncio.Event()

    async def never(_request: web.Request) -> web.Response:
        hung.set()
        await asyncio.sleep(30)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/respond", never)
    async with serving(app) as url:
        client = SharedSessionWebClient(token="xoxb-test")
        monkeypatch.setattr(PooledRespond, "timeout", 0.3)
        started = asyncio.get_running_loop().time()
        try:
            with pytest.raises(TimeoutError):
                await PooledRespond(client, url + "respond")(text="hello", response_type="ephemeral")
        finally:
            await client.close()
        assert hung.is_set()
        assert asyncio.get_running_loop().time() - started < 10
