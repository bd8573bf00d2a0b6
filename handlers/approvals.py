"""The approval buttons every flow shares: Approve, Approve with override, Reject (with a reason)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import service
from bot.approvals.engine import Verdict
from bot.deps import Deps
from bot.handbook.results import Refused
from bot.replays import CONTEXT_KEY
from handlers.payloads import StepClick, Submitted, read, step_in_metadata, submitter
from handlers.replies import (
    NOT_RECORDED,
    TAMPERED,
    Reply,
    field_error,
    just_ack,
    nothing_changed,
    say,
    tell_beside,
)
from handlers.router import CommandRouter, is_lock_timeout

log = logging.getLogger("gtm_bot.edge")  # where the edge reports the replays it drops
REJECT_CALLBACK = "approval.reject_reason"
OVERRIDE_CALLBACK = "approval.override_reason"


# The reason modal a button opens: its callback id, title, label and submit button.
REJECT = dict(
    callback_id=REJECT_CALLBACK,
    title="Reject request",
    label="Why? The requester will read this.",
    submit="Reject",
)
OVERRIDE = dict(
    callback_id=OVERRIDE_CALLBACK,
    title="Approve with override",
    label="Override reason: why the rule should not apply here",
    submit="Approve",
)


@dataclass(frozen=True, slots=True)
class ReasonSubmission(Submitted):
    """A reject or override reason modal, submitted: the step it decides (None if tampered with)."""

    user_id: str = submitter()
    step: tuple[int, int] | None = step_in_metadata()
    reason: str = read(lambda source: source.text("reason").strip())


def outcome(deps: Deps, result: service.Decided | Refused) -> Reply:
    if isinstance(result, service.Decided):
        word = "approved" if result.verdict is Verdict.APPROVE else "rejected"
        text = f"You {word} request #{result.request.id}. It is now {result.request.status}."
        return say(deps, text, ":white_check_mark:")
    return nothing_changed(deps, result)


async def refuse_tampered(
    deps: Deps, click: StepClick, respond: AsyncRespond, replay_key: str | None = None
) -> None:
    value = click.click.value
    if await service.refuse_tampered(deps, actor=click.click.user_id, value=value, replay_key=replay_key):
        await tell_beside(respond, say(deps, f"Nothing changed: {TAMPERED}."))


async def approve(
    ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext, deps: Deps
) -> None:
    # The decision commits before Slack gets its 200; the ephemeral reply goes out after. The click's
    # replay key (left by the edge) commits with the decision: a replay of it is acked and does nothing.
    await ack()
    click = StepClick.parse(body)
    key = context.get(CONTEXT_KEY)
    if click.step is None:
        await refuse_tampered(deps, click, respond, key)
        return
    request_id, step_id = click.step
    result = await service.decide(
        deps,
        request_id=request_id,
        step_id=step_id,
        actor=click.click.user_id,
        verdict=Verdict.APPROVE,
        replay_key=key,
    )
    if result is None:
        log.warning("dropped a replayed click from %s", click.click.user_id)
        return
    if click.click.response_url:  # a card in App Home has none: the home view shows the outcome
        deps.spawn(tell_beside(respond, outcome(deps, result)))


async def open_reason_modal(
    deps: Deps, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, modal: dict[str, str]
) -> None:
    click = StepClick.parse(body)
    if click.step is None:
        await refuse_tampered(deps, click, respond)
        return
    request_id, step_id = click.step
    found = await service.decidable(deps, request_id=request_id, step_id=step_id, actor=click.click.user_id)
    if isinstance(found, Refused):
        await tell_beside(respond, outcome(deps, found))
        return
    view = deps.renderer.render(
        "approvals/reject_modal.json.j2",
        request_id=request_id,
        step_id=step_id,
        summary=found.summary,
        **modal,
    )
    await client.views_open(trigger_id=click.click.trigger_id, view=view)


async def reject(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps) -> None:
    await open_reason_modal(deps, body, client, respond, REJECT)


async def approve_override(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
) -> None:
    await open_reason_modal(deps, body, client, respond, OVERRIDE)


async def decide_with_reason(ack: AsyncAck, body: dict[str, Any], deps: Deps, verdict: Verdict) -> None:
    form = ReasonSubmission.parse(body)
    if len(form.reason) < 3:
        await field_error(ack, "reason", "Please write a reason (a sentence is best).")
        return
    if form.step is None:
        await field_error(ack, "reason", "This form was tampered with; nothing changed.")
        return
    kwargs = {"reason": form.reason} if verdict is Verdict.REJECT else {"override_reason": form.reason}
    try:
        result = await service.decide(
            deps, request_id=form.step[0], step_id=form.step[1], actor=form.user_id, verdict=verdict, **kwargs
        )
    except Exception as exc:
        if not is_lock_timeout(exc):
            raise
        await field_error(ack, "reason", NOT_RECORDED)
        return
    if isinstance(result, service.Decided) or result is None:
        await ack()
    else:
        await field_error(ack, "reason", f"Nothing changed: {result.reason}.")


async def reject_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    await decide_with_reason(ack, body, deps, Verdict.REJECT)


async def override_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    await decide_with_reason(ack, body, deps, Verdict.APPROVE)


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    app.action("approval.approve")(approve)
    app.action("approval.reject")(ack=just_ack, lazy=[reject])
    app.action("approval.approve_override")(ack=just_ack, lazy=[approve_override])
    app.view(REJECT_CALLBACK)(reject_submitted)
    app.view(OVERRIDE_CALLBACK)(override_submitted)
