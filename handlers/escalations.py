"""/gtm escalate and /gtm handoff, and the escalation card's Keep / Disagree / Reassign buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import service
from bot.deps import Deps
from bot.features import escalations
from bot.features.directory import lookups
from bot.handbook.results import Refused
from handlers.approvals import parse_ids
from handlers.router import CommandRouter, Invocation, Subcommand, field_value, just_ack

REASON_MODALS = {
    escalations.GLOBAL: (
        "Keep the account",
        "Keep it",
        "Your compelling, explicit reason to keep it global",
        "The rep and, if they disagree, both managers read this. A stock refusal is not enough.",
    ),
    escalations.REP: (
        "Disagree",
        "Take it to managers",
        "Why you disagree",
        "Both reps' managers decide; all must agree to transfer, else the CRO rules.",
    ),
    escalations.MANAGERS: (
        "Vote to keep",
        "Vote keep",
        "Why it should stay with the global owner",
        "If the managers disagree, the CRO rules.",
    ),
    escalations.CRO: ("Rule: keep", "Rule: keep", "Your ruling's reason", "Your ruling is final."),
    escalations.TIME_FRAME: (
        "Disagree on the date",
        "Disagree",
        "Why not this date?",
        "The global owner proposes another date or keeps the account.",
    ),
}


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _error(reason: str) -> str:
    return (reason[:1].upper() + reason[1:])[:150]


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.flows[escalations.KIND] = escalations.EscalationFlow()
    deps.jobs[escalations.APPLY_JOB] = escalations.apply_on_date
    render = deps.renderer

    def refused(reason: str) -> dict[str, Any]:
        return render.message(
            "approvals/outcome.json.j2", text=reason[:1].upper() + reason[1:] + ".", icon=":no_entry:"
        )

    async def account_for(inv: Invocation, text: str, respond: AsyncRespond) -> str | None:
        found = await lookups.account_for(deps, inv.user_id, text)
        if found.account is None:
            await respond(
                response_type="ephemeral",
                **render.message(
                    "ownership/not_found.json.j2", query=text or "(nothing)", candidates=found.candidates
                ),
            )
            return None
        return found.account.account_id

    async def open_escalate(inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
        account_id = await account_for(inv, inv.text, respond)
        if account_id is None:
            return
        form = await escalations.form(deps, user=inv.user_id, account_id=account_id, rep_id=inv.user_id)
        if isinstance(form, Refused):
            await respond(response_type="ephemeral", **refused(form.reason))
            return
        view = render.render(
            "escalations/request_modal.json.j2",
            account_id=form.account_id,
            account_name=form.account_name,
            global_owner=form.global_owner,
            named=form.named,
            considerations=escalations.considerations(),
            stand_alone=escalations.stand_alone_reasons(),
        )
        await client.views_open(trigger_id=inv.trigger_id, view=view)

    async def open_handoff(inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
        split = await lookups.mention_in(deps, inv.text)
        if split.handle and split.user_id is None:
            await respond(
                response_type="ephemeral",
                **refused(f"I don't know who @{split.handle} is; pick the rep from the list in the form"),
            )
        account_id = await account_for(inv, split.account, respond)
        if account_id is None:
            return
        rep_id = split.user_id or ""
        account = await lookups.account(deps, account_id)
        if rep_id:
            form = await escalations.form(deps, user=inv.user_id, account_id=account_id, rep_id=rep_id)
            if isinstance(form, Refused):
                await respond(response_type="ephemeral", **refused(form.reason))
                return
        assert account is not None
        view = render.render(
            "escalations/handoff_modal.json.j2",
            account_id=account_id,
            account_name=account.name,
            rep_id=rep_id,
            named=account.named,
        )
        await client.views_open(trigger_id=inv.trigger_id, view=view)

    async def request_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        picked = [o["value"] for o in (field_value(values, "considerations", "selected_options") or [])]
        stand_alone = (field_value(values, "stand_alone", "selected_option") or {}).get("value")
        result = await escalations.escalate(
            deps,
            rep_id=body["user"]["id"],
            account_id=str(view.get("private_metadata", ""))[:64],
            explanation=field_value(values, "explanation", "value") or "",
            picked=picked,
            stand_alone=stand_alone,
        )
        if isinstance(result, Refused):
            block = "considerations" if result.field == "considerations" else "explanation"
            await ack(response_action="errors", errors={block: _error(result.reason)})
            return
        await ack(response_action="update", view=sent(result))

    def sent(result: escalations.Opened) -> dict[str, Any]:
        return render.render(
            "escalations/sent.json.j2",
            request_id=result.request_id,
            applied=result.applied,
            waiting_on=result.waiting_on,
        )

    async def handoff_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        values = view["state"]["values"]
        rep = field_value(values, "rep", "selected_user")
        if not rep:
            await ack(response_action="errors", errors={"rep": "Pick the territory rep."})
            return
        result = await escalations.hand_off(
            deps,
            owner_id=body["user"]["id"],
            account_id=str(view.get("private_metadata", ""))[:64],
            rep_id=rep,
            explanation=field_value(values, "explanation", "value") or "",
            effective_on=_date(field_value(values, "date", "selected_date")),
        )
        if isinstance(result, Refused):
            block = result.field if result.field in ("date", "rep") else "explanation"
            await ack(response_action="errors", errors={block: _error(result.reason)})
            return
        await ack(response_action="update", view=sent(result))

    async def step_of(value: str, actor: str) -> tuple[int, int, str, str] | None:
        """The step a button names, if the clicker may act on it now; None for anything else."""
        ids = parse_ids(value)
        if ids is None:
            return None
        found = await service.decidable(deps, request_id=ids[0], step_id=ids[1], actor=actor)
        if isinstance(found, Refused):
            return None
        return found.request_id, found.step_id, found.step_name, found.summary

    async def tampered(respond: AsyncRespond) -> None:
        await respond(
            replace_original=False, response_type="ephemeral", **refused("that button isn't one I made")
        )

    async def reason_button(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        found = await step_of(str(body["actions"][0].get("value", "")), body["user"]["id"])
        if found is None or found[2] not in REASON_MODALS:
            await tampered(respond)
            return
        title, submit, label, hint = REASON_MODALS[found[2]]
        view = render.render(
            "escalations/reason_modal.json.j2",
            metadata=f"{found[0]}:{found[1]}",
            title=title,
            submit=submit,
            label=label,
            hint=hint,
            summary=found[3],
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def reassign_button(body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        found = await step_of(str(body["actions"][0].get("value", "")), body["user"]["id"])
        if found is None or found[2] != escalations.GLOBAL:
            await tampered(respond)
            return
        view = render.render(
            "escalations/date_modal.json.j2",
            metadata=f"{found[0]}:{found[1]}",
            summary=found[3],
            today=deps.clock().date().isoformat(),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def reason_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        ids = parse_ids(view.get("private_metadata", ""))
        if ids is None:
            await ack(
                response_action="errors", errors={"reason": "This form was tampered with; nothing changed."}
            )
            return
        result = await escalations.give_reason(
            deps,
            request_id=ids[0],
            step_id=ids[1],
            actor=body["user"]["id"],
            reason=field_value(view["state"]["values"], "reason", "value") or "",
        )
        if isinstance(result, Refused):
            await ack(response_action="errors", errors={"reason": _error(result.reason)})
            return
        await ack()

    async def date_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        ids = parse_ids(view.get("private_metadata", ""))
        if ids is None:
            await ack(
                response_action="errors", errors={"date": "This form was tampered with; nothing changed."}
            )
            return
        result = await escalations.propose_date(
            deps,
            request_id=ids[0],
            step_id=ids[1],
            actor=body["user"]["id"],
            effective_on=_date(field_value(view["state"]["values"], "date", "selected_date")),
        )
        if isinstance(result, Refused):
            await ack(response_action="errors", errors={"date": _error(result.reason)})
            return
        await ack()

    router.add(
        Subcommand(
            "escalate",
            "/gtm escalate ACCOUNT",
            "Ask the global owner for a child account in your territory; disputes go to managers",
            needs_text=True,
            lazy=open_escalate,
        )
    )
    router.add(
        Subcommand(
            "handoff",
            "/gtm handoff ACCOUNT @rep",
            "Global owners: hand a child account to a territory rep, with an explanation (rule 6)",
            needs_text=True,
            lazy=open_handoff,
        )
    )
    app.view("escalation.request")(request_submitted)
    app.view("escalation.handoff")(handoff_submitted)
    app.action("escalation.reason")(ack=just_ack, lazy=[reason_button])
    app.action("escalation.reassign")(ack=just_ack, lazy=[reassign_button])
    app.view("escalation.reason")(reason_submitted)
    app.view("escalation.date")(date_submitted)
