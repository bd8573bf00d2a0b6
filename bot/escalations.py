"""The reassignment escalation chain on the approval engine (Rules of Engagement 4, 6, 7, 11, 13).

The pure state machine is bot/handbook/escalation.py; the request's payload holds its EscalationState,
the people in each part and the managers' votes. Each human step is an engine step: the global owner's
decision, the territory rep's accept/disagree, the managers (all must agree), the CRO. A transfer decided by
any path goes through bot/ownership.apply_transfer (owner change, both owners told, holdovers recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from bot import scheduler
from bot.approvals import service
from bot.approvals.engine import Status, StepMode, StepSpec, StepState, Verdict
from bot.handbook import escalation as chain
from bot.handbook import facts
from bot.handbook.directory import Person, Role
from bot.handbook.escalation import EscalationState as S
from bot.handbook.ownership import can_view
from bot.handbook.results import Refused
from bot.ownership import apply_transfer, load_view
from storage.models import RequestRow, StepRow

if TYPE_CHECKING:
    from bot.deps import Deps

KIND = "escalation"
APPLY_JOB = "escalation.apply"
GLOBAL, TIME_FRAME, REP, MANAGERS, CRO = "global owner", "time frame", "territory rep", "managers", "CRO"
REPS = (Role.SAL, Role.AE, Role.AM)
MAX_TEXT = 1000


def considerations() -> dict[str, str]:
    return dict(facts.load("processes")["escalation"]["rule_13_considerations"])


def stand_alone_reasons() -> dict[str, str]:
    return dict(facts.load("processes")["escalation"]["stand_alone_child_reasons"])


# ---- who plays which part --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Parties:
    account_id: str
    account_name: str
    current_owner: str | None
    global_owner: Person
    rep: Person
    managers: list[Person]
    cro: Person | None
    named: bool

    def payload(self) -> dict[str, Any]:
        people = [self.global_owner, self.rep, *self.managers, *([self.cro] if self.cro else [])]
        return {
            "account_id": self.account_id,
            "account_name": self.account_name,
            "global_owner": self.global_owner.slack_id,
            "territory_rep": self.rep.slack_id,
            "new_owner": self.rep.slack_id,  # what apply_transfer moves the account to
            "managers": [m.slack_id for m in self.managers],
            "cro": self.cro.slack_id if self.cro else None,
            "named": self.named,
            "previous_owner": self.current_owner,
            "names": {p.slack_id: p.name for p in people},
            "votes": {},
            "watchers": list(dict.fromkeys(p.slack_id for p in people)),
        }


async def parties(
    ctx: service.Context, account_id: str, rep_id: str, viewer: Person | None
) -> Parties | Refused:
    """The child account, its global owner (the ultimate parent's owner), the rep, managers and CRO."""
    view = await load_view(ctx.directory, account_id)
    if view is None or viewer is None or not can_view(viewer, view.account):
        return Refused("no such account")
    if not view.has_parent:
        return Refused(f"{view.account.name} is not a child account; rules 6 and 7 are about child accounts")
    everyone = await ctx.directory.people()
    global_owner = everyone.get(view.ultimate_parent.owner or "")
    rep = everyone.get(rep_id)
    if global_owner is None:
        return Refused(f"{view.ultimate_parent.name} has no global account owner in the directory")
    if rep is None or rep.role not in REPS:
        return Refused("the territory rep must be a SAL, AE or AM in the sales directory")
    if rep.slack_id == global_owner.slack_id:
        return Refused(f"{rep.name} is the global account owner of {view.ultimate_parent.name}")
    if view.account.owner == rep.slack_id:
        return Refused(f"{rep.name} already owns {view.account.name}")
    managers = chain.managers_for(global_owner, rep, everyone)
    cro = chain.cro_of(everyone.values())
    return Parties(
        account_id,
        view.account.name,
        view.account.owner,
        global_owner,
        rep,
        managers,
        cro,
        view.account.named,
    )


def _state(p: dict[str, Any]) -> S | None:
    return S(p["state"]) if p.get("state") else None


async def _context(ctx: service.Context, p: dict[str, Any]) -> chain.EscalationContext:
    return chain.EscalationContext(
        global_owner=p["global_owner"],
        territory_rep=p["territory_rep"],
        managers=tuple(p["managers"]),
        cro=p.get("cro"),
        named=bool(p.get("named")),
        rep_named_count=await ctx.directory.named_count(p["territory_rep"]),
        votes=dict(p.get("votes") or {}),
    )


def _everyone_agreed(p: dict[str, Any]) -> frozenset[str]:
    return frozenset({p["global_owner"], p["territory_rep"], *p["managers"]})


# ---- the rep asks (rule 7) ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Opened:
    request_id: int
    applied: bool
    waiting_on: list[str]  # names


@dataclass(frozen=True, slots=True)
class EscalationForm:
    account_id: str
    account_name: str
    global_owner: str
    rep_id: str
    rep_name: str
    named: bool


async def form(deps: Deps, *, user: str, account_id: str, rep_id: str) -> EscalationForm | Refused:
    async with deps.db.reads() as session:
        ctx = service.Context(deps, session, deps.clock(), user)
        found = await parties(ctx, account_id, rep_id, await ctx.directory.person(user))
    if isinstance(found, Refused):
        return found
    return EscalationForm(
        found.account_id,
        found.account_name,
        found.global_owner.name,
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
    explanation = explanation.strip()
    if len(explanation) > MAX_TEXT:
        return Refused(f"keep the explanation under {MAX_TEXT} characters")
    async with deps.db.sessions.begin() as session:
        ctx = service.Context(deps, session, deps.clock(), rep_id)
        found = await parties(ctx, account_id, rep_id, await ctx.directory.person(rep_id))
        if isinstance(found, Refused):
            return found
        if await ctx.repo.open_for_subject(KIND, account_id):
            return Refused(f"{found.account_name} already has an open escalation; see /gtm requests")
        p = found.payload()
        event = chain.RequestReassignment(rep_id, explanation, frozenset(picked), stand_alone or None)
        moved = chain.advance(None, event, await _context(ctx, p))
        if isinstance(moved, Refused):
            return moved
        p.update(
            state=moved.new_state.value,
            origin="request",
            explanation=explanation,
            considerations=sorted(picked),
            stand_alone=stand_alone or None,
        )
        request = await service.open_request(
            ctx,
            kind=KIND,
            subject_id=account_id,
            summary=f"{found.rep.name} asks {found.global_owner.name} for {found.account_name}",
            payload=p,
            first_step=StepSpec(GLOBAL, (found.global_owner.slack_id,)),
        )
        await _announce(
            ctx,
            request,
            "requested",
            f"{found.rep.name} asked {found.global_owner.name} to reassign {found.account_name}",
            f"Explanation: {explanation}",
            [rep_id],
            skip_actor=False,
        )
    deps.outbox.kick()
    return Opened(request.id, False, [found.global_owner.name])


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
    explanation = explanation.strip()
    if len(explanation) > MAX_TEXT:
        return Refused(f"keep the explanation under {MAX_TEXT} characters")
    async with deps.db.sessions.begin() as session:
        ctx = service.Context(deps, session, deps.clock(), owner_id)
        found = await parties(ctx, account_id, rep_id, await ctx.directory.person(owner_id))
        if isinstance(found, Refused):
            return found
        if found.global_owner.slack_id != owner_id:
            return Refused(f"only the global account owner, {found.global_owner.name}, can hand it off")
        if effective_on is not None and effective_on < ctx.now.date():
            return Refused("the transfer date is in the past")
        if await ctx.repo.open_for_subject(KIND, account_id):
            return Refused(f"{found.account_name} already has an open escalation; see /gtm requests")
        p = found.payload()
        p.update(state=None, origin="handoff", explanation=explanation, effective_on=_iso(effective_on))
        ectx = await _context(ctx, p)
        agreed = _everyone_agreed(p) if found.named else frozenset()
        moved = chain.advance(None, chain.HandOff(owner_id, explanation, effective_on, agreed), ectx)
        if isinstance(moved, Refused):
            return moved
        summary = f"{found.global_owner.name} hands {found.account_name} to {found.rep.name}"
        if found.named:  # both reps and their managers agree the time frame first
            approvers = (rep_id, *p["managers"])
            request = await service.open_request(
                ctx,
                kind=KIND,
                subject_id=account_id,
                summary=summary,
                payload=p,
                first_step=StepSpec(
                    TIME_FRAME, approvers, StepMode.ALL if len(approvers) > 1 else StepMode.ONE
                ),
            )
            await _announce(
                ctx,
                request,
                "handoff",
                summary,
                f"Named account: transfer on {p['effective_on']} once everyone agrees. Why: {explanation}",
                [owner_id],
                skip_actor=False,
            )
            waiting = [p["names"][a] for a in approvers]
        else:
            request = await service.open_request(
                ctx, kind=KIND, subject_id=account_id, summary=summary, payload=p, first_step=None
            )
            await _announce(ctx, request, "handoff", summary, f"Why: {explanation}", [rep_id])
            await _settle(ctx, request, p, moved, "")
            waiting = []
    deps.outbox.kick()
    return Opened(request.id, not found.named, waiting)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# ---- buttons beyond approve: keep/disagree reasons, a named account's date -------------------------------
async def give_reason(
    deps: Deps, *, request_id: int, step_id: int, actor: str, reason: str
) -> Refused | None:
    """Keep, disagree or vote keep: a reason the others read; keeping must be compelling (rule 7)."""
    reason = reason.strip()
    if len(reason) > MAX_TEXT:
        return Refused(f"keep it under {MAX_TEXT} characters")
    async with deps.db.reads() as session:
        ctx = service.Context(deps, session, deps.clock(), actor)
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
    async with deps.db.sessions.begin() as session:
        ctx = service.Context(deps, session, deps.clock(), actor)
        request = await ctx.repo.lock(request_id)
        step = await ctx.repo.step(step_id) if request else None
        if request is None or step is None or step.request_id != request.id or step.name != GLOBAL:
            return Refused("that request doesn't exist (any more)")
        if effective_on is None or effective_on < ctx.now.date():
            return Refused("pick a transfer date from today on")
        p = dict(request.payload)
        agreed = _everyone_agreed(p)
        check = chain.advance(
            _state(p), chain.Reassign(p["global_owner"], effective_on, agreed), await _context(ctx, p)
        )
        if isinstance(check, Refused):
            return check
        request.payload = {**p, "effective_on": effective_on.isoformat()}
    result = await service.decide(
        deps, request_id=request_id, step_id=step_id, actor=actor, verdict=Verdict.APPROVE
    )
    return result if isinstance(result, Refused) else None


# ---- the flow: what each settled step means ------------------------------------------------------------
class EscalationFlow:
    kind = KIND
    label = "Account escalation"
    requester_steps = frozenset({REP, TIME_FRAME})  # the rep answers the global owner's decision

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


def _why(p: dict[str, Any], state: S, reason: str) -> str:
    names = p["names"]
    votes = ", ".join(
        f"{names.get(v, v)}: {'transfer' if t else 'keep'}" for v, t in (p.get("votes") or {}).items()
    )
    text = _WHY.get(state, state.value.replace("_", " "))
    if state is S.DISPUTED and votes:
        text = "Votes so far: {votes}. Waiting for the other managers; all must agree to transfer."
    return text.format(
        go=names[p["global_owner"]],
        rep=names[p["territory_rep"]],
        account=p["account_name"],
        reason=reason,
        managers=", ".join(names.get(m, m) for m in p["managers"]),
        cro=names.get(p.get("cro") or "", "the CRO"),
        votes=votes,
    ).strip()


def _affected(p: dict[str, Any]) -> list[str]:
    """Both reps always; the managers and the CRO once the chain reached them (spirit of collaboration)."""
    state = _state(p)
    users = [p["global_owner"], p["territory_rep"]]
    if p.get("named") or (
        state is not None and state not in (S.REQUESTED, S.KEPT, S.REASSIGNED, S.ACCEPTED_KEEP)
    ):
        users += p["managers"]
    if state in (S.MANAGERS_SPLIT, S.CRO_TRANSFER, S.CRO_KEEP) and p.get("cro"):
        users.append(p["cro"])
    return list(dict.fromkeys(users))


async def _settle(
    ctx: service.Context, request: RequestRow, p: dict[str, Any], moved: chain.Transition, reason: str
) -> None:
    """Record the new state, then open the next step, or transfer, or close with the account kept."""
    p["state"] = moved.new_state.value
    if moved.votes:
        p["votes"] = dict(moved.votes)
    request.payload = p
    why = _why(p, moved.new_state, reason)
    await ctx.audit(request, moved.new_state.value, why=why)
    headline = f"{p['account_name']}: {moved.new_state.value.replace('_', ' ')}"
    if moved.outcome is chain.Decision.TRANSFER:
        await _transfer(ctx, request, p, why)
    elif moved.outcome is chain.Decision.KEEP:
        await ctx.finish(request, Status.REJECTED, why=f"{p['account_name']} stays with the global owner")
        await _announce(ctx, request, moved.new_state.value, headline, why, _affected(p))
    elif moved.next_step is not None:
        spec = _engine_step(p, moved.next_step)
        await ctx.open_step(request, spec)
        told = [u for u in _affected(p) if u not in spec.approvers]
        await _announce(
            ctx, request, f"{moved.new_state.value}:{len(p.get('votes') or {})}", headline, why, told
        )


def _engine_step(p: dict[str, Any], spec: chain.StepSpec) -> StepSpec:
    role = spec.roles[0]
    if role == chain.MANAGERS:
        pending = spec.pending or tuple(p["managers"])
        return StepSpec(MANAGERS, pending, StepMode.ALL if len(pending) > 1 else StepMode.ONE)
    person = {
        chain.GLOBAL_OWNER: p["global_owner"],
        chain.TERRITORY_REP: p["territory_rep"],
        chain.CRO: p.get("cro"),
    }
    name = {chain.GLOBAL_OWNER: GLOBAL, chain.TERRITORY_REP: REP, chain.CRO: CRO}[role]
    return StepSpec(name, (person[role] or "",))


async def _transfer(ctx: service.Context, request: RequestRow, p: dict[str, Any], why: str) -> None:
    """Now, or on the agreed date of a named account (a scheduled job)."""
    when = date.fromisoformat(p["effective_on"]) if p.get("effective_on") else None
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
            ctx, request, "scheduled", f"{p['account_name']} moves on {when.isoformat()}", why, _affected(p)
        )
        return
    await apply_transfer(ctx, request)
    told = {p["territory_rep"], request.requester, p.get("previous_owner")}
    others = [u for u in _affected(p) if u not in told]
    await _announce(
        ctx,
        request,
        "transferred",
        f"{p['account_name']} moves to {p['names'][p['territory_rep']]}",
        why,
        others,
    )


async def apply_on_date(job: scheduler.JobContext) -> None:
    """A named account's agreed transfer date has come."""
    ctx = job.ctx
    request = await ctx.repo.lock(int(job.payload["request_id"]))
    if request is None or request.status != Status.APPROVED.value:
        return
    p = dict(request.payload)
    await apply_transfer(ctx, request)
    await _announce(
        ctx,
        request,
        "applied-on-date",
        f"{p['account_name']} moved today, as agreed",
        "The agreed time frame has come.",
        [m for m in p["managers"]],
    )


async def _announce(
    ctx: service.Context,
    request: RequestRow,
    tag: str,
    headline: str,
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
