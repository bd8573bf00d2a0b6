"""Table-driven tests for bot/handbook/stages.py, using the handbook's own stage names and examples."""

from __future__ import annotations

from datetime import date

import pytest

from bot.handbook.directory import Opportunity
from bot.handbook.stages import (
    MoveFacts,
    all_stages,
    check_move,
    opportunity_warnings,
    parse_move,
    parse_stage,
    remaining_for,
    revert_target,
    stage,
    thresholds,
)

CANONICAL = [
    "00-Pre Opportunity",
    "0-Pending Acceptance",
    "1-Discovery",
    "2-Scoping",
    "3-Technical Evaluation",
    "4-Proposal",
    "5-Negotiating",
    "6-Awaiting Signature",
    "7-Closed Won",
    "8-Closed Lost",
    "9-Unqualified",
    "10-Duplicate",
]


def test_every_stage_is_listed_in_order_with_a_one_line_summary() -> None:
    stages = all_stages()
    assert [s.label for s in stages] == CANONICAL
    assert all(s.summary and "\n" not in s.summary for s in stages)
    assert all(s.to_complete and s.exit_criteria for s in stages)


def test_thresholds_come_from_the_handbook() -> None:
    limits = thresholds()
    assert (limits.next_step_days, limits.iqm_move_hours, limits.holdover_days, limits.reopen_days) == (
        60,
        48,
        180,
        30,
    )
    assert limits.closed_won_details_iacv == limits.lost_deal_notice_iacv == 12000
    assert (limits.terms_modification_min, limits.own_paper_min) == (25000, 100000)


@pytest.mark.parametrize(
    ("typed", "label", "matched_by"),
    [
        ("3", "3-Technical Evaluation", "number"),
        ("00", "00-Pre Opportunity", "number"),
        ("0", "0-Pending Acceptance", "number"),
        ("10", "10-Duplicate", "number"),
        ("stage 4", "4-Proposal", "number"),
        ("7-Closed Won", "7-Closed Won", "label"),
        ("`8-Closed Lost`", "8-Closed Lost", "label"),
        ("Awaiting Signature", "6-Awaiting Signature", "name"),
        ("closed-won", "7-Closed Won", "name"),
        ("Closed Won", "7-Closed Won", "name"),
        ("Duplicate", "10-Duplicate", "name"),
        ("tech eval", "3-Technical Evaluation", "alias"),
        ("POC", "3-Technical Evaluation", "alias"),
        ("negotiation", "5-Negotiating", "alias"),
        ("dq", "9-Unqualified", "alias"),
        ("negotiatin", "5-Negotiating", "fuzzy"),
        ("Technical Evalutaion", "3-Technical Evaluation", "fuzzy"),
        ("closd lost", "8-Closed Lost", "fuzzy"),
    ],
)
def test_numbers_names_and_near_misses_resolve_to_the_canonical_stage(
    typed: str, label: str, matched_by: str
) -> None:
    match = parse_stage(typed)
    assert match is not None
    assert (match.stage.label, match.matched_by, match.variant_note) == (label, matched_by, None)


@pytest.mark.parametrize("typed", ["", "xyz", "11", "banana bread", "?"])
def test_unknown_text_is_not_a_stage(typed: str) -> None:
    assert parse_stage(typed) is None


@pytest.mark.parametrize(
    ("variant", "label", "what"),
    [
        ("6-Closed Won", "7-Closed Won", "number"),  # Customer Lifecycle table
        ("7-Closed Lost", "8-Closed Lost", "number"),  # 1-Discovery: "not 7-Closed Lost or 9-Duplicate"
        ("8-Unqualified", "9-Unqualified", "number"),  # 0-Pending Acceptance
        ("9-Duplicate", "10-Duplicate", "number"),  # 1-Discovery
        ("0 - Pending Acceptance", "0-Pending Acceptance", "label"),  # Customer Lifecycle table
        ("1 - Discovery", "1-Discovery", "label"),  # Customer Lifecycle table
        ("2 Scoping", "2-Scoping", "label"),  # Customer Lifecycle table: "2 Scoping - 5 Negotiating"
        ("5 Negotiating", "5-Negotiating", "label"),
        ("00-Pre-Opportunity", "00-Pre Opportunity", "label"),  # add-on and PS steps
        ("0-Pending", "0-Pending Acceptance", "label"),  # SAO Authority: "leaving 0-pending status"
    ],
)
def test_every_handbook_variant_resolves_to_the_canonical_stage_with_a_note(
    variant: str, label: str, what: str
) -> None:
    match = parse_stage(variant)
    assert match is not None
    assert match.stage.label == label
    assert (
        match.variant_note
        == f"{variant} is how one part of the handbook writes it; the canonical {what} is {label}."
    )


def test_every_variant_in_the_data_is_covered_by_a_note() -> None:
    for canonical in all_stages():
        for variant in canonical.variants:
            match = parse_stage(variant)
            assert match is not None and match.stage == canonical and match.variant_note


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 -> 5", ("3", "5")),
        ("0-Pending Acceptance -> 1-Discovery", ("0-Pending Acceptance", "1-Discovery")),
        ("tech eval \u2192 closed-won", ("tech eval", "closed-won")),
        ("from negotiation to 3", ("negotiation", "3")),
        ("From 00-Pre Opportunity to 0", ("00-Pre Opportunity", "0")),
        ("3", None),
        ("-> 5", None),
        ("from 3", None),
    ],
)
def test_a_move_is_written_with_an_arrow_or_from_to(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_move(text) == expected


ACCEPTED = MoveFacts(was_accepted=True)
KNOWN = MoveFacts(fields_known=True)


@pytest.mark.parametrize(
    ("frm", "to", "facts", "allowed", "reason_has"),
    [
        # every opportunity starts at 00 and enters 0 before moving on
        ("00", "0", None, True, "Convert to 0-Pending Acceptance"),
        ("00", "1", None, False, "must enter 0-Pending Acceptance"),
        ("00", "7", None, False, "must enter 0-Pending Acceptance"),
        # Unqualified only before acceptance
        ("0", "9", None, True, "9-Unqualified"),
        ("00", "9", None, True, "9-Unqualified"),
        ("1", "9", None, False, "cannot go back to 9-Unqualified"),
        ("0", "9", ACCEPTED, False, "contact Sales Operations"),
        # once qualified, never back to 00 or 0
        ("0", "00", None, True, "passed back to an SDR"),
        ("3", "00", None, False, "cannot go back to 00-Pre Opportunity"),
        ("2", "0", None, False, "contact Sales Operations"),
        # SAO is the move from 0 to 1
        ("0", "1", None, True, "Sales Accepted Opportunity"),
        ("0", "3", None, False, "accept it first"),
        # Duplicate only if never accepted, with the link
        ("0", "10", None, True, "never-accepted"),
        (
            "0",
            "10",
            MoveFacts(duplicate_opportunity="Acme, Inc- 50 Starter", fields_known=True),
            True,
            "Duplicate",
        ),
        ("0", "10", KNOWN, False, "`Duplicate Opportunity` link"),
        ("4", "10", None, False, "8-Closed Lost"),
        ("00", "10", ACCEPTED, False, "cannot be marked as a duplicate"),
        ("4", "10", MoveFacts(upside_iacv=True), True, "Upside IACV"),
        # Closed Lost reasons and their fields
        ("3", "8", None, True, "closed as lost"),
        ("3", "8", KNOWN, False, "at least one Closed Lost Reason"),
        ("3", "8", MoveFacts(closed_lost_reasons=("Competitive Loss",)), False, "`Competitor`"),
        (
            "3",
            "8",
            MoveFacts(closed_lost_reasons=("Competitive Loss",), competitor="Other"),
            True,
            "closed as lost",
        ),
        (
            "3",
            "8",
            MoveFacts(closed_lost_reasons=("Product Maturity",)),
            False,
            "Product Maturity: Product Line",
        ),
        ("3", "8", MoveFacts(closed_lost_reasons=("Product Maturity",), product_stage="Plan"), True, "lost"),
        (
            "5",
            "8",
            MoveFacts(closed_lost_reasons=("Merged into another opportunity",)),
            False,
            "`Merged Opportunity`",
        ),
        (
            "5",
            "8",
            MoveFacts(closed_lost_reasons=("Merged into another opportunity",), merged_opportunity="X"),
            True,
            "lost",
        ),
        # reopening a closed-lost deal within 30 days
        ("8", "3", MoveFacts(days_since_closed=30), True, "within 30 days"),
        ("8", "3", MoveFacts(days_since_closed=31), False, "create a new opportunity"),
        ("7", "5", None, False, "no way out of 7-Closed Won"),
        # reverting, and the handbook's 5 -> 3 -> 5 example
        ("5", "3", None, True, "latest stage where all activities were completed"),
        ("5", "3", MoveFacts(unmet_stages=("3",)), True, "latest stage"),
        ("5", "2", MoveFacts(unmet_stages=("3",)), False, "3-Technical Evaluation"),
        ("3", "5", None, True, "skips 4-Proposal: complete what each stage needs first"),
        ("1", "4", None, True, "skips 2-Scoping and 3-Technical Evaluation"),
        ("3", "4", None, True, "moves it on"),
        # Closed Won details for large/strategic or IACV of $12,000 or more
        ("6", "7", MoveFacts(iacv=12000, fields_known=True), False, "`Closed Won Details`"),
        ("6", "7", MoveFacts(large_or_strategic=True, fields_known=True), False, "`Closed Won Details`"),
        (
            "6",
            "7",
            MoveFacts(iacv=12000, closed_won_details="Won on CI", fields_known=True),
            True,
            "moves it on",
        ),
        ("6", "7", MoveFacts(iacv=11999, large_or_strategic=False, fields_known=True), True, "moves it on"),
        ("3", "3", None, False, "already in"),
    ],
)
def test_a_move_is_allowed_or_refused_with_the_handbooks_reason(
    frm: str, to: str, facts: MoveFacts | None, allowed: bool, reason_has: str
) -> None:
    check = check_move(stage(frm), stage(to), facts)
    assert check.allowed is allowed
    assert reason_has in check.reason
    assert check.section
    assert bool(check.outcome) is allowed


@pytest.mark.parametrize(
    ("frm", "to", "requires_has"),
    [
        ("0", "1", "Populate `Amount`"),
        ("0", "10", "`Duplicate Opportunity` lookup field"),
        ("3", "8", "If the reason is Competitive Loss"),
        ("3", "8", "If the reason is Merged into another opportunity"),
        ("6", "7", "Closed Won Details"),
        ("3", "5", "Complete 4-Proposal"),
        ("8", "2", "re-engaged within 30 days"),
    ],
)
def test_a_move_lists_what_it_requires(frm: str, to: str, requires_has: str) -> None:
    assert any(requires_has in line for line in check_move(stage(frm), stage(to)).requires)


@pytest.mark.parametrize(
    ("frm", "to", "sets_sqo"),
    [
        ("1", "2", True),
        ("1", "7", True),
        ("1", "8", False),  # "not 7-Closed Lost or 9-Duplicate"
        ("0", "10", False),
        ("2", "3", False),
    ],
)
def test_leaving_discovery_for_an_open_or_won_stage_makes_a_sales_qualified_opportunity(
    frm: str, to: str, sets_sqo: bool
) -> None:
    fields = check_move(stage(frm), stage(to)).sets_fields
    assert any("Sales Qualified Date" in f for f in fields) is sets_sqo
    assert any("Initial IACV" in f for f in fields) is sets_sqo


def test_accepting_an_opportunity_sets_the_sales_accepted_date() -> None:
    assert any("Sales Accepted Date" in f for f in check_move(stage("0"), stage("1")).sets_fields)


@pytest.mark.parametrize(
    ("facts", "notified"),
    [
        (MoveFacts(iacv=12000), True),
        (MoveFacts(large_or_strategic=True), True),
        (MoveFacts(iacv=11999.99), False),
        (MoveFacts(iacv=50000, new_business=False), False),
    ],
)
def test_large_lost_new_business_is_announced_in_lost_deals(facts: MoveFacts, notified: bool) -> None:
    notices = check_move(stage("4"), stage("8"), facts).notices
    assert any("#lost-deals" in n for n in notices) is notified


@pytest.mark.parametrize(
    ("current", "unmet", "target"),
    [
        ("5", ["3"], "3"),
        ("5", ["4", "3"], "3"),
        ("5", [], "5"),
        ("4", ["6"], "4"),
    ],
)
def test_reverting_goes_to_the_latest_stage_whose_activities_are_all_complete(
    current: str, unmet: list[str], target: str
) -> None:
    assert revert_target(stage(current), unmet).number == target


def test_what_remains_is_the_stages_activities_and_exit_criteria() -> None:
    remaining = remaining_for(stage("3"))
    assert "Confirm the Technical Win / POC Success." in remaining
    assert remaining[-1].startswith("Exit criteria:")


TODAY = date(2024, 6, 1)


def _opp(stage_text: str, created: date | None = date(2024, 5, 1)) -> Opportunity:
    return Opportunity("006A", "Acme, Inc- 50 Starter", "001A", "U1", stage_text, created_date=created)


@pytest.mark.parametrize(
    ("opp", "kwargs", "codes"),
    [
        (_opp("0-Pending Acceptance"), {"next_step_date": date(2024, 7, 31)}, []),  # 60 days
        (
            _opp("0-Pending Acceptance"),
            {"next_step_date": date(2024, 8, 1)},
            ["next_step_too_far"],
        ),  # 61 days
        (_opp("1-Discovery"), {"next_step_date": date(2024, 9, 1)}, ["next_step_too_far"]),
        (_opp("7-Closed Won"), {"next_step_date": date(2024, 9, 1)}, []),
        (_opp("0-Pending Acceptance"), {"iqm_date": date(2024, 5, 30)}, []),  # 48 hours
        (_opp("0-Pending Acceptance"), {"iqm_date": date(2024, 5, 29)}, ["iqm_not_moved"]),
        (_opp("1-Discovery"), {"iqm_date": date(2024, 5, 1)}, []),
        (_opp("0-Pending Acceptance"), {"iqm_date": date(2024, 6, 5)}, []),  # not held yet
        (_opp("3", date(2023, 12, 4)), {"account_transferred_on": date(2024, 1, 1)}, []),  # 180 days
        (_opp("3", date(2023, 12, 3)), {"account_transferred_on": date(2024, 1, 1)}, ["holdover_expired"]),
        (
            _opp("3", date(2023, 11, 1)),
            {"account_transferred_on": date(2023, 10, 1)},
            [],
        ),  # created after transfer
        (_opp("3", date(2023, 11, 1)), {}, []),
        (_opp("8-Closed Lost", date(2023, 1, 1)), {"account_transferred_on": date(2024, 1, 1)}, []),
        (_opp("6-Closed Won"), {}, ["stage_variant"]),
        (_opp("Qualified (converted)"), {}, ["unknown_stage"]),
    ],
)
def test_an_opportunity_gets_the_handbooks_warnings(
    opp: Opportunity, kwargs: dict[str, date], codes: list[str]
) -> None:
    assert [w.code for w in opportunity_warnings(opp, TODAY, **kwargs)] == codes


@pytest.mark.parametrize(
    ("number", "has"),
    [("8", "within 30 days"), ("7", None), ("3", None), ("10", None)],
)
def test_only_a_lost_deal_can_still_be_reopened(number: str, has: str | None) -> None:
    from bot.handbook.stages import reopen_note, stage

    note = reopen_note(stage(number))
    assert (note is None) if has is None else (note is not None and has in note)
