"""EscalationFlow: what each settled engine step means for the chain (the engine calls it)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec, StepState, Verdict
from bot.features.escalations.common import (
    CRO,
    GLOBAL,
    KIND,
    MANAGERS,
    REP,
    TIME_FRAME,
    _agree_on_date,
    _context,
    considerations,
    stand_alone_reasons,
)
from bot.features.escalations.payload import EscalationPayload
from bot.features.escalations.steps import _affected, _announce, _settle, votes_text
from bot.handbook import escalation as chain
from bot.handbook.escalation import EscalationState as S
from bot.handbook.results import Refused
from bot.handbook.visibility import may_see
from storage.models import RequestRow, StepRow


class EscalationFlow:
    kind = KIND
    label = "Account escalation"
    requester_steps = frozenset({REP, TIME_FRAME})  # the rep answers the global owner's decision
    step_roles = {
        GLOBAL: "the global account owner",
        REP: "the territory rep",
        MANAGERS: "one of both reps' managers",
        CRO: "the CRO, whose ruling is final",
        TIME_FRAME: "one of those who agree the transfer date",
    }
    verdict_words = {
        GLOBAL: ("reassigned it", "kept it"),
        REP: ("accepted", "disagreed"),
        MANAGERS: ("voted to transfer", "voted to keep"),
        CRO: ("ruled: transfer", "ruled: keep"),
        TIME_FRAME: ("agreed the date", "did not agree the date"),
    }

    def card(self, request: RequestRow) -> service.Card:
        p = EscalationPayload.of(request)
        go, rep = p.name(p.global_owner, "the global owner"), p.name(p.territory_rep, "the rep")
        labels = considerations()
        fields: list[tuple[str, str | dict[str, str]]] = [("Account", p.account_name)]
        fields += [
            ("Territory rep", p.person(p.territory_rep, rep)),
            ("Global owner", p.person(p.global_owner, go)),
        ]
        fields.append(("Explanation", p.explanation))
        picked = [labels.get(c, c) for c in p.considerations]
        if picked:
            fields.append(("Rule 13", "; ".join(picked)))
        if p.stand_alone:
            fields.append(("Stand-alone child", stand_alone_reasons().get(p.stand_alone, p.stand_alone)))
        if p.named:
            when = p.effective_on.isoformat() if p.effective_on else "not set"
            fields.append(("Named account", f"yes, at most 30 per rep; time frame {when}"))
        if p.keep_reason:
            fields.append((f"{go} keeps it because", p.keep_reason))
        if p.dispute:
            fields.append((f"{rep} disagrees", p.dispute))
        if p.votes:
            fields.append(("Votes", votes_text(p)))
        state, timeline = p.chain_state, f"`/gtm requests {request.id}` shows every step."
        if state is None or p.time_frame_open:
            note = f"Agree the transfer date (rule 4): {p.effective_on}. {timeline}"
            actions = [("approve", f"Agree: transfer on {p.effective_on}"), ("disagree", "Disagree…")]
        elif state is S.REQUESTED:
            note = f"Reassign it, or keep it with a compelling, explicit reason (rule 7). {timeline}"
            # a named account: the global owner proposes the transfer date first (rule 4)
            first = ("reassign", f"Reassign to {rep}…") if p.named else ("approve", f"Reassign to {rep}")
            actions = [first, ("keep", "Keep…")]
        elif state is S.KEPT:
            note = f"Accept the decision, or disagree and take it to both reps' managers (rule 7). {timeline}"
            actions = [("approve", "Accept: it stays global"), ("disagree", "Disagree…")]
        elif state is S.MANAGERS_SPLIT:
            note = f"The managers disagree: your ruling is final (rule 11). {timeline}"
            actions = [("approve", f"Rule: transfer to {rep}"), ("keep", f"Rule: keep with {go}…")]
        else:
            note = f"Both managers must agree to transfer; otherwise the CRO rules (rule 11). {timeline}"
            actions = [("approve", f"Transfer to {rep}"), ("keep", f"Keep with {go}…")]
        return service.Card(title=request.summary, fields=fields, note=note, actions=actions)

    async def recheck(self, ctx: service.Context, request: RequestRow, step: StepRow) -> service.Recheck:
        """Approving moves the account towards the territory rep (except the rep accepting a keep): is
        the rep still someone who may own it? The handbook allows no override here."""
        if step.name == REP:
            return service.Recheck()
        p = EscalationPayload.of(request)
        rep = await ctx.directory.person(p.territory_rep)
        account = await ctx.directory.account(p.account_id)
        failed = chain.rep_still_fits(
            rep,
            may_see_account=may_see(rep, account),
            named=p.named,
            rep_named_count=await ctx.directory.named_count(p.territory_rep),
        )
        return service.Recheck(tuple(failed))

    async def on_settled(
        self, ctx: service.Context, request: RequestRow, step: StepRow, state: StepState
    ) -> None:
        p = EscalationPayload.of(request)
        decisions = await ctx.repo.decisions(step.id)
        approved = state is StepState.APPROVED
        reason = next((d.reason for d in decisions if d.decision == Verdict.REJECT.value), "")
        ectx = await _context(ctx, p)
        current = p.chain_state
        if step.name == MANAGERS:
            await self._votes(ctx, request, p, decisions, ectx)
            return
        if step.name == TIME_FRAME:
            p.time_frame_open = False
            if not approved:
                await self._date_refused(ctx, request, p, reason)
                return
            when = p.effective_on
            event: chain.Event = (
                chain.HandOff(p.global_owner, p.explanation, when, p.everyone())
                if current is None
                else chain.Reassign(p.global_owner, when, p.everyone())
            )
        elif step.name == GLOBAL:
            if approved and p.named:
                await self._open_time_frame(ctx, request, p)
                return
            p.keep_reason = "" if approved else reason
            event = chain.Reassign(p.global_owner) if approved else chain.Keep(p.global_owner, reason)
        elif step.name == REP:
            p.dispute = "" if approved else reason
            event = chain.AcceptKeep(p.territory_rep) if approved else chain.Dispute(p.territory_rep, reason)
        else:  # CRO
            event = chain.CroRuling(p.cro or "", approved)
        moved = chain.advance(current, event, ectx)
        if isinstance(moved, Refused):
            await self._refused(ctx, request, p, step, moved)
            return
        await _settle(ctx, request, p, moved, reason)

    async def _votes(
        self,
        ctx: service.Context,
        request: RequestRow,
        p: EscalationPayload,
        decisions: list[Any],
        ectx: chain.EscalationContext,
    ) -> None:
        """Rule 11, vote by vote; a first 'keep' settles the engine step, so the others get a new one."""
        votes = dict(p.votes)
        moved: chain.Transition | Refused | None = None
        for decision in decisions:
            voter = decision.on_behalf_of or decision.actor
            if voter in votes:
                continue
            vote = chain.ManagerVote(voter, decision.decision == Verdict.APPROVE.value)
            moved = chain.advance(S.DISPUTED, vote, replace(ectx, votes=votes))
            if isinstance(moved, Refused):
                await ctx.audit(request, "refused_vote", why=moved.reason)
                continue
            votes = dict(moved.votes)
            if moved.new_state is not S.DISPUTED:
                break
        p.votes = votes
        if isinstance(moved, chain.Transition):
            reason = next((d.reason for d in decisions if d.decision == Verdict.REJECT.value), "")
            await _settle(ctx, request, p, moved, reason)

    async def _open_time_frame(self, ctx: service.Context, request: RequestRow, p: EscalationPayload) -> None:
        p.time_frame_open = True
        p.store(request)
        await ctx.audit(
            request, "time_frame_proposed", why=f"{p.names[p.global_owner]} proposes {p.effective_on}"
        )
        await ctx.open_step(request, _agree_on_date((p.territory_rep, *p.managers)))

    async def _date_refused(
        self, ctx: service.Context, request: RequestRow, p: EscalationPayload, reason: str
    ) -> None:
        who = p.name(ctx.actor)
        p.store(request)
        if p.chain_state is None:  # a hand-off: the global owner may try again with another date
            await ctx.finish(request, Status.REJECTED, why=f"{who} did not agree the time frame: {reason}")
            await _announce(
                ctx,
                request,
                "date-refused",
                f"The hand-off of {p.account_name} stopped",
                f"{who} did not agree the time frame: {reason}",
                _affected(p),
            )
            return
        await ctx.audit(request, "time_frame_refused", reason=reason)
        await ctx.open_step(request, StepSpec(GLOBAL, (p.global_owner,)))
        await _announce(
            ctx,
            request,
            f"date-refused:{len(await ctx.repo.steps(request.id))}",
            [p.person(ctx.actor, who), f" did not agree the transfer date for {p.account_name}"],
            f"Reason: {reason}. {p.names[p.global_owner]} decides again.",
            _affected(p),
        )

    async def _refused(
        self, ctx: service.Context, request: RequestRow, p: EscalationPayload, step: StepRow, refused: Refused
    ) -> None:
        """The rules forbid what was decided (e.g. a stock refusal, 30 named accounts): ask again."""
        p.store(request)
        await ctx.audit(request, "refused_by_rules", why=refused.reason)
        approvers = tuple(step.approvers)
        await ctx.open_step(request, StepSpec(step.name, approvers, StepMode(step.mode)))
        await _announce(
            ctx,
            request,
            f"refused:{step.id}",
            "That decision breaks a rule",
            refused.reason,
            [ctx.actor],
            skip_actor=False,
        )


# ---- applying a transition ---------------------------------------------------------------------------
