"""Segments and hierarchies ("Segmentation", Rules of Engagement 8)."""

from __future__ import annotations

import pytest

from bot.handbook import facts
from bot.handbook.directory import Account, Segment
from bot.handbook.segments import EmployeeCount, effective_segment, employee_count, hierarchy_of, segment_for


@pytest.mark.parametrize(
    ("employees", "expected"),
    [
        (None, None),
        (-1, None),
        (0, Segment.SMB),
        (99, Segment.SMB),
        (100, Segment.MID_MARKET),
        (1_999, Segment.MID_MARKET),
        (2_000, Segment.LARGE),
        (250_000, Segment.LARGE),
    ],
)
def test_segment_for_uses_the_handbook_bands(employees: int | None, expected: Segment | None) -> None:
    assert segment_for(employees) == expected


@pytest.mark.parametrize(
    ("override", "datafox", "zoominfo", "expected"),
    [
        (None, None, None, None),
        (None, None, 2_400, EmployeeCount(2_400, "Zoominfo")),
        (None, 80, 2_400, EmployeeCount(80, "DataFox")),
        (None, 0, 2_400, EmployeeCount(0, "DataFox")),  # zero is a count, not a blank
        (500, 80, 2_400, EmployeeCount(500, "Admin override")),
    ],
)
def test_employee_count_prefers_override_then_datafox_then_zoominfo(
    override: int | None, datafox: int | None, zoominfo: int | None, expected: EmployeeCount | None
) -> None:
    account = Account(
        "a", "A", employees_override=override, employees_datafox=datafox, employees_zoominfo=zoominfo
    )
    assert employee_count(account) == expected


def test_the_segment_bands_are_contiguous_from_zero() -> None:
    bands = facts.load("ownership")["segments"]
    assert bands[0]["min"] == 0 and bands[-1]["max"] is None
    assert all(lower["max"] + 1 == upper["min"] for lower, upper in zip(bands, bands[1:], strict=False))


def test_linkedin_is_never_an_employee_count_source() -> None:
    labels = [s["label"].lower() for s in facts.load("ownership")["employee_count_sources"]]
    assert labels == ["admin override", "datafox", "zoominfo"]


def _accounts(*rows: Account) -> dict[str, Account]:
    return {a.account_id: a for a in rows}


TREE = _accounts(
    Account("p", "Initech", employees_datafox=80),
    Account("c1", "Initech GmbH", parent_id="p", employees_zoominfo=2_400),
    Account("c2", "Initech Ltd", parent_id="p", employees_datafox=150),
    Account("g", "Initech Labs", parent_id="c1"),
    Account("x", "Other Co", employees_datafox=5),
)


@pytest.mark.parametrize(
    ("start", "parent", "members"),
    [
        ("p", "p", ["p", "c1", "c2", "g"]),
        ("g", "p", ["p", "c1", "c2", "g"]),
        ("c2", "p", ["p", "c1", "c2", "g"]),
        ("x", "x", ["x"]),
    ],
)
def test_hierarchy_of_finds_the_ultimate_parent_and_every_member(
    start: str, parent: str, members: list[str]
) -> None:
    hierarchy = hierarchy_of(start, TREE)
    assert hierarchy.ultimate_parent.account_id == parent
    assert [m.account_id for m in hierarchy.members] == members
    assert hierarchy.account.account_id == start
    assert not hierarchy.cycle


@pytest.mark.parametrize("start", ["a", "b", "c", "d"])
def test_hierarchy_of_survives_a_parent_loop_and_picks_the_same_parent_from_anywhere(start: str) -> None:
    loop = _accounts(
        Account("a", "A", parent_id="c"),
        Account("b", "B", parent_id="a"),
        Account("c", "C", parent_id="b"),
        Account("d", "D", parent_id="b"),
    )
    hierarchy = hierarchy_of(start, loop)
    assert hierarchy.cycle
    assert hierarchy.ultimate_parent.account_id == "a"
    assert {m.account_id for m in hierarchy.members} == {"a", "b", "c", "d"}


def test_a_missing_parent_leaves_the_topmost_known_account_as_ultimate_parent() -> None:
    hierarchy = hierarchy_of("c", _accounts(Account("c", "C", parent_id="gone")))
    assert hierarchy.ultimate_parent.account_id == "c"
    assert hierarchy.missing_parent == "gone"


def parent_and_child(parent: int | None, child: int | None) -> list[Account]:
    """A parent "p" and its child "c" with these DataFox counts."""
    return [
        Account("p", "P", employees_datafox=parent),
        Account("c", "C", parent_id="p", employees_datafox=child),
    ]


@pytest.mark.parametrize(
    ("rows", "segment", "decided_by", "raised_by", "source"),
    [
        (  # the handbook's case: a child raises the global account
            [
                Account("p", "Initech", employees_datafox=80),
                Account("c", "Initech GmbH", parent_id="p", employees_zoominfo=2_400),
            ],
            Segment.LARGE,
            "c",
            "c",
            EmployeeCount(2_400, "Zoominfo"),
        ),
        # the parent is already the largest
        (parent_and_child(5_000, 50), Segment.LARGE, "p", None, EmployeeCount(5_000, "DataFox")),
        # a tie is the parent's
        (parent_and_child(150, 1_500), Segment.MID_MARKET, "p", None, EmployeeCount(150, "DataFox")),
        # the parent has no count: the child decides and raises it
        (parent_and_child(None, 99), Segment.SMB, "c", "c", EmployeeCount(99, "DataFox")),
        (parent_and_child(None, None), None, None, None, None),
    ],
)
def test_effective_segment_is_the_largest_in_the_hierarchy(
    rows: list[Account],
    segment: Segment | None,
    decided_by: str | None,
    raised_by: str | None,
    source: EmployeeCount | None,
) -> None:
    explanation = effective_segment(hierarchy_of("c", _accounts(*rows)))
    assert explanation.segment == segment
    assert (explanation.decided_by.account_id if explanation.decided_by else None) == decided_by
    assert (explanation.raised_by.account_id if explanation.raised_by else None) == raised_by
    assert explanation.source == source


@pytest.mark.parametrize(
    ("account_id", "expected"),
    [
        ("p", "Initech (SMB from DataFox 80) adopts Large from its child Initech GmbH (Zoominfo 2,400)."),
        (
            "c2",
            "Initech Ltd (Mid-Market from DataFox 150) is in Initech's hierarchy and adopts Large: "
            "Initech (SMB from DataFox 80) adopts Large from its child Initech GmbH (Zoominfo 2,400).",
        ),
        (
            "g",
            "Initech Labs (no employee count) is in Initech's hierarchy and adopts Large: "
            "Initech (SMB from DataFox 80) adopts Large from its child Initech GmbH (Zoominfo 2,400).",
        ),
    ],
)
def test_the_segment_summary_says_which_source_and_which_child_decided(
    account_id: str, expected: str
) -> None:
    explanation = effective_segment(hierarchy_of("p", TREE))
    assert explanation.summary(account_id) == expected


def test_the_summary_of_a_hierarchy_the_parent_decides() -> None:
    explanation = effective_segment(hierarchy_of("x", TREE))
    assert explanation.summary() == "Other Co (SMB from DataFox 5) is SMB."
