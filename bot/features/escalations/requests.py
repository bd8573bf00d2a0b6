"""Use-cases that open or move an escalation: escalate, hand off, give a reason, propose a date."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.approvals import service
from bot.approvals.engine import StepSpec, StepState, Verdict
from bot.features.usecase import reading, transaction
from bot.handbook import escalation as chain
from bot.handbook.results import Refused
from bot.render import someone

if TYPE_CHECKING:
    from bot.deps import Deps

from bot.features.escalations.common import (
    GLOBAL,
    MAX_TEXT,
    Opened,
    Parties,
    _agree_on_date,
    _context,
    parties,
)
from bot.features.escalations.payload import EscalationPayload
from bot.features.escalations.steps import _announce, _settle


@dataclass(frozen=True, slots=True)
class EscalationForm:
    account_id: str
    account_name: str
    global_owner: str | dict[str, str]  # `someone` (bot/render.py): a mention, or a name
    rep_id: str
    rep_name: str
    named: bool


async def form(deps: Deps, *, user: str, account_id: str, rep_id: str) -> EscalationForm | Refused:
    async with reading(deps, user) as ctx:
        found = await parties(ctx, account_id, rep_id, await ctx.directory.person(user))
    if isinstance(found, Refused):
        return found
    return EscalationForm(
        found.account_id,
        found.account_name,
        someone(found.global_owner.slack_id, found.global_owner.name),
        found.rep.slack_id,
        found.rep.name,
        found.named,
    )


async def escalate(
    deps: Deps,
    *,
    rep_id: str,
    account_id: str,
    explanation: str,
    picked: list[str],
    stand_alone: str | None,
) -> Opened | Refused:
    """Rule 7: the territory rep asks the global owner for a child account, with rule 13's considerations."""

    async def ask(ctx: service.Context, found: Parties, explanation: str) -> Opened | Refused:
        if await ctx.repo.in_flight_for_account(account_id):
            return _in_flight(found.account_name)
        p = found.payload(
            origin="request",
            explanation=explanation,
            considerations=sorted(picked),
            stand_alone=stand_alone or None,
        )
        event = chain.RequestReassignment(rep_id, explanation, frozenset(picked), stand_alone or None)
        moved = chain.advance(None, event, await _context(ctx, p))
        if isinstance(moved, Refused):
            return moved
        p.state = moved.new_state.value
        summary = f"{found.rep.name} asks {found.global_owner.name} for {found.account_name}"
        request = await p.open(ctx, summary, StepSpec(GLOBAL, (found.global_owner.slack_id,)))
        await _announce(
            ctx,
            request,
            "requested",
            [
                p.person(rep_id, found.rep.name),
                " asked ",
                p.person(found.global_owner.slack_id, "the global owner"),
                f" to reassign {found.account_name}",
            ],
            f"Explanation: {explanation}",
            [rep_id],
            skip_actor=False,
        )
        return Opened(request.id, False, [someone(found.global_owner.slack_id, found.global_owner.name)])

    return await _open(deps, rep_id, account_id, rep_id, explanation, ask)


# ---- the global owner hands it off (rule 6) -----------------------------------------------------------
async def hand_off(
    deps: Deps,
    *,
    owner_id: str,
    account_id: str,
    rep_id: str,
    explanation: str,
    effective_on: date | None,
) -> Opened | Refused:
    """Rule 6: the global owner reassigns a child account; a named one needs the time frame agreed."""

    async def hand(ctx: service.Context, found: Parties, explanation: str) -> Opened | Refused:
        if found.global_owner.slack_id != owner_id:
            return Refused(f"only the global account owner, {found.global_owner.name}, can hand it off")
        if effective_on is not None and effective_on < ctx.now.date():
            return Refused("the transfer date is in the past", field="date")
        if await ctx.repo.in_flight_for_account(account_id):
            return _in_flight(found.account_name)
        p = found.payload(origin="handoff", explanation=explanation, effective_on=effective_on)
        agreed = p.everyone() if found.named else frozenset()
        moved = chain.advance(
            None, chain.HandOff(owner_id, explanation, effective_on, agreed), await _context(ctx, p)
        )
        if isinstance(moved, Refused):
            return moved
        summary = f"{found.global_owner.name} hands {found.account_name} to {found.rep.name}"
        approvers = (rep_id, *p.managers) if found.named else ()  # they agree the time frame first
        request = await p.open(ctx, summary, _agree_on_date(approvers) if approvers else None)
        headline = [p.person(owner_id, found.global_owner.name), f" hands {found.account_name} to "]
        headline.append(p.person(rep_id, found.rep.name))
        if found.named:
            await _announce(
                ctx,
                request,
                "handoff",
                headline,
                f"Named account: transfer on {p.effective_on} once everyone agrees. Why: {explanation}",
                [owner_id],
                skip_actor=False,
            )
        else:
            await _announce(ctx, request, "handoff", headline, f"Why: {explanation}", [rep_id])
            await _settle(ctx, request, p, moved, "")
        return Opened(request.id, not found.named, [someone(a, p.names.get(a)) for a in approvers])

    return await _open(deps, owner_id, account_id, rep_id, explanation, hand)


async def _open(
    deps: Deps,
    actor: str,
    account_id: str,
    rep_id: str,
    explanation: str,
    opening: Callable[[service.Context, Parties, str], Awaitable[Opened | Refused]],
) -> Opened | Refused:
    """What asking and handing off share: a written explanation, the parties, one transaction."""
    explanation = explanation.strip()
    if len(explanation) > MAX_TEXT:
        return Refused(f"keep the explanation under {MAX_TEXT} characters", field="explanation")
    async with transaction(deps, actor) as ctx:
        found = await parties(ctx, account_id, rep_id, await ctx.directory.person(actor))
        if isinstance(found, Refused):
            return found
        opened = await opening(ctx, found, explanation)
    if isinstance(opened, Opened):
        deps.outbox.kick()
    return opened


def _in_flight(account_name: str) -> Refused:
    return Refused(f"{account_name} already has an open escalation or request; see /gtm requests")


# ---- buttons beyond approve: keep/disagree reasons, a named account's date -------------------------------
async def give_reason(
    deps: Deps, *, request_id: int, step_id: int, actor: str, reason: str
) -> Refused | None:
    """Keep, disagree or vote keep: a reason the others read; keeping must be compelling (rule 7)."""
    reason = reason.strip()
    if len(reason) > MAX_TEXT:
        return Refused(f"keep it under {MAX_TEXT} characters")
    async with reading(deps, actor) as ctx:
        step = await ctx.repo.step(step_id)
    if step is not None and step.name == GLOBAL:
        compelling = chain.is_compelling_reason(reason)
        if isinstance(compelling, Refused):
            return compelling
    if len(reason.split()) < 2:
        return Refused("say why in a sentence; everyone in the chain reads it")
    result = await service.decide(
        deps, request_id=request_id, step_id=step_id, actor=actor, verdict=Verdict.REJECT, reason=reason
    )
    return result if isinstance(result, Refused) else None


async def propose_date(
    deps: Deps, *, request_id: int, step_id: int, actor: str, effective_on: date | None
) -> Refused | None:
    """A named account (rule 4): the global owner proposes the transfer date; reps and managers agree."""
    async with transaction(deps, actor) as ctx:
        request = await ctx.repo.lock(request_id)
        step = await ctx.repo.step(step_id) if request else None
        if request is None or step is None or step.request_id != request.id or step.name != GLOBAL:
            return Refused("that request doesn't exist (any more)")
        if step.state != StepState.PENDING.value:
            return Refused(f"this step was already {step.state}")
        if actor not in await ctx.repo.approvers(step.id):
            # Checked here, not only in decide(): the date is stored before the decision is recorded.
            await ctx.audit(request, "refused_decision", step=step.name, reason="not the global owner")
            return Refused("only the global account owner proposes the transfer date")
        if effective_on is None or effective_on < ctx.now.date():
            return Refused("pick a transfer date from today on")
        p = EscalationPayload.of(request)
        check = chain.advance(
            p.chain_state, chain.Reassign(p.global_owner, effective_on, p.everyone()), await _context(ctx, p)
        )
        if isinstance(check, Refused):
            return check
        p.effective_on = effective_on
        p.store(request)
    result = await service.decide(
        deps, request_id=request_id, step_id=step_id, actor=actor, verdict=Verdict.APPROVE
    )
    return result if isinstance(result, Refused) else None


# ---- the flow: what each settled step means ------------------------------------------------------------
