"""The SAO checklist: Authority, Initiative, Fit, Timing ("Criteria for Sales Accepted Opportunity (SAO)")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.handbook.sao import SaoAnswers, check_sao

TODAY = date(2024, 6, 1)
COMPLETE = SaoAnswers(
    authority=True,
    initiative=True,
    current_tools="Jenkins, GitHub",
    entry_use_case="CI",
    potential_seats=200,
    next_step_date=date(2024, 6, 20),
)


@pytest.mark.parametrize(
    ("answers", "meets", "missing_starts"),
    [
        (COMPLETE, True, []),
        (replace(COMPLETE, authority=False), False, ["Authority"]),
        (replace(COMPLETE, authority=None), False, ["Authority"]),
        (replace(COMPLETE, initiative=False), False, ["Initiative"]),
        (replace(COMPLETE, current_tools="  "), False, ["Fit: current"]),
        (replace(COMPLETE, entry_use_case=None), False, ["Fit: expected entry point"]),
        (replace(COMPLETE, potential_seats=None), False, ["Fit: potential seats"]),
        (replace(COMPLETE, potential_seats=0), False, ["Fit: potential seats"]),
        (replace(COMPLETE, potential_seats=None, new_account_or_buying_group=False), True, []),
        (replace(COMPLETE, next_step_date=None), False, ["Timing"]),
        (replace(COMPLETE, next_step_date=date(2024, 7, 31)), True, []),  # 60 days
        (
            replace(COMPLETE, next_step_date=date(2024, 8, 1)),
            False,
            ["Timing: the next step is more than 60"],
        ),
        (
            replace(COMPLETE, next_step_date=date(2024, 5, 31)),
            False,
            ["Timing: the next step date has passed"],
        ),
        (
            SaoAnswers(),
            False,
            ["Authority", "Initiative", "Fit: current", "Fit: expected", "Fit: potential", "Timing"],
        ),
    ],
)
def test_an_opportunity_meets_the_sao_criteria_only_when_all_are_met(
    answers: SaoAnswers, meets: bool, missing_starts: list[str]
) -> None:
    result = check_sao(answers, TODAY)
    assert result.meets is meets
    assert len(result.missing) == len(missing_starts)
    assert all(line.startswith(start) for line, start in zip(result.missing, missing_starts, strict=True))
    assert result.section == "criteria-for-sales-accepted-opportunity-sao"


def test_a_next_step_beyond_60_days_keeps_the_opportunity_with_the_sdr() -> None:
    result = check_sao(replace(COMPLETE, next_step_date=date(2024, 9, 1)), TODAY)
    assert any("remains in stage 0 and in SDR ownership" in note for note in result.notes)


def test_an_influencer_not_directly_involved_stays_with_the_sdr() -> None:
    result = check_sao(replace(COMPLETE, authority=False), TODAY)
    assert any("SDR keeps the opportunity" in note for note in result.notes)
