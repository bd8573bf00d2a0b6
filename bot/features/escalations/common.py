"""The escalation request's people, stored state and the rule-13 choices (Rules of Engagement 4-13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.approvals import service
from bot.approvals.engine import StepMode, StepSpec
from bot.features.escalations.payload import EscalationPayload
from bot.features.ownership.service import load_view
from bot.handbook import escalation as chain
from bot.handbook import facts
from bot.handbook.directory import Person, Role
from bot.handbook.results import Refused
from bot.handbook.visibility import approvers_who_may_see, may_see

KIND = EscalationPayload.kind
APPLY_JOB = "escalation.apply"
GLOBAL, TIME_FRAME, REP, MANAGERS, CRO = "global owner", "time frame", "territory rep", "managers", "CRO"
REPS = tuple(Role(r) for r in facts.load("processes")["escalation"]["territory_rep_roles"])
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

    def payload(self, **chain: Any) -> EscalationPayload:
        """The request's payload: these people, and what `chain` says (origin, explanation...)."""
        people = [self.global_owner, self.rep, *self.managers, *([self.cro] if self.cro else [])]
        return EscalationPayload(
            account_id=self.account_id,
            account_name=self.account_name,
            global_owner=self.global_owner.slack_id,
            territory_rep=self.rep.slack_id,
            new_owner=self.rep.slack_id,
            managers=[m.slack_id for m in self.managers],
            cro=self.cro.slack_id if self.cro else None,
            named=self.named,
            previous_owner=self.current_owner,
            names={p.slack_id: p.name for p in people},
            watchers=list(dict.fromkeys(p.slack_id for p in people)),
            **chain,
        )


async def parties(
    ctx: service.Context, account_id: str, rep_id: str, viewer: Person | None
) -> Parties | Refused:
    """The child account, its global owner (the ultimate parent's owner), the rep, managers and CRO."""
    view = await load_view(ctx.directory, account_id)
    if view is None or viewer is None or not may_see(viewer, view.account):
        return Refused("no such account")
    if not view.has_parent:
        return Refused(f"{view.account.name} is not a child account; rules 6 and 7 are about child accounts")
    everyone = await ctx.directory.people()
    global_owner = everyone.get(view.ultimate_parent.owner or "")
    rep = everyone.get(rep_id)
    if global_owner is None:
        return Refused(f"{view.ultimate_parent.name} has no global account owner in the directory")
    if rep is None or rep.role not in REPS:
        return Refused("the territory rep must be a SAL, AE or AM in the sales directory", field="rep")
    if not may_see(rep, view.account):  # "Record Ownership and Record Visibility"
        return Refused("public sector accounts stay with the public sector team")
    if rep.slack_id == global_owner.slack_id:
        return Refused(f"{rep.name} is the global account owner of {view.ultimate_parent.name}")
    if view.account.owner == rep.slack_id:
        return Refused(f"{rep.name} already owns {view.account.name}", field="rep")
    managers = chain.managers_for(global_owner, rep, everyone)
    # Managers who may not see a public-sector account: its team's own RDs/managers vote instead.
    voters = approvers_who_may_see(
        view.account, [m.slack_id for m in managers], everyone, exclude={rep.slack_id, global_owner.slack_id}
    )
    managers = [everyone[v] for v in voters]
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


async def _context(ctx: service.Context, p: EscalationPayload) -> chain.EscalationContext:
    return chain.EscalationContext(
        global_owner=p.global_owner,
        territory_rep=p.territory_rep,
        managers=tuple(p.managers),
        cro=p.cro,
        named=p.named,
        rep_named_count=await ctx.directory.named_count(p.territory_rep),
        votes=dict(p.votes),
    )


def _agree_on_date(approvers: tuple[str, ...]) -> StepSpec:
    """A named account's time frame: the rep and the managers all agree it (rule 4)."""
    return StepSpec(TIME_FRAME, approvers, StepMode.ALL if len(approvers) > 1 else StepMode.ONE)


# ---- the rep asks (rule 7) ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Opened:
    request_id: int
    applied: bool
    waiting_on: list[str | dict[str, str]]  # `someone`s (bot/render.py): mentions, or names
