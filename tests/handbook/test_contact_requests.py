"""Contact Us / professional-service SLA times ("Contact Requests"): business days, holidays, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.handbook.calendar import BusinessCalendar
from bot.handbook.contact_requests import SlaKind, SlaTimes, check_received_at, sla_status, sla_times
from bot.handbook.results import Allowed, Refused

US = BusinessCalendar("US")


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "due", "remind"),
    [
        (at(24, 15), at(25, 15), at(25, 13)),  # Tuesday -> Wednesday
        (at(25, 15), at(27, 15), at(27, 13)),  # Wednesday -> Friday: Thursday is Thanksgiving
        (at(27, 16), at(30, 16), at(30, 14)),  # Friday -> Monday
        (at(28, 10), at(30, 10), at(30, 8)),  # Saturday -> Monday
        (at(24, 9, 12), at(28, 9, 12), at(28, 7, 12)),  # Thursday 24 Dec -> Monday 28 Dec (Christmas Friday)
    ],
)
def test_sla_times(received: datetime, due: datetime, remind: datetime) -> None:
    assert sla_times(US, received) == SlaTimes(received, remind, due)


@pytest.mark.parametrize(
    ("received", "allowed"),
    [
        (at(24, 15), True),
        (at(24, 15) + timedelta(minutes=4), True),
        (at(24, 18), False),
        (at(24, 15) - timedelta(days=29), True),
        (at(24, 15) - timedelta(days=31), False),
    ],
)
def test_check_received_at(received: datetime, allowed: bool) -> None:
    assert isinstance(check_received_at(received, at(24, 15)), Allowed if allowed else Refused)


@pytest.mark.parametrize(
    ("now", "done", "status"),
    [
        (at(25, 10), False, "open"),
        (at(25, 13), False, "due soon"),
        (at(25, 15), False, "overdue"),
        (at(25, 16), True, "done"),
    ],
)
def test_sla_status(now: datetime, done: bool, status: str) -> None:
    assert sla_status(SlaTimes(at(24, 15), at(25, 13), at(25, 15)), now, done) == status


@pytest.mark.parametrize(
    ("kind", "label"), [("contact-us", "Contact Us"), ("professional-services", "Professional services")]
)
def test_kind_labels(kind: str, label: str) -> None:
    assert SlaKind(kind).label == label
