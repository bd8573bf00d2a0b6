"""/gtm sponsor ACCOUNT (Sales VPs) and /gtm sponsor list: the Executive Account Sponsorship Program."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.ownership import service as ownership
from bot.features.sponsorship import service as sponsorship
from bot.handbook.results import Refused
from handlers.payloads import AccountSubmission, text, user
from handlers.replies import Reply, answer_form, field_error, not_found, say, tell
from handlers.router import CommandRouter, Invocation, Subcommand, Verb

SUBMIT_CALLBACK = "sponsor.submit"


@dataclass(frozen=True, slots=True)
class Nomination(AccountSubmission):
    """The sponsorship modal, submitted."""

    sponsor: str | None = user("sponsor")
    why: str = text("why")


async def listing(deps: Deps, inv: Invocation) -> Reply:
    found = await sponsorship.listing(deps, inv.user_id)
    return deps.renderer.message(
        "sponsorship/list.json.j2", running=found.running, nominations=found.nominations, cap=found.cap
    )


async def account(deps: Deps, inv: Invocation) -> Reply | None:
    """An account: listed without one, else its modal opens after the ack."""
    return await listing(deps, inv) if not inv.text else None


async def open_modal(deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
    if not inv.text:
        return
    found = await sponsorship.may_open(deps, inv.user_id, inv.text)
    if isinstance(found, Refused):
        await tell(respond, say(deps, found.reason))
    elif isinstance(found, sponsorship.Full):
        await tell(
            respond,
            deps.renderer.message("sponsorship/full.json.j2", reason=found.reason, running=found.running),
        )
    elif isinstance(found, ownership.Found):
        await tell(respond, not_found(deps, inv.text, found.candidates))
    else:
        view = deps.renderer.render(
            "sponsorship/modal.json.j2",
            account_id=found.account_id,
            account_name=found.account_name,
            running=found.running,
            cap=sponsorship.program.max_accounts(),
        )
        await client.views_open(trigger_id=inv.trigger_id, view=view)


async def submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = Nomination.parse(body)
    if not form.sponsor:
        await field_error(ack, "sponsor", "Pick the executive sponsor.")
        return
    if len(form.why.strip()) < 3:
        await field_error(ack, "why", "Say why this account needs a sponsor.")
        return
    result = await sponsorship.nominate(
        deps, nominator_id=form.user_id, account_id=form.account_id, sponsor_id=form.sponsor, why=form.why
    )
    await answer_form(ack, result, inputs=("sponsor", "why"), done=partial(nominated, deps), limit=None)


async def nominated(deps: Deps, result: sponsorship.Nominated | sponsorship.Full) -> dict[str, Any]:
    """The modal turns into the nomination sent, or into "the program is full"."""
    if isinstance(result, sponsorship.Full):
        return deps.renderer.render(
            "sponsorship/full_modal.json.j2", reason=result.reason, running=result.running
        )
    return deps.renderer.render(
        "sponsorship/submitted.json.j2",
        request_id=result.request_id,
        sponsor=result.sponsor,
        account_name=result.account_name,
    )


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "sponsor",
            "/gtm sponsor ACCOUNT",
            "Nominate an account for an executive sponsor (Sales VPs), or list the sponsored accounts",
            answer=account,
            lazy=open_modal,
            verbs=(Verb("list", "list", answer=listing),),
        )
    )
    app.view(SUBMIT_CALLBACK)(submitted)
