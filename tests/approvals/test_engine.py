"""The approval state machine, table-driven."""

from __future__ import annotations

import pytest

from bot.approvals.engine import (
    Status,
    StepMode,
    StepSpec,
    StepState,
    Verdict,
    may_cancel,
    may_decide,
    settle,
)

A, R = Verdict.APPROVE, Verdict.REJECT


@pytest.mark.parametrize(
    ("actor", "approvers", "decided", "state", "admin", "allowed", "why"),
    [
        ("U2", ["U2"], {}, StepState.PENDING, False, True, ""),
        ("U3", ["U2"], {}, StepState.PENDING, False, False, "isn't yours"),
        ("U3", ["U2"], {}, StepState.PENDING, True, True, ""),
        ("U1", ["U1", "U2"], {}, StepState.PENDING, True, False, "your own request"),
        ("U2", ["U2"], {"U2": A}, StepState.PENDING, False, False, "already decided"),
        ("U2", ["U2"], {}, StepState.APPROVED, False, False, "already approved"),
        ("U2", ["U2"], {}, StepState.CANCELLED, True, False, "already cancelled"),
    ],
)
def test_who_may_decide(actor, approvers, decided, state, admin, allowed, why) -> None:
    outcome = may_decide(
        actor, requester="U1", approvers=approvers, decided=decided, step_state=state, actor_is_admin=admin
    )
    assert bool(outcome) is allowed
    assert why in outcome.reason


@pytest.mark.parametrize(
    ("mode", "approvers", "decided", "admin", "expected"),
    [
        (StepMode.ONE, ["U2"], {"U2": A}, False, StepState.APPROVED),
        (StepMode.ONE, ["U2"], {"U2": R}, False, StepState.REJECTED),
        (StepMode.ANY, ["U2", "U3"], {"U3": A}, False, StepState.APPROVED),
        (StepMode.ANY, ["U2", "U3"], {"U2": R}, False, StepState.REJECTED),
        (StepMode.ALL, ["U2", "U3"], {"U2": A}, False, StepState.PENDING),
        (StepMode.ALL, ["U2", "U3"], {"U2": A, "U3": A}, False, StepState.APPROVED),
        (StepMode.ALL, ["U2", "U3"], {"U2": A, "U3": R}, False, StepState.REJECTED),
        (StepMode.ALL, ["U2", "U3"], {"U9": A}, True, StepState.APPROVED),
        (StepMode.ALL, ["U2", "U3"], {}, False, StepState.PENDING),
    ],
)
def test_when_a_step_is_settled(mode, approvers, decided, admin, expected) -> None:
    assert settle(mode, approvers, decided, admin_acted=admin) is expected


@pytest.mark.parametrize(("approvers", "mode"), [((), StepMode.ANY), (("U1", "U2"), StepMode.ONE)])
def test_a_step_needs_the_right_number_of_approvers(approvers, mode) -> None:
    with pytest.raises(ValueError):
        StepSpec("x", approvers, mode)


@pytest.mark.parametrize(
    ("actor", "status", "allowed", "why"),
    [
        ("U1", Status.PENDING, True, ""),
        ("U1", Status.ESCALATED, True, ""),
        ("U2", Status.PENDING, False, "only the person who asked"),
        ("U1", Status.APPLIED, False, "already applied"),
        ("U1", Status.CANCELLED, False, "already cancelled"),
    ],
)
def test_who_may_cancel(actor, status, allowed, why) -> None:
    outcome = may_cancel(actor, requester="U1", status=status)
    assert bool(outcome) is allowed
    assert why in outcome.reason
