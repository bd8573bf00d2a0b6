"""Contact Us and professional-service requests: a one-business-day SLA ("Contact Requests")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.handbook import facts
from bot.handbook.calendar import BusinessCalendar, reminder_at
from bot.handbook.results import Allowed, Refused

MAX_AGE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)


def section() -> str:
    return facts.section_url(str(facts.load("processes")["sections"]["contact_requests"]))


class SlaKind(StrEnum):
    CONTACT_US = "contact-us"
    PROFESSIONAL_SERVICES = "professional-services"

    @property
    def label(self) -> str:
        return "Contact Us" if self is SlaKind.CONTACT_US else "Professional services"


@dataclass(frozen=True, slots=True)
class SlaTimes:
    received_at: datetime
    remind_at: datetime
    due_at: datetime


def sla_times(calendar: BusinessCalendar, received_at: datetime) -> SlaTimes:
    """Due one business day after it came in; the owner is nudged two hours before (or halfway)."""
    due = calendar.sla_due(received_at)
    remind = reminder_at(due)
    if remind <= received_at:
        remind = reminder_at(due, received_at=received_at, fraction=0.5)
    return SlaTimes(received_at, remind, due)


def check_received_at(received_at: datetime, now: datetime) -> Allowed | Refused:
    """When the request came in: not in the future, and recent enough for the SLA to still mean something."""
    if received_at > now + CLOCK_SKEW:
        return Refused("The request can't have come in the future; pick when it arrived.", section())
    if now - received_at > MAX_AGE:
        return Refused(f"That is more than {MAX_AGE.days} days ago; the SLA is long gone.", section())
    return Allowed("", section())


def sla_status(times: SlaTimes, now: datetime, done: bool) -> str:
    """done | overdue | due soon | open."""
    if done:
        return "done"
    if now >= times.due_at:
        return "overdue"
    if now >= times.remind_at:
        return "due soon"
    return "open"
