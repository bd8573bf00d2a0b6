"""Fiscal quarters and business days for the handbook's review periods and SLAs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, partial

import holidays

from bot.handbook import facts

MONTHS_PER_QUARTER = 3
QUARTERS_PER_YEAR = 4
SATURDAY = 5


_facts = partial(facts.process, "calendar")


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """The fiscal year starts on the first day of `start_month`; it is named by the calendar year it ends in.

    With a February start, fiscal Q4 is November to January: the "Sales Segment and Hierarchy Review Process"
    runs then and its results apply from the start of Q1.
    """

    start_month: int = field(default_factory=lambda: int(_facts()["fiscal_year_start_month"]))
    review_quarter: int = field(default_factory=lambda: int(_facts()["review_quarter"]))

    def quarter_of(self, day: date) -> tuple[int, int]:
        """(fiscal_year, quarter 1-4) for a date."""
        offset = (day.month - self.start_month) % 12
        fiscal_year = day.year + 1 if self.start_month > 1 and day.month >= self.start_month else day.year
        return fiscal_year, offset // MONTHS_PER_QUARTER + 1

    def quarter_start(self, fiscal_year: int, quarter: int) -> date:
        """First day of a fiscal quarter."""
        first_year = fiscal_year - 1 if self.start_month > 1 else fiscal_year
        months = self.start_month - 1 + (quarter - 1) * MONTHS_PER_QUARTER
        return date(first_year + months // 12, months % 12 + 1, 1)

    def is_review_period(self, day: date) -> bool:
        """True in the fiscal quarter when Sales Ops reviews segments ("Hierarchy Review")."""
        return self.quarter_of(day)[1] == self.review_quarter

    def next_q1_start(self, day: date) -> date:
        """The first day of the next fiscal Q1 strictly after `day`: when review results are enforced."""
        fiscal_year, _ = self.quarter_of(day)
        return self.quarter_start(fiscal_year + 1, 1)


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekdays that are not public holidays of `country`/`subdivision` ("Contact Requests")."""

    country: str = field(default_factory=lambda: str(_facts()["country"]))
    subdivision: str | None = None
    extra_holidays: tuple[date, ...] = ()

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country, subdiv=self.subdivision)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and day not in self._holidays and day not in self.extra_holidays

    def add_business_days(self, moment: datetime, n: int) -> datetime:
        """The same time of day `n` business days later (earlier if negative), skipping holidays."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        current = moment
        while remaining:
            current += timedelta(days=step)
            if self.is_business_day(current.date()):
                remaining -= 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days d with start < d <= end; negative when end is before start."""
        if end < start:
            return -self.business_days_between(end, start)
        return sum(1 for day in _days_after(start, end) if self.is_business_day(day))

    def sla_due(self, received_at: datetime, days: int | None = None) -> datetime:
        """When a Contact Us or Professional Service request needs follow-up ("Contact Requests")."""
        return self.add_business_days(
            received_at, int(_facts()["sla_business_days"]) if days is None else days
        )


def _days_after(start: date, end: date) -> Iterable[date]:
    for offset in range(1, (end - start).days + 1):
        yield start + timedelta(days=offset)


def reminder_at(
    due: datetime,
    before: timedelta | None = None,
    *,
    received_at: datetime | None = None,
    fraction: float | None = None,
) -> datetime:
    """When to nudge the owner before an SLA is due.

    `fraction` of the window from `received_at` to `due` before due, if both are given; otherwise `before`
    (default from the data, two hours).
    """
    if fraction is not None and received_at is not None:
        return due - (due - received_at) * fraction
    if before is None:
        before = timedelta(minutes=int(_facts()["reminder_before_minutes"]))
    return due - before
