"""Fiscal quarters ("Sales Segment and Hierarchy Review Process") and business days ("Contact Requests")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.handbook.calendar import BusinessCalendar, FiscalCalendar, reminder_at

FISCAL = FiscalCalendar()


@pytest.mark.parametrize(
    ("day", "quarter"),
    [
        (date(2026, 1, 31), (2026, 4)),
        (date(2026, 2, 1), (2027, 1)),
        (date(2026, 4, 30), (2027, 1)),
        (date(2026, 5, 1), (2027, 2)),
        (date(2026, 7, 31), (2027, 2)),
        (date(2026, 8, 1), (2027, 3)),
        (date(2026, 10, 31), (2027, 3)),
        (date(2026, 11, 1), (2027, 4)),
        (date(2026, 12, 31), (2027, 4)),
        (date(2027, 1, 31), (2027, 4)),
    ],
)
def test_fiscal_quarters_turn_at_month_edges(day: date, quarter: tuple[int, int]) -> None:
    assert FISCAL.quarter_of(day) == quarter


@pytest.mark.parametrize(
    ("day", "review"),
    [
        (date(2026, 10, 31), False),
        (date(2026, 11, 1), True),
        (date(2027, 1, 31), True),
        (date(2027, 2, 1), False),
    ],
)
def test_the_review_period_is_fiscal_q4_november_to_january(day: date, review: bool) -> None:
    assert FISCAL.is_review_period(day) is review


@pytest.mark.parametrize(
    ("day", "q1"),
    [
        (date(2026, 11, 15), date(2027, 2, 1)),
        (date(2027, 1, 31), date(2027, 2, 1)),
        (date(2027, 2, 1), date(2028, 2, 1)),
        (date(2026, 6, 1), date(2027, 2, 1)),
    ],
)
def test_review_results_apply_from_the_next_q1(day: date, q1: date) -> None:
    assert FISCAL.next_q1_start(day) == q1


@pytest.mark.parametrize(
    ("start_month", "day", "quarter"),
    [(1, date(2026, 3, 31), (2026, 1)), (1, date(2026, 4, 1), (2026, 2)), (7, date(2026, 6, 30), (2026, 4))],
)
def test_other_fiscal_year_starts(start_month: int, day: date, quarter: tuple[int, int]) -> None:
    assert FiscalCalendar(start_month=start_month).quarter_of(day) == quarter


US = BusinessCalendar()


@pytest.mark.parametrize(
    ("received", "n", "due"),
    [
        (datetime(2026, 11, 23, 9, 30), 1, datetime(2026, 11, 24, 9, 30)),  # Monday -> Tuesday
        (datetime(2026, 11, 20, 16, 0), 1, datetime(2026, 11, 23, 16, 0)),  # Friday -> Monday
        (datetime(2026, 11, 21, 10, 0), 1, datetime(2026, 11, 23, 10, 0)),  # Saturday -> Monday
        (datetime(2026, 11, 25, 10, 0), 1, datetime(2026, 11, 27, 10, 0)),  # Thanksgiving skipped
        (datetime(2026, 11, 25, 10, 0), 2, datetime(2026, 11, 30, 10, 0)),  # and the weekend
        (datetime(2026, 11, 27, 10, 0), -1, datetime(2026, 11, 25, 10, 0)),
        (datetime(2026, 11, 25, 10, 0), 0, datetime(2026, 11, 25, 10, 0)),
    ],
)
def test_business_days_skip_weekends_and_us_holidays(received: datetime, n: int, due: datetime) -> None:
    assert US.add_business_days(received, n) == due


def test_the_contact_request_sla_is_one_business_day() -> None:
    assert US.sla_due(datetime(2026, 11, 25, 10, 0)) == datetime(2026, 11, 27, 10, 0)
    assert US.sla_due(datetime(2026, 11, 25, 10, 0), days=3) == datetime(2026, 12, 1, 10, 0)


def test_extra_holidays_and_other_countries_count() -> None:
    assert BusinessCalendar(extra_holidays=(date(2026, 11, 24),)).add_business_days(
        datetime(2026, 11, 23, 9), 1
    ) == datetime(2026, 11, 25, 9)
    assert BusinessCalendar(country="DE").add_business_days(datetime(2026, 11, 25, 9), 1) == datetime(
        2026, 11, 26, 9
    )


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2026, 11, 20), date(2026, 11, 23), 1),  # Fri -> Mon
        (date(2026, 11, 23), date(2026, 11, 30), 4),  # Thanksgiving week
        (date(2026, 11, 23), date(2026, 11, 23), 0),
        (date(2026, 11, 30), date(2026, 11, 23), -4),
    ],
)
def test_business_days_between(start: date, end: date, count: int) -> None:
    assert US.business_days_between(start, end) == count


def test_reminders_default_to_two_hours_before_or_a_fraction_of_the_window() -> None:
    due = datetime(2026, 11, 27, 10, 0)
    assert reminder_at(due) == datetime(2026, 11, 27, 8, 0)
    assert reminder_at(due, timedelta(minutes=30)) == datetime(2026, 11, 27, 9, 30)
    assert reminder_at(due, received_at=datetime(2026, 11, 26, 10, 0), fraction=0.25) == datetime(
        2026, 11, 27, 4, 0
    )
