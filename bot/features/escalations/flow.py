"""EscalationFlow: what each settled engine step means for the chain (the engine calls it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec, StepState, Verdict
from bot.handbook import escalation as chain
from bot.handbook.escalation import EscalationState as S
from bot.handbook.results import Refused
from bot.handbook.visibility import may_see
from storage.models import RequestRow, StepRow

if TYPE_CHECKING:
    pass

from bot.features.escalations.common import (
    CRO,
    GLOBAL,
    KIND,
    MANAGERS,
    REP,
    TIME_FRAME,
    _context,
    _everyone_agreed,
    _state,
    considerations,
    stand_alone_reasons,
)
from bot.features.escalations.steps import _affected, _announce, _settle


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
        p = request.payload
        names = p.get("names", {})
        go, rep = names.get(p["global_owner"], "the global owner"), names.get(p["territory_rep"], "the rep")
        labels = considerations()
        fields = [("Account", p.get("account_name", "")), ("Territory rep", rep), ("Global owner", go)]
        fields.append(("Explanation", p.get("explanation") or ""))
        picked = [labels.get(c, c) for c in p.get("considerations") or []]
        if picked:
            fields.append(("Rule 13", "; ".join(picked)))
        if p.get("stand_alone"):
            fields.append(
                ("Stand-alone child", stand_alone_reasons().get(p["stand_alone"], p["stand_alone"]))
            )
        if p.get("named"):
            fields.append(
                (
                    "Named account",
                    "yes, at most 30 per rep; time frame " + (p.get("effective_on") or "not set"),
                )
            )
        for key, label in (("keep_reason", f"{go} keeps it because"), ("dispute", f"{rep} disagrees")):
            if p.get(key):
                fields.append((label, p[key]))
        votes = p.get("votes") or {}
        if votes:
            fields.append(
                (
                    "Votes",
                    ", ".join(f"{names.get(v, v)}: {'transfer' if t else 'keep'}" for v, t in votes.items()),
                )
            )
        state, timeline = _state(p), f"`/gtm requests {request.id}` shows every step."
        if state is None or p.get("time_frame_open"):
            note = f"Agree the transfer date (rule 4): {p.get('effective_on')}. {timeline}"
            actions = [
                ("approval.approve", f"Agree: transfer on {p.get('effective_on')}", "primary"),
                ("escalation.reason", "Disagree…", "danger"),
            ]
        elif state is S.REQUESTED:
            note = f"Reassign it, or keep it with a compelling, explicit reason (rule 7). {timeline}"
            first = (
                ("escalation.reassign", f"Reassign to {rep}…", "primary")
                if p.get("named")
                else ("approval.approve", f"Reassign to {rep}", "primary")
            )
            actions = [first, ("escalation.reason", "Keep…", "danger")]
        elif state is S.KEPT:
            note = f"Accept the decision, or disagree and take it to both reps' managers (rule 7). {timeline}"
            actions = [
                ("approval.approve", "Accept: it stays global", "primary"),
                ("escalation.reason", "Disagree…", "danger"),
            ]
        elif state is S.MANAGERS_SPLIT:
            note = f"The managers disagree: your ruling is final (rule 11). {timeline}"
            actions = [
                ("approval.approve", f"Rule: transfer to {rep}", "primary"),
                ("escalation.reason", f"Rule: keep with {go}…", "danger"),
            ]
        else:
            note = f"Both managers must agree to transfer; otherwise the CRO rules (rule 11). {timeline}"
            actions = [
                ("approval.approve", f"Transfer to {rep}", "primary"),
                ("escalation.reason", f"Keep with {go}…", "danger"),
            ]
        return service.Card(title=request.summary, fields=fields, note=note, actions=actions)

    async def recheck(self, ctx: service.Context, request: RequestRow, step: StepRow) -> service.Recheck:
        """Approving moves the account towards the territory rep (except the rep accepting a keep): is
        the rep still someone who may own it? The handbook allows no override here."""
        if step.name == REP:
            return service.Recheck()
        p = request.payload
        rep = await ctx.directory.person(p["territory_rep"])
        account = await ctx.directory.account(p["account_id"])
        failed = chain.rep_still_fits(
            rep,
            may_see_account=may_see(rep, account),
            named=bool(p.get("named")),
            rep_named_count=await ctx.directory.named_count(p["territory_rep"]),
        )
        return service.Recheck(tuple(failed))

    async def on_settled(
        self, ctx: service.Context, request: RequestRow, step: StepRow, state: StepState
    ) -> None:
        p = dict(request.payload)
        decisions = await ctx.repo.decisions(step.id)
        approved = state is StepState.APPROVED
        reason = next((d.reason for d in decisions if d.decision == Verdict.REJECT.value), "")
        ectx = await _context(ctx, p)
        current = _state(p)
        if step.name == MANAGERS:
            await self._votes(ctx, request, p, decisions, ectx)
            return
        if step.name == TIME_FRAME:
            p["time_frame_open"] = False
            if not approved:
                await self._date_refused(ctx, request, p, reason)
                return
            when = date.fromisoformat(p["effective_on"])
            agreed = _everyone_agreed(p)
            event: chain.Event = (
                chain.HandOff(p["global_owner"], p.get("explanation", ""), when, agreed)
                if current is None
                else chain.Reassign(p["global_owner"], when, agreed)
            )
        elif step.name == GLOBAL:
            if approved and p.get("named"):
                await self._open_time_frame(ctx, request, p)
                return
            p["keep_reason"] = "" if approved else reason
            event = chain.Reassign(p["global_owner"]) if approved else chain.Keep(p["global_owner"], reason)
        elif step.name == REP:
            p["dispute"] = "" if approved else reason
            event = (
                chain.AcceptKeep(p["territory_rep"])
                if approved
                else chain.Dispute(p["territory_rep"], reason)
            )
        else:  # CRO
            event = chain.CroRuling(p.get("cro") or "", approved)
        moved = chain.advance(current, event, ectx)
        if isinstance(moved, Refused):
            await self._refused(ctx, request, p, step, moved)
            return
        await _settle(ctx, request, p, moved, reason)

    async def _votes(
        self,
        ctx: service.Context,
        request: RequestRow,
        p: dict[str, Any],
        decisions: list[Any],
        ectx: chain.EscalationContext,
    ) -> None:
        """Rule 11, vote by vote; a first 'keep' settles the engine step, so the others get a new one."""
        votes = dict(p.get("votes") or {})
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
        p["votes"] = votes
        if isinstance(moved, chain.Transition):
            reason = next((d.reason for d in decisions if d.decision == Verdict.REJECT.value), "")
            await _settle(ctx, request, p, moved, reason)

    async def _open_time_frame(self, ctx: service.Context, request: RequestRow, p: dict[str, Any]) -> None:
        p["time_frame_open"] = True
        request.payload = p
        approvers = (p["territory_rep"], *p["managers"])
        names = p["names"]
        await ctx.audit(
            request, "time_frame_proposed", why=f"{names[p['global_owner']]} proposes {p['effective_on']}"
        )
        await ctx.open_step(
            request, StepSpec(TIME_FRAME, approvers, StepMode.ALL if len(approvers) > 1 else StepMode.ONE)
        )

    async def _date_refused(
        self, ctx: service.Context, request: RequestRow, p: dict[str, Any], reason: str
    ) -> None:
        names = p["names"]
        who = names.get(ctx.actor, ctx.actor)
        request.payload = p
        if _state(p) is None:  # a hand-off: the global owner may try again with another date
            await ctx.finish(request, Status.REJECTED, why=f"{who} did not agree the time frame: {reason}")
            await _announce(
                ctx,
                request,
                "date-refused",
                f"The hand-off of {p['account_name']} stopped",
                f"{who} did not agree the time frame: {reason}",
                _affected(p),
            )
            return
        await ctx.audit(request, "time_frame_refused", reason=reason)
        await ctx.open_step(request, StepSpec(GLOBAL, (p["global_owner"],)))
        await _announce(
            ctx,
            request,
            f"date-refused:{len(await ctx.repo.steps(request.id))}",
            f"{who} did not agree the transfer date for {p['account_name']}",
            f"Reason: {reason}. {names[p['global_owner']]} decides again.",
            _affected(p),
        )

    async def _refused(
        self, ctx: service.Context, request: RequestRow, p: dict[str, Any], step: StepRow, refused: Refused
    ) -> None:
        """The rules forbid what was decided (e.g. a stock refusal, 30 named accounts): ask again."""
        request.payload = p
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
