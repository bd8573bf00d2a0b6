"""/gtm sla [log ACCOUNT | done ID]: Contact Us and professional-service requests under their SLA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.directory import lookups
from bot.features.sla import service as sla
from handlers.payloads import AccountSubmission, Click, read, text
from handlers.replies import Reply, answer_form, by_number, not_found, say, tell, tell_beside
from handlers.router import CommandRouter, Invocation, Subcommand, Verb

SUBMIT_CALLBACK = "sla.submit"


@dataclass(frozen=True, slots=True)
class SlaSubmission(AccountSubmission):
    """The "log a request" modal, submitted."""

    kind: str = read(lambda source: str(source.option("kind") or ""))
    received_at: datetime | None = read(lambda source: source.time("received"))
    note: str = text("note")


async def done_reply(deps: Deps, user_id: str, text: str) -> Reply:
    usage = "say which request: /gtm sla done ID (the number in /gtm sla)."
    result = await by_number(deps, text, usage, lambda n: sla.close(deps, sla_id=n, actor=user_id))
    if isinstance(result, dict):
        return result
    return say(
        deps,
        f"Request #{result.id} for {result.account_name} is closed; no escalation goes out.",
        ":white_check_mark:",
    )


async def done(deps: Deps, inv: Invocation) -> Reply:
    return await done_reply(deps, inv.user_id, inv.text)


async def log_answer(deps: Deps, inv: Invocation) -> Reply | None:
    return None if inv.text else say(deps, "tell me which account: /gtm sla log ACCOUNT.")


async def open_log(deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
    if not inv.text:
        return
    looked_up = await lookups.account_and_owner(deps, inv.user_id, inv.text)
    found, owner = looked_up.found, looked_up.owner
    if found.account is None:
        await tell(respond, not_found(deps, inv.text, found.candidates))
        return
    if owner is None:
        await tell(respond, say(deps, f"{found.account.name} has no owner; ask Sales Ops."))
        return
    view = deps.renderer.render(
        "sla/modal.json.j2",
        account_id=found.account.account_id,
        account_name=found.account.name,
        owner_id=owner.slack_id,
        owner_name=owner.name,
        now_ts=int(deps.clock().timestamp()),
    )
    await client.views_open(trigger_id=inv.trigger_id, view=view)


async def open_requests(deps: Deps, inv: Invocation) -> Reply:
    if not inv.text:
        return deps.renderer.message("sla/list.json.j2", rows=await sla.open_requests(deps, inv.user_id))
    return say(deps, "try /gtm sla, /gtm sla log ACCOUNT or /gtm sla done ID.", ":information_source:")


async def submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = SlaSubmission.parse(body)
    result = await sla.log_request(
        deps,
        logger_id=form.user_id,
        account_id=form.account_id,
        kind=form.kind,
        received_at=form.received_at,
        note=form.note,
    )
    if isinstance(result, dict):
        await ack(response_action="errors", errors=result)
    else:
        await answer_form(ack, result, inputs=("kind",), done=partial(logged, deps), limit=None)


async def logged(deps: Deps, result: sla.Logged) -> dict[str, Any]:
    return deps.renderer.render(
        "sla/logged.json.j2",
        sla_id=result.sla_id,
        account_name=result.account_name,
        owner=result.owner,
        due=sla.when(result.due_at),
    )


async def done_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, deps: Deps) -> None:
    await ack()
    click = Click.parse(body)
    deps.spawn(tell_beside(respond, await done_reply(deps, click.user_id, click.value[:20])))


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "sla",
            "/gtm sla",
            "Contact Us and professional-service requests: log one, close it, list the open ones",
            answer=open_requests,
            verbs=(
                Verb("log", "log ACCOUNT", answer=log_answer, lazy=open_log),
                Verb("done", "done ID", answer=done),
            ),
        )
    )
    app.view(SUBMIT_CALLBACK)(submitted)
    app.action("sla.done")(done_button)
