"""/gtm escalate and /gtm handoff, and the escalation card's Keep / Disagree / Reassign buttons."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals import service
from bot.deps import Deps
from bot.features import escalations
from bot.features.directory import lookups
from bot.handbook.results import Refused
from handlers.payloads import (
    AccountSubmission,
    StepClick,
    Submitted,
    day,
    option,
    read,
    step_in_metadata,
    submitter,
    text,
    user,
)
from handlers.replies import (
    TAMPERED,
    answer_form,
    field_error,
    just_ack,
    not_found,
    refused,
    tell,
    tell_beside,
)
from handlers.router import CommandRouter, Invocation, Subcommand

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
TAMPERED_FORM = "This form was tampered with; nothing changed."


# ---- payloads ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EscalationSubmission(AccountSubmission):
    """`/gtm escalate`'s modal: the considerations picked and the rep's explanation."""

    explanation: str = text("explanation")
    picked: list[str] = read(lambda source: source.options("considerations"))
    stand_alone: str | None = option("stand_alone")


@dataclass(frozen=True, slots=True)
class HandoffSubmission(AccountSubmission):
    """`/gtm handoff`'s modal: the rep, the explanation and the date."""

    rep: str | None = user("rep")
    explanation: str = text("explanation")
    effective_on: date | None = day("date")


@dataclass(frozen=True, slots=True)
class StepSubmission(Submitted):
    """A reason or date modal opened from an escalation card: its step (None if tampered with)."""

    user_id: str = submitter()
    step: tuple[int, int] | None = step_in_metadata()
    reason: str = text("reason")
    effective_on: date | None = day("date")


# ---- /gtm escalate and /gtm handoff -------------------------------------------------------------------
async def account_for(deps: Deps, inv: Invocation, text: str, respond: AsyncRespond) -> str | None:
    found = await lookups.account_for(deps, inv.user_id, text)
    if found.account is None:
        await tell(respond, not_found(deps, text or "(nothing)", found.candidates))
        return None
    return found.account.account_id


async def open_escalate(deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
    account_id = await account_for(deps, inv, inv.text, respond)
    if account_id is None:
        return
    form = await escalations.form(deps, user=inv.user_id, account_id=account_id, rep_id=inv.user_id)
    if isinstance(form, Refused):
        await tell(respond, refused(deps, form.reason))
        return
    view = deps.renderer.render(
        "escalations/request_modal.json.j2",
        account_id=form.account_id,
        account_name=form.account_name,
        global_owner=form.global_owner,
        named=form.named,
        considerations=escalations.considerations(),
        stand_alone=escalations.stand_alone_reasons(),
    )
    await client.views_open(trigger_id=inv.trigger_id, view=view)


async def open_handoff(deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
    split = await lookups.mention_in(deps, inv.text)
    if split.handle and split.user_id is None:
        unknown = f"I don't know who @{split.handle} is; pick the rep from the list in the form"
        await tell(respond, refused(deps, unknown))
    account_id = await account_for(deps, inv, split.account, respond)
    if account_id is None:
        return
    rep_id = split.user_id or ""
    account = await lookups.account(deps, account_id)
    if rep_id:
        form = await escalations.form(deps, user=inv.user_id, account_id=account_id, rep_id=rep_id)
        if isinstance(form, Refused):
            await tell(respond, refused(deps, form.reason))
            return
    assert account is not None
    view = deps.renderer.render(
        "escalations/handoff_modal.json.j2",
        account_id=account_id,
        account_name=account.name,
        rep_id=rep_id,
        named=account.named,
    )
    await client.views_open(trigger_id=inv.trigger_id, view=view)


async def sent(deps: Deps, result: escalations.Opened) -> dict[str, Any]:
    return deps.renderer.render(
        "escalations/sent.json.j2",
        request_id=result.request_id,
        applied=result.applied,
        waiting_on=result.waiting_on,
    )


async def request_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = EscalationSubmission.parse(body)
    result = await escalations.escalate(
        deps,
        rep_id=form.user_id,
        account_id=form.account_id,
        explanation=form.explanation,
        picked=form.picked,
        stand_alone=form.stand_alone,
    )
    await answer_form(ack, result, inputs=("explanation", "considerations"), done=partial(sent, deps))


async def handoff_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = HandoffSubmission.parse(body)
    if not form.rep:
        await field_error(ack, "rep", "Pick the territory rep.")
        return
    result = await escalations.hand_off(
        deps,
        owner_id=form.user_id,
        account_id=form.account_id,
        rep_id=form.rep,
        explanation=form.explanation,
        effective_on=form.effective_on,
    )
    await answer_form(ack, result, inputs=("explanation", "date", "rep"), done=partial(sent, deps))


# ---- the card's buttons, and the modals they open -----------------------------------------------------
async def decidable_step(
    deps: Deps, click: StepClick, respond: AsyncRespond, step_names: Any
) -> service.Decidable | None:
    """The step a button names, if the clicker may act on it now and it is one of `step_names`."""
    found = None
    if click.step is not None:
        found = await service.decidable(
            deps, request_id=click.step[0], step_id=click.step[1], actor=click.click.user_id
        )
    if found is None or isinstance(found, Refused) or found.step_name not in step_names:
        await tell_beside(respond, refused(deps, TAMPERED))
        return None
    return found


async def reason_button(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
) -> None:
    click = StepClick.parse(body)
    found = await decidable_step(deps, click, respond, REASON_MODALS)
    if found is None:
        return
    title, submit, label, hint = REASON_MODALS[found.step_name]
    view = deps.renderer.render(
        "escalations/reason_modal.json.j2",
        metadata=f"{found.request_id}:{found.step_id}",
        title=title,
        submit=submit,
        label=label,
        hint=hint,
        summary=found.summary,
    )
    await client.views_open(trigger_id=click.click.trigger_id, view=view)


async def reassign_button(
    body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, deps: Deps
) -> None:
    click = StepClick.parse(body)
    found = await decidable_step(deps, click, respond, (escalations.GLOBAL,))
    if found is None:
        return
    view = deps.renderer.render(
        "escalations/date_modal.json.j2",
        metadata=f"{found.request_id}:{found.step_id}",
        summary=found.summary,
        today=deps.clock().date().isoformat(),
    )
    await client.views_open(trigger_id=click.click.trigger_id, view=view)


async def answer_step(
    ack: AsyncAck, form: StepSubmission, block: str, decide: Callable[..., Awaitable[Any]], **given: Any
) -> None:
    """A reason or date modal: a tampered one is refused, else `decide` answers under `block`."""
    if form.step is None:
        await field_error(ack, block, TAMPERED_FORM)
        return
    request_id, step_id = form.step
    result = await decide(request_id=request_id, step_id=step_id, actor=form.user_id, **given)
    await answer_form(ack, result, inputs=(block,))


async def reason_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = StepSubmission.parse(body)
    await answer_step(ack, form, "reason", partial(escalations.give_reason, deps), reason=form.reason)


async def date_submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = StepSubmission.parse(body)
    decide = partial(escalations.propose_date, deps)
    await answer_step(ack, form, "date", decide, effective_on=form.effective_on)


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
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
