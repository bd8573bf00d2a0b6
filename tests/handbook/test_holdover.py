"""Holdover of open opportunities on transferred accounts ("Account Ownership Rules of Engagement" 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.handbook.directory import Opportunity
from bot.handbook.holdover import (
    Holdover,
    check_extension,
    extended_end,
    extension_deadline,
    holdover_end,
    holdovers_on_transfer,
    is_open,
    may_request_extension,
    report_key,
    weekly_reports,
)
from bot.handbook.results import Allowed

CREATED = date(2026, 1, 10)


def test_holdover_ends_180_days_and_extension_deadline_is_day_120() -> None:
    assert holdover_end(CREATED) == date(2026, 7, 9)
    assert extension_deadline(CREATED) == date(2026, 5, 10)


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(0, True), (119, True), (120, True), (121, False), (180, False)],
)
def test_an_extension_can_be_requested_up_to_day_120(day: int, allowed: bool) -> None:
    result = may_request_extension(CREATED, CREATED + timedelta(days=day))
    assert isinstance(result, Allowed) is allowed
    if not allowed:
        assert "day 120" in result.reason and f"day {day}" in result.reason


TODAY = date(2026, 4, 1)
EVIDENCE = "Signed order form is with their legal team, signature expected next week."


@pytest.mark.parametrize(
    ("close_in_days", "evidence", "allowed"),
    [
        (30, EVIDENCE, True),
        (90, EVIDENCE, True),
        (91, EVIDENCE, False),
        (-1, EVIDENCE, False),
        (30, "trust me", False),
        (30, "", False),
    ],
)
def test_extension_evidence_must_claim_close_within_90_days(
    close_in_days: int, evidence: str, allowed: bool
) -> None:
    result = check_extension(TODAY + timedelta(days=close_in_days), TODAY, evidence)
    assert isinstance(result, Allowed) is allowed


@pytest.mark.parametrize(
    ("stage", "open_"),
    [
        ("1-Discovery", True),
        ("00-Pre Opportunity", True),
        ("6-Awaiting Signature", True),
        ("7-Closed Won", False),
        ("6-Closed Won", False),
        ("8-Closed Lost", False),
        ("7-Closed Lost", False),
        ("9-Unqualified", False),
        ("8-Unqualified", False),
        ("10-Duplicate", False),
        ("9-Duplicate", False),
        ("closed won", False),
        (" 7 - Closed  Won ", False),
        ("Closed-Lost", False),
    ],
)
def test_stages_are_read_loosely(stage: str, open_: bool) -> None:
    assert is_open(stage) is open_


def opp(
    oid: str,
    stage: str = "3-Technical Evaluation",
    owner: str = "old",
    created: date | None = CREATED,
    type_: str | None = "New Business",
) -> Opportunity:
    return Opportunity(oid, oid, "acc", owner, stage, type=type_, created_date=created)


TRANSFERRED = date(2026, 3, 1)


def test_only_the_old_owners_open_opportunities_younger_than_180_days_are_held_over() -> None:
    opportunities = [
        opp("open"),
        opp("won", stage="7-Closed Won"),
        opp("other-owner", owner="someone"),
        opp("too-old", created=TRANSFERRED - timedelta(days=180)),
        opp("day-179", created=TRANSFERRED - timedelta(days=179)),
        opp("no-date", created=None),
    ]
    held = holdovers_on_transfer(opportunities, "old", "new", TRANSFERRED)
    assert [(h.opportunity.opportunity_id, h.ends_on) for h in held] == [
        ("open", date(2026, 7, 9)),
        ("day-179", TRANSFERRED + timedelta(days=1)),
        ("no-date", TRANSFERRED + timedelta(days=180)),
    ]
    assert all((h.original_owner, h.new_owner) == ("old", "new") for h in held)


HOLD = Holdover(opp("o1"), "old", "new", holdover_end(CREATED))


@pytest.mark.parametrize(
    ("type_", "key"),
    [
        ("New Business", "new_business_add_ons"),
        ("Add-On Business", "new_business_add_ons"),
        ("add on business", "new_business_add_ons"),
        ("Renewal", "renewals"),
        ("renewal ", "renewals"),
        (None, "new_business_add_ons"),
    ],
)
def test_each_type_belongs_to_one_of_the_two_reports(type_: str | None, key: str) -> None:
    assert report_key(type_) == key


def test_weekly_reports_split_running_holdovers_soonest_first() -> None:
    today = date(2026, 6, 1)
    holdovers = [
        Holdover(opp("nb-late"), "old", "new", date(2026, 8, 1)),
        Holdover(opp("nb-soon", type_="Add-On Business"), "old", "new", date(2026, 6, 15)),
        Holdover(opp("renew", type_="Renewal"), "old", "new", date(2026, 7, 1)),
        Holdover(opp("ended"), "old", "new", date(2026, 5, 31)),
    ]
    reports = weekly_reports(holdovers, today)
    assert [(r.key, [h.opportunity.opportunity_id for h in r.holdovers]) for r in reports] == [
        ("new_business_add_ons", ["nb-soon", "nb-late"]),
        ("renewals", ["renew"]),
    ]
    assert reports[1].url.endswith("00O61000004hmUy")


@pytest.mark.parametrize(
    ("ends_on", "asked_on", "extended"),
    [
        (date(2027, 3, 30), date(2027, 1, 29), date(2027, 4, 29)),  # asked on day 120: 90 days on
        (date(2027, 3, 30), date(2026, 11, 24), date(2027, 3, 30)),  # asked early: never shorter
        (date(2027, 3, 30), date(2026, 12, 31), date(2027, 3, 31)),
    ],
)
def test_a_granted_extension_covers_the_next_90_days(ends_on: date, asked_on: date, extended: date) -> None:
    assert extended_end(ends_on, asked_on) == extended


@pytest.mark.parametrize(
    ("close_in_days", "evidence", "field"),
    [
        (30, "signed", "evidence"),
        (-1, "the customer signed the order form and legal approved it", ""),
        (400, "the customer signed the order form and legal approved it", ""),
    ],
)
def test_an_extension_refusal_names_the_evidence_field_only_when_evidence_is_wrong(
    close_in_days: int, evidence: str, field: str
) -> None:
    result = check_extension(TODAY + timedelta(days=close_in_days), TODAY, evidence)
    assert not result
    assert getattr(result, "field", None) == field


@pytest.mark.parametrize(
    ("created", "owner", "stage", "moves"),
    [
        (date(2026, 5, 2), "old", "4-Proposal", True),  # day 206: past the 180 days, moves now
        (date(2026, 5, 28), "old", "4-Proposal", True),  # exactly day 180: its last day was today
        (date(2026, 5, 29), "old", "4-Proposal", False),  # day 179: held over one more day
        (date(2026, 5, 2), "old", "7-Closed Won", False),  # closed: nothing moves
        (date(2026, 5, 2), "someone else", "4-Proposal", False),  # not the old owner's
        (None, "old", "4-Proposal", False),  # no creation date: counted from the transfer, held over
    ],
)
def test_an_opportunity_already_past_180_days_moves_with_the_account(
    created: date | None, owner: str, stage: str, moves: bool
) -> None:
    from bot.handbook.holdover import moving_with_account

    transfer = date(2026, 11, 24)
    o = Opportunity("O", "O", "acc", owner, stage, created_date=created)
    assert (moving_with_account([o], "old", transfer) == [o]) is moves
    held = holdovers_on_transfer([o], "old", "new", transfer)
    assert not (moves and held)  # never both: kept forever was the bug
