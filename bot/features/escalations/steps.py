"""Advancing the chain: settle a state, open the next engine step, transfer, announce, apply on a date."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot import scheduler
from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec
from bot.features.escalations.common import APPLY_JOB, CRO, GLOBAL, MANAGERS, REP
from bot.features.escalations.payload import EscalationPayload
from bot.features.ownership.service import apply_transfer
from bot.handbook import escalation as chain
from bot.handbook.escalation import EscalationState as S
from storage.models import RequestRow

_WHY = {
    S.REASSIGNED: "{go} reassigns {account} to {rep}.",
    S.KEPT: "{go} keeps {account} with the global account: {reason}",
    S.ACCEPTED_KEEP: "{rep} accepts: {account} stays with {go}.",
    S.DISPUTED: "{rep} disagrees: {reason} Both reps' managers ({managers}) decide; all must agree.",
    S.MANAGERS_SPLIT: "The managers disagree ({votes}); {cro} rules, and that ruling is final.",
    S.MANAGERS_AGREED_TRANSFER: "The managers agree: {account} moves to {rep}.",
    S.MANAGERS_AGREED_KEEP: "The managers agree: {account} stays with {go}. {reason}",
    S.CRO_TRANSFER: "{cro} rules (final): {account} moves to {rep}.",
    S.CRO_KEEP: "{cro} rules (final): {account} stays with {go}. {reason}",
}


def votes_text(p: EscalationPayload) -> str:
    return ", ".join(f"{p.name(v)}: {'transfer' if t else 'keep'}" for v, t in p.votes.items())


def _why(p: EscalationPayload, state: S, reason: str) -> str:
    votes = votes_text(p)
    text = _WHY.get(state, state.value.replace("_", " "))
    if state is S.DISPUTED and votes:
        text = "Votes so far: {votes}. Waiting for the other managers; all must agree to transfer."
    return text.format(
        go=p.names[p.global_owner],
        rep=p.names[p.territory_rep],
        account=p.account_name,
        reason=reason,
        managers=", ".join(p.name(m) for m in p.managers),
        cro=p.name(p.cro, "the CRO"),
        votes=votes,
    ).strip()


def _affected(p: EscalationPayload) -> list[str]:
    """Both reps always; the managers and the CRO once the chain reached them (spirit of collaboration)."""
    state = p.chain_state
    users = [p.global_owner, p.territory_rep]
    if p.named or (state is not None and state not in (S.REQUESTED, S.KEPT, S.REASSIGNED, S.ACCEPTED_KEEP)):
        users += p.managers
    if state in (S.MANAGERS_SPLIT, S.CRO_TRANSFER, S.CRO_KEEP) and p.cro:
        users.append(p.cro)
    return list(dict.fromkeys(users))


async def _settle(
    ctx: service.Context, request: RequestRow, p: EscalationPayload, moved: chain.Transition, reason: str
) -> None:
    """Record the new state, then open the next step, or transfer, or close with the account kept."""
    p.state = moved.new_state.value
    if moved.votes:
        p.votes = dict(moved.votes)
    p.store(request)
    why = _why(p, moved.new_state, reason)
    await ctx.audit(request, moved.new_state.value, why=why)
    headline = f"{p.account_name}: {moved.new_state.value.replace('_', ' ')}"
    if moved.outcome is chain.Decision.TRANSFER:
        await _transfer(ctx, request, p, why)
    elif moved.outcome is chain.Decision.KEEP:
        await ctx.finish(request, Status.REJECTED, why=f"{p.account_name} stays with the global owner")
        await _announce(ctx, request, moved.new_state.value, headline, why, _affected(p))
    elif moved.next_step is not None:
        spec = _engine_step(p, moved.next_step)
        await ctx.open_step(request, spec)
        told = [u for u in _affected(p) if u not in spec.approvers]
        await _announce(ctx, request, f"{moved.new_state.value}:{len(p.votes)}", headline, why, told)


def _engine_step(p: EscalationPayload, spec: chain.StepSpec) -> StepSpec:
    role = spec.roles[0]
    if role == chain.MANAGERS:
        pending = spec.pending or tuple(p.managers)
        return StepSpec(MANAGERS, pending, StepMode.ALL if len(pending) > 1 else StepMode.ONE)
    person = {
        chain.GLOBAL_OWNER: p.global_owner,
        chain.TERRITORY_REP: p.territory_rep,
        chain.CRO: p.cro,
    }
    name = {chain.GLOBAL_OWNER: GLOBAL, chain.TERRITORY_REP: REP, chain.CRO: CRO}[role]
    return StepSpec(name, (person[role] or "",))


async def _transfer(ctx: service.Context, request: RequestRow, p: EscalationPayload, why: str) -> None:
    """Now, or on the agreed date of a named account (a scheduled job)."""
    when = p.effective_on
    if when is not None and when > ctx.now.date():
        await ctx.finish(request, Status.APPROVED, why=f"the transfer is agreed for {when.isoformat()}")
        await scheduler.schedule(
            ctx.session,
            key=f"escalation:{request.id}:apply",
            kind=APPLY_JOB,
            due_at=datetime.combine(when, time(), tzinfo=UTC),
            payload={"request_id": request.id},
        )
        await _announce(
            ctx, request, "scheduled", f"{p.account_name} moves on {when.isoformat()}", why, _affected(p)
        )
        return
    await apply_transfer(ctx, request, p.account_id, p.new_owner)
    told = {p.territory_rep, request.requester, p.previous_owner}
    others = [u for u in _affected(p) if u not in told]
    headline = [f"{p.account_name} moves to ", p.person(p.territory_rep, "the rep")]
    await _announce(ctx, request, "transferred", headline, why, others)


async def apply_on_date(job: scheduler.JobContext) -> None:
    """A named account's agreed transfer date has come."""
    ctx = job.ctx
    request = await ctx.repo.lock(int(job.payload["request_id"]))
    if request is None or request.status != Status.APPROVED.value:
        return
    p = EscalationPayload.of(request)
    await apply_transfer(ctx, request, p.account_id, p.new_owner)
    await _announce(
        ctx,
        request,
        "applied-on-date",
        f"{p.account_name} moved today, as agreed",
        "The agreed time frame has come.",
        p.managers,
    )


async def _announce(
    ctx: service.Context,
    request: RequestRow,
    tag: str,
    headline: str | list[str | dict[str, str]],  # text, or text and people (`person` in bot/render.py)
    body: str,
    users: list[str],
    *,
    skip_actor: bool = True,
) -> None:
    for user in dict.fromkeys(users):
        if not user or (skip_actor and user == ctx.actor):
            continue
        await ctx.notify(
            user,
            f"escalation:{request.id}:{tag}:{user}",
            "escalations/update.json.j2",
            request_id=request.id,
            headline=headline,
            body=body,
        )
