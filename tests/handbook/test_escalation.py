"""The reassignment escalation chain ("Account Ownership Rules of Engagement", rules 4-13)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import pytest

from bot.handbook.directory import Person, Role
from bot.handbook.escalation import (
    CRO,
    GLOBAL_OWNER,
    MANAGERS,
    TERRITORY_REP,
    AcceptKeep,
    CroRuling,
    Decision,
    Dispute,
    EscalationContext,
    EscalationState,
    Event,
    HandOff,
    Keep,
    ManagerVote,
    Mode,
    Reassign,
    RequestReassignment,
    Transition,
    Withdraw,
    advance,
    cro_of,
    is_compelling_reason,
    managers_for,
)
from bot.handbook.results import Allowed, Refused

S = EscalationState
CTX = EscalationContext(global_owner="G", territory_rep="T", managers=("M1", "M2"), cro="C")
REASON = "The parent's procurement team negotiates one global agreement covering this subsidiary's seats."
REQUEST = RequestReassignment(
    "T",
    "Their CTO buys locally and signs their own order form.",
    frozenset({"decision_making_power", "terms"}),
)


def run(events: Sequence[Event], ctx: EscalationContext = CTX) -> tuple[S | None, Transition | Refused]:
    """Feed events in order, carrying votes forward as the caller would; stop at the first refusal."""
    state: S | None = None
    result: Transition | Refused = Refused("no events")
    for event in events:
        result = advance(state, event, ctx)
        if isinstance(result, Refused):
            return state, result
        state = result.new_state
        ctx = replace(ctx, votes=result.votes)
    return state, result


KEPT = [REQUEST, Keep("G", REASON)]
DISPUTED = [*KEPT, Dispute("T")]
SPLIT = [*DISPUTED, ManagerVote("M1", True), ManagerVote("M2", False)]
BOTH_SIDES = {GLOBAL_OWNER, TERRITORY_REP, MANAGERS}


def path(name: str, events: list[Event], final: S, outcome: Decision | None, notify: set[str]) -> object:
    return pytest.param(events, final, outcome, notify, id=name)


@pytest.mark.parametrize(
    ("events", "final", "outcome", "notify"),
    [
        path("request-goes-to-global-owner", [REQUEST], S.REQUESTED, None, {GLOBAL_OWNER}),
        path("reassign", [REQUEST, Reassign("G")], S.REASSIGNED, Decision.TRANSFER, {TERRITORY_REP}),
        path("kept-asks-rep", KEPT, S.KEPT, None, {TERRITORY_REP}),
        path("keep-accept", [*KEPT, AcceptKeep("T")], S.ACCEPTED_KEEP, Decision.KEEP, {GLOBAL_OWNER}),
        path("dispute", DISPUTED, S.DISPUTED, None, {MANAGERS, GLOBAL_OWNER}),
        path("one-manager-is-not-enough", [*DISPUTED, ManagerVote("M1", True)], S.DISPUTED, None, set()),
        path(
            "managers-agree-transfer",
            [*DISPUTED, ManagerVote("M1", True), ManagerVote("M2", True)],
            S.MANAGERS_AGREED_TRANSFER,
            Decision.TRANSFER,
            BOTH_SIDES,
        ),
        path(
            "managers-agree-keep",
            [*DISPUTED, ManagerVote("M2", False), ManagerVote("M1", False)],
            S.MANAGERS_AGREED_KEEP,
            Decision.KEEP,
            BOTH_SIDES,
        ),
        path("managers-split-goes-to-cro", SPLIT, S.MANAGERS_SPLIT, None, {CRO}),
        path(
            "cro-rules-transfer",
            [*SPLIT, CroRuling("C", True)],
            S.CRO_TRANSFER,
            Decision.TRANSFER,
            BOTH_SIDES,
        ),
        path(
            "cro-rules-keep",
            [*DISPUTED, ManagerVote("M1", False), ManagerVote("M2", True), CroRuling("C", False)],
            S.CRO_KEEP,
            Decision.KEEP,
            BOTH_SIDES,
        ),
        path(
            "rule-6-hand-off",
            [HandOff("G", "Their whole team and budget sit in Munich now.")],
            S.REASSIGNED,
            Decision.TRANSFER,
            {TERRITORY_REP},
        ),
        path("withdraw-request", [REQUEST, Withdraw("T")], S.WITHDRAWN, None, {GLOBAL_OWNER}),
        path("withdraw-dispute", [*DISPUTED, Withdraw("T")], S.WITHDRAWN, None, {GLOBAL_OWNER}),
    ],
)
def test_every_path_of_the_chain_ends_where_the_handbook_says(
    events: list[Event], final: S, outcome: Decision | None, notify: set[str]
) -> None:
    state, result = run(events)
    assert isinstance(result, Transition), result
    assert (state, result.outcome, set(result.notify)) == (final, outcome, notify)
    assert (result.next_step is None) == final.is_final


def test_a_dispute_waits_for_all_managers_and_says_who_is_left() -> None:
    _, result = run([*DISPUTED, ManagerVote("M2", True)])
    assert isinstance(result, Transition)
    assert result.next_step is not None
    assert (result.next_step.roles, result.next_step.mode, result.next_step.pending) == (
        (MANAGERS,),
        Mode.ALL,
        ("M1",),
    )
    assert dict(result.votes) == {"M2": True}


def test_when_both_reps_share_a_manager_that_one_vote_decides() -> None:
    ctx = replace(CTX, managers=("M1",))
    state, result = run([*DISPUTED, ManagerVote("M1", True)], ctx)
    assert isinstance(result, Transition)
    assert (state, result.outcome) == (S.MANAGERS_AGREED_TRANSFER, Decision.TRANSFER)


@pytest.mark.parametrize(
    ("events", "stopped_at", "reason_contains"),
    [
        pytest.param(
            [RequestReassignment("G", REQUEST.explanation, REQUEST.considerations)],
            None,
            "territory rep",
            id="only-territory-rep-requests",
        ),
        pytest.param(
            [RequestReassignment("T", "I want it", frozenset({"terms"}))],
            None,
            "at least",
            id="explanation-too-short",
        ),
        pytest.param(
            [RequestReassignment("T", REQUEST.explanation)], None, "rule 13", id="no-considerations"
        ),
        pytest.param(
            [RequestReassignment("T", REQUEST.explanation, frozenset({"vibes"}))],
            None,
            "vibes",
            id="unknown-consideration",
        ),
        pytest.param(
            [RequestReassignment("T", REQUEST.explanation, stand_alone_reason="cousin")],
            None,
            "cousin",
            id="unknown-stand-alone-reason",
        ),
        pytest.param([REQUEST, Reassign("T")], S.REQUESTED, "global owner", id="rep-cannot-reassign-to-self"),
        pytest.param([REQUEST, Keep("G", "no")], S.REQUESTED, "stock refusal", id="keep-needs-a-real-reason"),
        pytest.param([REQUEST, Keep("M1", REASON)], S.REQUESTED, "global owner", id="manager-cannot-keep"),
        pytest.param([REQUEST, AcceptKeep("T")], S.REQUESTED, "not a step", id="accept-before-keep"),
        pytest.param([*KEPT, Dispute("G")], S.KEPT, "territory rep", id="owner-cannot-dispute"),
        pytest.param([*DISPUTED, ManagerVote("T", True)], S.DISPUTED, "managers", id="rep-cannot-vote"),
        pytest.param(
            [*DISPUTED, ManagerVote("M1", True), ManagerVote("M1", True)],
            S.DISPUTED,
            "already voted",
            id="no-double-vote",
        ),
        pytest.param(
            [*DISPUTED, CroRuling("C", True)], S.DISPUTED, "not a step", id="cro-waits-for-managers"
        ),
        pytest.param(
            [*SPLIT, CroRuling("M1", True)],
            S.MANAGERS_SPLIT,
            "cro",
            id="only-cro-rules",
        ),
        pytest.param([REQUEST, Reassign("G"), Withdraw("T")], S.REASSIGNED, "settled", id="final-is-final"),
        pytest.param([HandOff("G", "local")], None, "explain", id="hand-off-needs-explanation"),
        pytest.param(
            [HandOff("T", "Their whole team and budget sit in Munich now.")],
            None,
            "global owner",
            id="rep-cannot-hand-off",
        ),
    ],
)
def test_invalid_events_are_refused_without_moving_the_request(
    events: list[Event], stopped_at: S | None, reason_contains: str
) -> None:
    state, result = run(events)
    assert isinstance(result, Refused)
    assert state == stopped_at
    assert reason_contains.lower() in result.reason.lower()
    assert result.section == "account-ownership-rules-of-engagement"


def test_a_split_without_a_cro_on_record_is_refused() -> None:
    ctx = replace(CTX, cro=None)
    _, result = run(SPLIT, ctx)
    assert isinstance(result, Refused)


def test_a_dispute_without_managers_is_refused() -> None:
    _, result = run(DISPUTED, replace(CTX, managers=()))
    assert isinstance(result, Refused)


ALL_AGREE = frozenset({"G", "T", "M1", "M2"})
NAMED = replace(CTX, named=True, rep_named_count=12)


@pytest.mark.parametrize(
    ("ctx", "event", "allowed"),
    [
        pytest.param(
            NAMED, Reassign("G", date(2026, 3, 1), ALL_AGREE), True, id="named-all-agree-time-frame"
        ),
        pytest.param(NAMED, Reassign("G", None, ALL_AGREE), False, id="named-needs-time-frame"),
        pytest.param(
            NAMED,
            Reassign("G", date(2026, 3, 1), frozenset({"G", "T", "M1"})),
            False,
            id="named-needs-every-manager",
        ),
        pytest.param(
            NAMED,
            Reassign("G", date(2026, 3, 1), frozenset({"G", "M1", "M2"})),
            False,
            id="named-needs-both-reps",
        ),
        pytest.param(
            replace(NAMED, rep_named_count=29),
            Reassign("G", date(2026, 3, 1), ALL_AGREE),
            True,
            id="named-29th-to-30th-ok",
        ),
        pytest.param(
            replace(NAMED, rep_named_count=30),
            Reassign("G", date(2026, 3, 1), ALL_AGREE),
            False,
            id="named-31st-refused",
        ),
        pytest.param(CTX, Reassign("G"), True, id="not-named-needs-no-time-frame"),
    ],
)
def test_named_accounts_need_an_agreed_time_frame_and_stay_within_30(
    ctx: EscalationContext, event: Reassign, allowed: bool
) -> None:
    result = advance(S.REQUESTED, event, ctx)
    assert isinstance(result, Transition) is allowed, result
    if allowed:
        assert isinstance(result, Transition) and result.outcome is Decision.TRANSFER


def test_a_named_hand_off_checks_the_time_frame_too() -> None:
    event = HandOff("G", "Their whole team and budget sit in Munich now.")
    assert isinstance(advance(None, event, NAMED), Refused)
    assert isinstance(
        advance(None, replace(event, effective_on=date(2026, 3, 1), agreed_by=ALL_AGREE), NAMED), Transition
    )


def test_a_stand_alone_child_reason_can_replace_rule_13_considerations() -> None:
    event = RequestReassignment(
        "T",
        "The franchise buys with its own budget and process.",
        stand_alone_reason="hq_franchise_or_consultant",
    )
    assert isinstance(advance(None, event, CTX), Transition)


@pytest.mark.parametrize(
    ("text", "compelling"),
    [
        ("no", False),
        ("No.", False),
        ("  I want to keep it!  ", False),
        ("because I said so", False),
        ("It is a strategic account for us.", False),  # 7 words: one short
        ("keep keep keep keep keep keep keep keep", False),  # enough words, nothing said
        ("The global MSA covers this child and renewals are negotiated centrally.", True),
        (REASON, True),
    ],
)
def test_keeping_an_account_needs_a_compelling_explicit_reason(text: str, compelling: bool) -> None:
    assert isinstance(is_compelling_reason(text), Allowed) is compelling


PEOPLE = {
    p.slack_id: p
    for p in [
        Person("ae1", "AE One", role=Role.AE, manager="lead"),
        Person("lead", "Team Lead", role=Role.SAL, manager="asm1", team_lead=True),
        Person("asm1", "ASM One", role=Role.ASM, manager="rd"),
        Person("ae2", "AE Two", role=Role.AE, manager="asm2"),
        Person("asm2", "ASM Two", role=Role.ASM, manager="rd"),
        Person("ae3", "AE Three", role=Role.AE, manager="asm1"),
        Person("ae4", "AE Four", role=Role.AE, manager="rd"),
        Person("rd", "RD", role=Role.RD, manager="vp"),
        Person("vp", "VP", role=Role.VP, manager="cro"),
        Person("cro", "CRO", role=Role.CRO),
        Person("orphan", "No Manager", role=Role.AE),
        Person("loop1", "Loop 1", role=Role.AE, manager="loop2"),
        Person("loop2", "Loop 2", role=Role.AE, manager="loop1"),
    ]
}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ae1", "ae2", ["asm1", "asm2"]),  # ae1 skips the team lead
        ("ae1", "ae3", ["asm1"]),  # same ASM: one
        ("ae2", "ae4", ["asm2", "rd"]),  # an RD is "ASM or above"
        ("ae1", "orphan", ["asm1"]),
        ("loop1", "ae2", ["asm2"]),  # a cycle does not hang
    ],
)
def test_managers_for_walks_up_to_asm_or_above(a: str, b: str, expected: list[str]) -> None:
    assert [p.slack_id for p in managers_for(PEOPLE[a], PEOPLE[b], PEOPLE)] == expected


def test_cro_of_finds_the_cro_or_none() -> None:
    assert cro_of(PEOPLE.values()) == PEOPLE["cro"]
    assert cro_of([PEOPLE["ae1"], PEOPLE["vp"]]) is None


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param(RequestReassignment("T", "I want it", frozenset({"terms"})), "explanation", id="short"),
        pytest.param(RequestReassignment("T", REQUEST.explanation), "considerations", id="none-picked"),
        pytest.param(
            RequestReassignment("T", REQUEST.explanation, frozenset({"vibes"})),
            "considerations",
            id="unknown",
        ),
        pytest.param(RequestReassignment("G", REQUEST.explanation, REQUEST.considerations), "", id="who"),
    ],
)
def test_a_refusal_names_the_form_field_that_is_wrong(event: RequestReassignment, field: str) -> None:
    _, result = run([event])
    assert isinstance(result, Refused)
    assert result.field == field
