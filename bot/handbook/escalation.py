"""The reassignment escalation chain ("Account Ownership Rules of Engagement", rules 4-13): a state machine.

A territory rep asks the global account owner for a child account (rule 7), or the global owner hands one
over (rule 6). The owner reassigns or keeps it with a compelling, explicit reason; a rep who disagrees takes
it to both reps' managers, who must all agree to transfer (rule 11); if they cannot, the CRO rules, finally.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import partial

from bot.handbook import facts
from bot.handbook.directory import Person, Role
from bot.handbook.results import Allowed, Refused

GLOBAL_OWNER = "global_owner"
TERRITORY_REP = "territory_rep"
MANAGERS = "managers"
CRO = "cro"


_facts = partial(facts.process, "escalation")
_section = partial(facts.process_section, "rules_of_engagement")


class EscalationState(StrEnum):
    REQUESTED = "requested"
    KEPT = "kept"
    REASSIGNED = "reassigned"
    DISPUTED = "disputed"
    MANAGERS_AGREED_TRANSFER = "managers_agreed_transfer"
    MANAGERS_AGREED_KEEP = "managers_agreed_keep"
    MANAGERS_SPLIT = "managers_split"
    CRO_TRANSFER = "cro_transfer"
    CRO_KEEP = "cro_keep"
    ACCEPTED_KEEP = "accepted_keep"
    WITHDRAWN = "withdrawn"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATES


FINAL_STATES = frozenset(
    {
        EscalationState.REASSIGNED,
        EscalationState.MANAGERS_AGREED_TRANSFER,
        EscalationState.MANAGERS_AGREED_KEEP,
        EscalationState.CRO_TRANSFER,
        EscalationState.CRO_KEEP,
        EscalationState.ACCEPTED_KEEP,
        EscalationState.WITHDRAWN,
    }
)


class Decision(StrEnum):
    TRANSFER = "transfer"
    KEEP = "keep"


class Mode(StrEnum):
    ONE = "one"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class StepSpec:
    """Who must decide next: role keys, and one or all of them (`pending`: who is left)."""

    roles: tuple[str, ...]
    mode: Mode = Mode.ONE
    pending: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EscalationContext:
    """Who plays each part in one request; `votes`: managers' votes so far (id -> transfer?)."""

    global_owner: str
    territory_rep: str
    managers: tuple[str, ...] = ()
    cro: str | None = None
    named: bool = False
    rep_named_count: int = 0
    votes: Mapping[str, bool] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Transition:
    new_state: EscalationState
    next_step: StepSpec | None
    outcome: Decision | None = None
    notify: frozenset[str] = frozenset()
    votes: Mapping[str, bool] = field(default_factory=dict)


# Events: each carries the slack_id of whoever acted.
@dataclass(frozen=True, slots=True)
class RequestReassignment:
    """Rule 7: the territory rep asks, explaining with rule 13's considerations or a stand-alone reason."""

    actor: str
    explanation: str
    considerations: frozenset[str] = frozenset()
    stand_alone_reason: str | None = None


@dataclass(frozen=True, slots=True)
class HandOff:
    """Rule 6: the global owner reassigns a child account on their own, with an explanation."""

    actor: str
    explanation: str
    effective_on: date | None = None
    agreed_by: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reassign:
    """Rule 7: the global owner agrees to the request. Named accounts need an agreed time frame (rule 4)."""

    actor: str
    effective_on: date | None = None
    agreed_by: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Keep:
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptKeep:
    actor: str


@dataclass(frozen=True, slots=True)
class Dispute:
    actor: str
    comment: str = ""


@dataclass(frozen=True, slots=True)
class ManagerVote:
    actor: str
    transfer: bool


@dataclass(frozen=True, slots=True)
class CroRuling:
    actor: str
    transfer: bool


@dataclass(frozen=True, slots=True)
class Withdraw:
    actor: str


Event = (
    RequestReassignment
    | HandOff
    | Reassign
    | Keep
    | AcceptKeep
    | Dispute
    | ManagerVote
    | CroRuling
    | Withdraw
)

_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def is_compelling_reason(text: str) -> Allowed | Refused:
    """Rule 7: keeping an account needs "a compelling and explicit reason", not a stock refusal."""
    rules = _facts()["compelling_reason"]
    words = _words(text)
    normalized = " ".join(words)
    stock = {" ".join(_words(phrase)) for phrase in rules["stock_refusals"]}
    if normalized in stock:
        return Refused(
            f'"{text.strip()}" is a stock refusal; say why this account is best managed globally.', _section()
        )
    if len(words) < rules["min_words"]:
        return Refused(
            f"Give a compelling, explicit reason of at least {rules['min_words']} words "
            f"(this one has {len(words)}).",
            _section(),
        )
    if len(set(words)) < rules["min_distinct_words"]:
        return Refused(
            f"Give an explicit reason of at least {rules['min_distinct_words']} different words.",
            _section(),
        )
    return Allowed("The reason is explicit enough to keep the account globally.", _section())


def _check_request(event: RequestReassignment) -> Refused | None:
    """Rule 7 asks for an explanation; rule 13 or a stand-alone child exception says what it should cover."""
    rules = _facts()
    unknown = sorted(set(event.considerations) - set(rules["rule_13_considerations"]))
    if unknown:
        return Refused(f"Unknown rule 13 considerations: {', '.join(unknown)}.", _section(), "considerations")
    reasons = rules["stand_alone_child_reasons"]
    if event.stand_alone_reason is not None and event.stand_alone_reason not in reasons:
        return Refused(
            f"Unknown stand-alone child reason: {event.stand_alone_reason}.", _section(), "considerations"
        )
    if not event.considerations and event.stand_alone_reason is None:
        listed = "; ".join(rules["rule_13_considerations"].values())
        return Refused(
            f"Say which rule 13 considerations apply ({listed}) or which stand-alone exception does.",
            _section(),
            "considerations",
        )
    return None


def _check_named_transfer(
    ctx: EscalationContext, effective_on: date | None, agreed_by: frozenset[str]
) -> Refused | None:
    """Rules 3 and 4: a named account's time frame is agreed by both reps and managers; 30 per rep at most."""
    if not ctx.named:
        return None
    cap = facts.load("processes")["named_accounts"]["max_per_rep"]
    if ctx.rep_named_count >= cap:
        return Refused(
            f"The territory rep already owns {ctx.rep_named_count} named accounts; the most is {cap}.",
            _section(),
            "rep",
        )
    if effective_on is None:
        return Refused(
            "A named account transfer needs an agreed time frame (rule 4): give the transfer date.",
            _section(),
            "date",
        )
    needed = (ctx.global_owner, ctx.territory_rep, *ctx.managers)
    missing = [person for person in dict.fromkeys(needed) if person not in agreed_by]
    if missing:
        return Refused(
            f"Reps and managers must agree the time frame (rule 4): waiting for {', '.join(missing)}.",
            _section(),
            "date",
        )
    return None


def _actor_is(actor: str, expected: str | None, role_key: str) -> Refused | None:
    if actor != expected:
        return Refused(f"Only the {role_key.replace('_', ' ')} can do this at this step.", _section())
    return None


_MANAGERS_STEP_ROLES = (MANAGERS,)


def _managers_step(ctx: EscalationContext, votes: Mapping[str, bool]) -> StepSpec:
    pending = tuple(manager for manager in ctx.managers if manager not in votes)
    return StepSpec(_MANAGERS_STEP_ROLES, Mode.ALL, pending)


def _unless(transition: Transition, *checks: Refused | None) -> Transition | Refused:
    """The first refusal among `checks`, else the transition (a Refused is falsy, so no `or` chains)."""
    return next((check for check in checks if check is not None), transition)


def _check_explained(explanation: str, who: str) -> Refused | None:
    minimum = _facts()["request"]["min_explanation_words"]
    if len(_words(explanation)) < minimum:
        return Refused(f"Explain this to the {who} in at least {minimum} words.", _section(), "explanation")
    return None


def advance(state: EscalationState | None, event: Event, ctx: EscalationContext) -> Transition | Refused:
    """Apply one event to a request in `state` (None before it exists); Refused if the rules forbid it."""
    if state is not None and state.is_final:
        return Refused(f"This request is already settled ({state.value}).", _section())
    everyone = frozenset({GLOBAL_OWNER, TERRITORY_REP, MANAGERS})
    transferred = Transition(EscalationState.REASSIGNED, None, Decision.TRANSFER, frozenset({TERRITORY_REP}))
    match state, event:
        case None, RequestReassignment():
            requested = Transition(
                EscalationState.REQUESTED, StepSpec((GLOBAL_OWNER,)), notify=frozenset({GLOBAL_OWNER})
            )
            return _unless(
                requested,
                _actor_is(event.actor, ctx.territory_rep, TERRITORY_REP),
                _check_explained(event.explanation, "global owner (rule 7)"),
                _check_request(event),
            )
        case None, HandOff():
            return _unless(
                transferred,
                _actor_is(event.actor, ctx.global_owner, GLOBAL_OWNER),
                _check_explained(event.explanation, "territory rep (rule 6)"),
                _check_named_transfer(ctx, event.effective_on, event.agreed_by),
            )
        case EscalationState.REQUESTED, Reassign():
            return _unless(
                transferred,
                _actor_is(event.actor, ctx.global_owner, GLOBAL_OWNER),
                _check_named_transfer(ctx, event.effective_on, event.agreed_by),
            )
        case EscalationState.REQUESTED, Keep():
            reason = is_compelling_reason(event.reason)
            kept = Transition(
                EscalationState.KEPT, StepSpec((TERRITORY_REP,)), notify=frozenset({TERRITORY_REP})
            )
            return _unless(
                kept,
                _actor_is(event.actor, ctx.global_owner, GLOBAL_OWNER),
                reason if isinstance(reason, Refused) else None,
            )
        case EscalationState.KEPT, AcceptKeep():
            accepted = Transition(
                EscalationState.ACCEPTED_KEEP, None, Decision.KEEP, frozenset({GLOBAL_OWNER})
            )
            return _unless(accepted, _actor_is(event.actor, ctx.territory_rep, TERRITORY_REP))
        case EscalationState.KEPT, Dispute():
            no_managers = Refused(
                "Neither rep has an ASM or above on record to take the dispute to.", _section()
            )
            disputed = Transition(
                EscalationState.DISPUTED, _managers_step(ctx, {}), notify=frozenset({MANAGERS, GLOBAL_OWNER})
            )
            return _unless(
                disputed,
                _actor_is(event.actor, ctx.territory_rep, TERRITORY_REP),
                None if ctx.managers else no_managers,
            )
        case EscalationState.DISPUTED, ManagerVote():
            return _vote(event, ctx)
        case EscalationState.MANAGERS_SPLIT, CroRuling():
            ruled = (
                Transition(EscalationState.CRO_TRANSFER, None, Decision.TRANSFER, everyone)
                if event.transfer
                else Transition(EscalationState.CRO_KEEP, None, Decision.KEEP, everyone)
            )
            return _unless(ruled, _actor_is(event.actor, ctx.cro, CRO))
        case EscalationState.REQUESTED | EscalationState.KEPT | EscalationState.DISPUTED, Withdraw():
            withdrawn = Transition(EscalationState.WITHDRAWN, None, None, frozenset({GLOBAL_OWNER}))
            return _unless(withdrawn, _actor_is(event.actor, ctx.territory_rep, TERRITORY_REP))
    where = "before a request exists" if state is None else f"when the request is {state.value}"
    return Refused(f"{type(event).__name__} is not a step {where}.", _section())


def _vote(event: ManagerVote, ctx: EscalationContext) -> Transition | Refused:
    """Rule 11: the current and next ASM or above must both agree to transfer; else the CRO rules."""
    if event.actor not in ctx.managers:
        return Refused("Only the reps' managers (ASM or above) vote on a disputed account.", _section())
    if event.actor in ctx.votes:
        return Refused("You have already voted on this request.", _section())
    votes = {**ctx.votes, event.actor: event.transfer}
    everyone = frozenset({GLOBAL_OWNER, TERRITORY_REP, MANAGERS})
    if len(set(votes.values())) > 1:
        if ctx.cro is None:
            return Refused("The managers disagree and no CRO is on record to rule.", _section())
        return Transition(EscalationState.MANAGERS_SPLIT, StepSpec((CRO,)), None, frozenset({CRO}), votes)
    if any(manager not in votes for manager in ctx.managers):
        return Transition(EscalationState.DISPUTED, _managers_step(ctx, votes), None, frozenset(), votes)
    if event.transfer:
        return Transition(EscalationState.MANAGERS_AGREED_TRANSFER, None, Decision.TRANSFER, everyone, votes)
    return Transition(EscalationState.MANAGERS_AGREED_KEEP, None, Decision.KEEP, everyone, votes)


def _is_manager_role(person: Person) -> bool:
    return person.role.value in _facts()["manager_roles"]


def _first_manager(rep: Person, people_by_id: Mapping[str, Person]) -> Person | None:
    """Walk up `rep`'s managers to the first ASM or above (rule 11: "the current and next ASM or above")."""
    seen: set[str] = {rep.slack_id}
    current = people_by_id.get(rep.manager) if rep.manager else None
    for _ in range(_facts()["max_manager_chain"]):
        if current is None or current.slack_id in seen:
            return None
        if _is_manager_role(current):
            return current
        seen.add(current.slack_id)
        current = people_by_id.get(current.manager) if current.manager else None
    return None


def managers_for(rep_a: Person, rep_b: Person, people_by_id: Mapping[str, Person]) -> list[Person]:
    """Both reps' managers at ASM level or above, each once (one person when they share a manager)."""
    found = (_first_manager(rep, people_by_id) for rep in (rep_a, rep_b))
    unique = {person.slack_id: person for person in found if person is not None}
    return list(unique.values())


def cro_of(people: Iterable[Person]) -> Person | None:
    """The CRO, who rules when the managers cannot agree (rule 11)."""
    final_role = Role(_facts()["final_role"])
    return next((person for person in people if person.role is final_role), None)


def rep_still_fits(
    rep: Person | None, *, may_see_account: bool, named: bool, rep_named_count: int
) -> list[str]:
    """Why the territory rep can no longer take the account, if anything changed since the request
    (Rules of Engagement 3 and 11, "Record Visibility"); empty when they still can."""
    if rep is None:
        return ["the territory rep is no longer in the sales directory"]
    failed = []
    roles = _facts()["territory_rep_roles"]
    if str(rep.role) not in roles:
        failed.append(f"{rep.name} is now {rep.role}; the territory rep must be one of {', '.join(roles)}")
    if not may_see_account:
        failed.append("public sector accounts stay with the public sector team")
    cap = facts.load("processes")["named_accounts"]["max_per_rep"]
    if named and rep_named_count >= cap:
        failed.append(f"{rep.name} already owns {rep_named_count} named accounts; the most is {cap}")
    return failed
