"""/gtm sponsor ACCOUNT (Sales VPs) and /gtm sponsor list: the Executive Account Sponsorship Program."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.ownership import service as ownership
from bot.features.sponsorship import service as sponsorship
from bot.handbook.results import Refused
from handlers.router import CommandRouter, Invocation, Reply, Subcommand

SUBMIT_CALLBACK = "sponsor.submit"


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.flows[sponsorship.KIND] = sponsorship.SponsorshipFlow()
    deps.jobs[sponsorship.REMIND_JOB] = sponsorship.remind_before_end
    deps.jobs[sponsorship.END_JOB] = sponsorship.end
    render = deps.renderer

    say = router.say

    async def answer(inv: Invocation) -> Reply | None:
        if inv.text.lower() in ("list", ""):
            found = await sponsorship.listing(deps, inv.user_id)
            return render.message(
                "sponsorship/list.json.j2",
                running=found.running,
                nominations=found.nominations,
                cap=found.cap,
            )
        return None

    async def open_modal(inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
        if inv.text.lower() in ("list", ""):
            return
        found = await sponsorship.may_open(deps, inv.user_id, inv.text)
        if isinstance(found, Refused):
            await respond(response_type="ephemeral", **say(found.reason))
        elif isinstance(found, sponsorship.Full):
            await respond(
                response_type="ephemeral",
                **render.message("sponsorship/full.json.j2", reason=found.reason, running=found.running),
            )
        elif isinstance(found, ownership.Found):
            await respond(
                response_type="ephemeral",
                **render.message("ownership/not_found.json.j2", query=inv.text, candidates=found.candidates),
            )
        else:
            view = render.render(
                "sponsorship/modal.json.j2",
                account_id=found.account_id,
                account_name=found.account_name,
                running=found.running,
                cap=sponsorship.program.max_accounts(),
            )
            await client.views_open(trigger_id=inv.trigger_id, view=view)

    async def submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        sponsor = ((values.get("sponsor") or {}).get("value") or {}).get("selected_user")
        why = str(((values.get("why") or {}).get("value") or {}).get("value") or "")
        if not sponsor:
            await ack(response_action="errors", errors={"sponsor": "Pick the executive sponsor."})
            return
        if len(why.strip()) < 3:
            await ack(response_action="errors", errors={"why": "Say why this account needs a sponsor."})
            return
        result = await sponsorship.nominate(
            deps,
            nominator_id=body["user"]["id"],
            account_id=str(view.get("private_metadata", ""))[:64],
            sponsor_id=sponsor,
            why=why,
        )
        if isinstance(result, sponsorship.Full):
            await ack(
                response_action="update",
                view=render.render(
                    "sponsorship/full_modal.json.j2", reason=result.reason, running=result.running
                ),
            )
        elif isinstance(result, Refused):
            block = "why" if result.field == "why" else "sponsor"
            await ack(response_action="errors", errors={block: result.reason[:1].upper() + result.reason[1:]})
        else:
            await ack(
                response_action="update",
                view=render.render(
                    "sponsorship/submitted.json.j2",
                    request_id=result.request_id,
                    sponsor_name=result.sponsor_name,
                    account_name=result.account_name,
                ),
            )

    router.add(
        Subcommand(
            "sponsor",
            "/gtm sponsor ACCOUNT|list",
            "Nominate an account for an executive sponsor (Sales VPs), or list the sponsored accounts",
            answer=answer,
            lazy=open_modal,
        )
    )
    app.view(SUBMIT_CALLBACK)(submitted)
