"""/gtm sla [log ACCOUNT | done ID]: Contact Us and professional-service requests under their SLA."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.directory import lookups
from bot.features.sla import service as sla
from bot.handbook.results import Refused
from bot.inputs import parse_id
from handlers.router import CommandRouter, Invocation, Reply, Subcommand

SUBMIT_CALLBACK = "sla.submit"


def _received(values: dict[str, Any]) -> datetime | None:
    picked = ((values.get("received") or {}).get("value") or {}).get("selected_date_time")
    try:
        return datetime.fromtimestamp(int(picked), UTC) if picked is not None else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.jobs[sla.REMIND_JOB] = sla.remind
    deps.jobs[sla.ESCALATE_JOB] = sla.escalate
    render = deps.renderer

    say = router.say

    async def done_reply(user_id: str, text: str) -> Reply:
        sla_id = parse_id(text)
        if sla_id is None:
            return say("say which request: /gtm sla done ID (the number in /gtm sla).")
        result = await sla.close(deps, sla_id=sla_id, actor=user_id)
        if isinstance(result, Refused):
            return say(f"Nothing changed: {result.reason}.")
        return say(
            f"Request #{result.id} for {result.account_name} is closed; no escalation goes out.",
            ":white_check_mark:",
        )

    async def answer(inv: Invocation) -> Reply | None:
        verb, _, rest = inv.text.partition(" ")
        verb = verb.lower()
        if verb == "done":
            return await done_reply(inv.user_id, rest)
        if verb == "log":
            return None if rest.strip() else say("tell me which account: /gtm sla log ACCOUNT.")
        if not inv.text:
            return render.message("sla/list.json.j2", rows=await sla.open_requests(deps, inv.user_id))
        return say("try /gtm sla, /gtm sla log ACCOUNT or /gtm sla done ID.", ":information_source:")

    async def open_modal(inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
        verb, _, rest = inv.text.partition(" ")
        if verb.lower() != "log" or not rest.strip():
            return
        looked_up = await lookups.account_and_owner(deps, inv.user_id, rest)
        found, owner = looked_up.found, looked_up.owner
        if found.account is None:
            await respond(
                response_type="ephemeral",
                **render.message("ownership/not_found.json.j2", query=rest, candidates=found.candidates),
            )
            return
        if owner is None:
            await respond(
                response_type="ephemeral", **say(f"{found.account.name} has no owner; ask Sales Ops.")
            )
            return
        view = render.render(
            "sla/modal.json.j2",
            account_id=found.account.account_id,
            account_name=found.account.name,
            owner_name=owner.name,
            now_ts=int(deps.clock().timestamp()),
        )
        await client.views_open(trigger_id=inv.trigger_id, view=view)

    async def submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        kind = ((values.get("kind") or {}).get("value") or {}).get("selected_option") or {}
        note = str(((values.get("note") or {}).get("value") or {}).get("value") or "")
        result = await sla.log_request(
            deps,
            logger_id=body["user"]["id"],
            account_id=str(view.get("private_metadata", ""))[:64],
            kind=str(kind.get("value") or ""),
            received_at=_received(values),
            note=note,
        )
        if isinstance(result, dict):
            await ack(response_action="errors", errors=result)
        elif isinstance(result, Refused):
            await ack(
                response_action="errors", errors={"kind": result.reason[:1].upper() + result.reason[1:]}
            )
        else:
            await ack(
                response_action="update",
                view=render.render(
                    "sla/logged.json.j2",
                    sla_id=result.sla_id,
                    account_name=result.account_name,
                    owner_name=result.owner_name,
                    due=sla.when(result.due_at),
                ),
            )

    async def done_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        reply = await done_reply(body["user"]["id"], str(body["actions"][0].get("value", ""))[:20])
        deps.spawn(respond(replace_original=False, response_type="ephemeral", **reply))

    router.add(
        Subcommand(
            "sla",
            "/gtm sla [log ACCOUNT | done ID]",
            "Contact Us and professional-service requests: log one, close it, list the open ones",
            answer=answer,
            lazy=open_modal,
        )
    )
    app.view(SUBMIT_CALLBACK)(submitted)
    app.action("sla.done")(done_button)
