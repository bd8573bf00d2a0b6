"""/gtm holdover [OPPORTUNITY] and the extension request (Rules of Engagement 5)."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.directory import lookups
from bot.features.holdovers import service as holdovers
from bot.handbook.results import Refused
from bot.inputs import parse_id
from handlers.router import CommandRouter, Invocation, Reply, Subcommand, just_ack


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.flows[holdovers.KIND] = holdovers.ExtensionFlow()
    holdovers.register_jobs(deps)
    render = deps.renderer

    def refused(reason: str) -> Reply:
        return render.message(
            "approvals/outcome.json.j2", text=reason[:1].upper() + reason[1:] + ".", icon=":no_entry:"
        )

    async def holdover(inv: Invocation) -> Reply:
        if not inv.text:
            return render.message("holdovers/list.json.j2", listing=await holdovers.mine(deps, inv.user_id))
        found = await holdovers.detail(deps, inv.user_id, inv.text)
        if isinstance(found, Refused):
            return refused(found.reason)
        return render.message("holdovers/detail.json.j2", detail=found)

    async def extend_button(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        holdover_id = parse_id(str(body["actions"][0].get("value", "")))
        form: Any = (
            await holdovers.extension_form(deps, body["user"]["id"], holdover_id)
            if holdover_id is not None
            else Refused("that button isn't one I made")
        )
        if isinstance(form, Refused):
            await respond(replace_original=False, response_type="ephemeral", **refused(form.reason))
            return
        view = render.render("holdovers/extension_modal.json.j2", form=form)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def extension_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        holdover_id = parse_id(str(view.get("private_metadata", "")))
        picked = (values.get("close", {}).get("value", {}) or {}).get("selected_date")
        evidence = (values.get("evidence", {}).get("value", {}) or {}).get("value") or ""
        try:
            close = date.fromisoformat(picked) if picked else None
        except ValueError:
            close = None
        if holdover_id is None:
            await ack(response_action="errors", errors={"evidence": "This form was tampered with."})
            return
        result = await holdovers.request_extension(
            deps, user=body["user"]["id"], holdover_id=holdover_id, close_date=close, evidence=evidence
        )
        if isinstance(result, Refused):
            block = "evidence" if result.field == "evidence" else "close"
            text = result.reason[:1].upper() + result.reason[1:]
            await ack(response_action="errors", errors={block: text[:150]})
            return
        await ack(
            response_action="update",
            view=render.render(
                "holdovers/extension_sent.json.j2",
                request_id=result.request_id,
                new_owner=await lookups.name_of(deps, result.new_owner),
            ),
        )

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
