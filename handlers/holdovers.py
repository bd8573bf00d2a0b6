"""/gtm holdover [OPPORTUNITY] and the extension request (Rules of Engagement 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.directory import lookups
from bot.features.holdovers import service as holdovers
from bot.handbook.results import Refused
from bot.inputs import parse_id
from handlers.payloads import Click, Submitted, day, read, submitter, text
from handlers.replies import TAMPERED, Reply, answer_form, field_error, just_ack, refused, tell_beside
from handlers.router import CommandRouter, Invocation, Subcommand


@dataclass(frozen=True, slots=True)
class ExtensionSubmission(Submitted):
    """The extension modal, submitted: its holdover (None if tampered with), the new date, the evidence."""

    user_id: str = submitter()
    holdover_id: int | None = read(lambda source: parse_id(source.metadata))
    close_date: date | None = day("close")
    evidence: str = text("evidence")


async def holdover(deps: Deps, inv: Invocation) -> Reply:
    if not inv.text:
        return deps.renderer.message(
            "holdovers/list.json.j2", listing=await holdovers.mine(deps, inv.user_id)
        )
    found = await holdovers.detail(deps, inv.user_id, inv.text)
    if isinstance(found, Refused):
        return refused(deps, found.reason)
    return deps.renderer.message("holdovers/detail.json.j2", detail=found)


async def extend_button(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
) -> None:
    click = Click.parse(body)
    holdover_id = parse_id(click.value)
    form: Any = (
        await holdovers.extension_form(deps, click.user_id, holdover_id)
        if holdover_id is not None
        else Refused(TAMPERED)
    )
    if isinstance(form, Refused):
        await tell_beside(respond, refused(deps, form.reason))
        return
    view = deps.renderer.render("holdovers/extension_modal.json.j2", form=form)
    await client.views_open(trigger_id=click.trigger_id, view=view)


async def extension_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = ExtensionSubmission.parse(body)
    if form.holdover_id is None:
        await field_error(ack, "evidence", "This form was tampered with.")
        return
    result = await holdovers.request_extension(
        deps,
        user=form.user_id,
        holdover_id=form.holdover_id,
        close_date=form.close_date,
        evidence=form.evidence,
    )
    await answer_form(ack, result, inputs=("close", "evidence"), done=partial(extension_sent, deps))


async def extension_sent(deps: Deps, result: holdovers.ExtensionAsked) -> dict[str, Any]:
    [new_owner] = await lookups.shown(deps, [result.new_owner])
    return deps.renderer.render(
        "holdovers/extension_sent.json.j2", request_id=result.request_id, new_owner=new_owner
    )


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "holdover",
            "/gtm holdover [OPPORTUNITY]",
            "Open deals kept by their original owner after an account moved; ask for an extension",
            answer=holdover,
            aliases=("holdovers",),
        )
    )
    app.action("holdover.extend")(ack=just_ack, lazy=[extend_button])
    app.view("holdover.extension")(extension_submitted)
