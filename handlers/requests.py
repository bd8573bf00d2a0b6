"""/gtm requests (and a request's timeline), Cancel, and the App Home tab: the same lists for every kind."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import service
from bot.approvals.engine import Status, may_cancel
from bot.deps import Deps
from bot.features.home import service as home
from bot.handbook.results import Refused
from bot.inputs import parse_id
from handlers.payloads import Click
from handlers.replies import TAMPERED, Reply, just_ack, say, tell_beside
from handlers.router import CommandRouter, Invocation, Subcommand


async def requests(deps: Deps, inv: Invocation) -> Reply:
    text = inv.text.strip().lstrip("#")
    request_id = parse_id(text)
    if text and request_id is None:
        return say(deps, "Say which request by its number: /gtm requests 42.", ":mag:")
    if request_id is None:
        return deps.renderer.message(
            "approvals/overview.json.j2", overview=await service.overview(deps, inv.user_id)
        )
    found = await service.timeline(deps, request_id, inv.user_id)
    if isinstance(found, Refused):
        return say(deps, f"No request #{text} that you can see.", ":mag:")
    request, events = found
    can_cancel = bool(may_cancel(inv.user_id, requester=request.requester, status=Status(request.status)))
    return deps.renderer.message(
        "approvals/timeline.json.j2", request=request, events=events, can_cancel=can_cancel
    )


async def cancel(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, deps: Deps) -> None:
    await ack()
    click = Click.parse(body)
    request_id = parse_id(click.value)
    if request_id is None:
        result: Any = Refused(TAMPERED)
    else:
        result = await service.cancel(deps, request_id=request_id, actor=click.user_id)
    text = (
        f"Nothing changed: {result.reason}."
        if isinstance(result, Refused)
        else f"Request #{result.id} is cancelled; the approvers' cards say so."
    )
    if click.response_url:  # App Home's Cancel has none: the refreshed Home shows it
        deps.spawn(tell_beside(respond, say(deps, text, "")))


async def home_opened(event: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    if event.get("tab") != "home":  # the Messages tab opens too; it has nothing to publish
        return
    user = event.get("user", "")
    await client.views_publish(user_id=user, view=await home.opened(deps, user))


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "requests",
            "/gtm requests [ID]",
            "What waits on you, your requests, a request's timeline",
            answer=requests,
        )
    )
    app.action("approval.cancel")(cancel)
    # Slack retries an event that isn't answered in 3 seconds: answer first, publish after.
    app.event("app_home_opened")(ack=just_ack, lazy=[home_opened])
