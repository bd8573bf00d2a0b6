"""The approval-chain state machine, pure: who may decide a step and when a step is settled.

A request has ordered steps; each step has approvers and a mode: `one` (the single approver), `any` (the
first of several decides), `all` (every approver must approve; one rejection rejects). Flows (ownership,
escalation, reviews...) decide what a settled step means: apply, open the next step, or finish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.handbook.results import Allowed, Refused


class StepMode(StrEnum):
    ONE = "one"
    ANY = "any"
    ALL = "all"


class Status(StrEnum):
    """A request's state. `applied` means approved and carried out."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ESCALATED = "escalated"
    OVERRULED = "overruled"
    APPLIED = "applied"
    CONFLICT = "conflict"  # applied here, but Salesforce's owner had changed meanwhile: not written there

    @property
    def open(self) -> bool:
        return self in (Status.PENDING, Status.ESCALATED)


class StepState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    ESCALATED = "escalated"
    OVERRULED = "overruled"


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A step to open: `name` says what is being decided (e.g. "current owner", "managers")."""

    name: str
    approvers: tuple[str, ...]
    mode: StepMode = StepMode.ONE
    needs_override: bool = False

    def __post_init__(self) -> None:
        if not self.approvers:
            raise ValueError(f"step {self.name!r} has no approvers")
        if self.mode is StepMode.ONE and len(self.approvers) != 1:
            raise ValueError(f"step {self.name!r} is 'one' but has {len(self.approvers)} approvers")


def may_decide(
    actor: str,
    *,
    requester: str,
    approvers: Sequence[str],
    decided: Mapping[str, Verdict],
    step_state: StepState,
    actor_is_admin: bool,
) -> Allowed | Refused:
    """Only a designated approver, or an admin acting as one; never the requester; once per person."""
    if step_state is not StepState.PENDING:
        return Refused(f"this step was already {step_state.value}")
    if actor == requester:
        return Refused("you can't decide your own request")
    if actor in decided:
        return Refused("you have already decided this step")
    if actor in approvers:
        return Allowed()
    if actor_is_admin:
        return Allowed("an admin acting for the approver")
    return Refused("this approval isn't yours: it waits on someone else")


def may_cancel(actor: str, *, requester: str, status: Status) -> Allowed | Refused:
    """Only the person who asked cancels, and only while the request is still open."""
    if actor != requester:
        return Refused("only the person who asked can cancel a request")
    if not status.open:
        return Refused(f"this request is already {status.value}")
    return Allowed()


def settle(
    mode: StepMode, approvers: Sequence[str], decided: Mapping[str, Verdict], *, admin_acted: bool
) -> StepState:
    """The step's state after the decisions so far (`decided` includes the new one)."""
    if not decided:
        return StepState.PENDING
    if Verdict.REJECT in decided.values():
        return StepState.REJECTED
    if mode is not StepMode.ALL or admin_acted:
        return StepState.APPROVED
    if all(decided.get(a) is Verdict.APPROVE for a in approvers):
        return StepState.APPROVED
    return StepState.PENDING
