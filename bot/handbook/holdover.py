"""Holdover of open opportunities on transferred accounts ("Account Ownership Rules of Engagement" 5)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import partial

from bot.handbook import facts
from bot.handbook.directory import Opportunity
from bot.handbook.results import Allowed, Refused

_facts = partial(facts.process, "holdover")
_section = partial(facts.process_section, "rules_of_engagement")


def holdover_end(opportunity_created: date) -> date:
    """The last day the original owner keeps the opportunity: creation + 180 days (rule 5)."""
    return opportunity_created + timedelta(days=_facts()["max_days"])


def extension_deadline(created: date) -> date:
    """The last day to request an extension: "no later than the 120 day mark" (rule 5)."""
    return created + timedelta(days=_facts()["extension_request_by_day"])


def may_request_extension(created: date, today: date) -> Allowed | Refused:
    """Rule 5: an extension can be requested up to and including day 120 after opportunity creation."""
    deadline = extension_deadline(created)
    day = (today - created).days
    if today > deadline:
        return Refused(
            f"Extensions must be requested no later than day {_facts()['extension_request_by_day']} "
            f"after the opportunity was created ({deadline.isoformat()}); today is day {day}.",
            _section(),
        )
    return Allowed(
        f"You can request an extension until {deadline.isoformat()} (today is day {day}).", _section()
    )


def check_extension(expected_close: date, today: date, evidence_text: str) -> Allowed | Refused:
    """Rule 5: the evidence must show the deal will close within the next 90 days."""
    rules = _facts()
    window_end = today + timedelta(days=rules["extension_close_within_days"])
    if expected_close < today:
        return Refused(f"The expected close date {expected_close.isoformat()} is already past.", _section())
    if expected_close > window_end:
        return Refused(
            f"An extension needs the deal to close within {rules['extension_close_within_days']} days "
            f"(by {window_end.isoformat()}), not {expected_close.isoformat()}.",
            _section(),
        )
    if len(evidence_text.split()) < rules["min_evidence_words"]:
        return Refused(
            f"Give evidence that the deal will close (at least {rules['min_evidence_words']} words).",
            _section(),
            "evidence",
        )
    return Allowed(f"Expected to close by {expected_close.isoformat()}, within the window.", _section())


def extended_end(ends_on: date, asked_on: date) -> date:
    """A granted extension runs to the end of the 90 days the evidence covers, never before `ends_on`."""
    return max(ends_on, asked_on + timedelta(days=_facts()["extension_close_within_days"]))


_STAGE_PREFIX = re.compile(r"^\s*\d+\s*[-.:)]?\s*")
_NON_WORD = re.compile(r"[^a-z]+")


def _normalize(text: str) -> str:
    return _NON_WORD.sub(" ", _STAGE_PREFIX.sub("", text).lower()).strip()


def is_open(stage: str) -> bool:
    """Closed means Closed Won/Lost, Unqualified or Duplicate, whatever the number ("Opportunity Stages")."""
    closed = {_normalize(name) for name in _facts()["closed_stages"]}
    return _normalize(stage) not in closed


@dataclass(frozen=True, slots=True)
class Holdover:
    opportunity: Opportunity
    original_owner: str
    new_owner: str
    ends_on: date


def holdovers_on_transfer(
    opportunities: Iterable[Opportunity], old_owner: str, new_owner: str, transferred_on: date
) -> list[Holdover]:
    """Open opportunities the old owner keeps after the account moves (rule 5).

    An opportunity already past its 180 days moves with the account (`moving_with_account`); one with no
    creation date is counted from the transfer.
    """
    held = []
    for opportunity in opportunities:
        if opportunity.owner != old_owner or not is_open(opportunity.stage):
            continue
        ends_on = holdover_end(opportunity.created_date or transferred_on)
        if ends_on > transferred_on:
            held.append(Holdover(opportunity, old_owner, new_owner, ends_on))
    return held


def moving_with_account(
    opportunities: Iterable[Opportunity], old_owner: str, transferred_on: date
) -> list[Opportunity]:
    """Open opportunities of the old owner already past 180 days after creation when the account moves:
    rule 5 keeps them with the old owner "for a maximum of 180 days after creation", so they move with
    the account now (never kept forever)."""
    return [
        o
        for o in opportunities
        if o.owner == old_owner
        and is_open(o.stage)
        and o.created_date is not None
        and holdover_end(o.created_date) <= transferred_on
    ]


class DueKind(StrEnum):
    EXTENSION_DEADLINE = "extension_deadline"
    TRANSFER = "transfer"


@dataclass(frozen=True, slots=True)
class DueEvent:
    kind: DueKind
    on: date
    holdover: Holdover


def schedule(holdover: Holdover) -> list[DueEvent]:
    """The day-120 extension deadline and the day-180 transfer of one holdover."""
    created = holdover.opportunity.created_date or (holdover.ends_on - timedelta(days=_facts()["max_days"]))
    return [
        DueEvent(DueKind.EXTENSION_DEADLINE, extension_deadline(created), holdover),
        DueEvent(DueKind.TRANSFER, holdover.ends_on, holdover),
    ]


@dataclass(frozen=True, slots=True)
class HoldoverReport:
    key: str
    title: str
    url: str
    holdovers: tuple[Holdover, ...]


def report_key(opportunity_type: str | None) -> str:
    """Which of rule 5's two reports tracks an opportunity type (New Business/Add Ons or Renewals)."""
    rules = _facts()
    wanted = _normalize(opportunity_type or "")
    for report in rules["reports"]:
        if any(_normalize(name) == wanted for name in report["types"]):
            return str(report["key"])
    return str(rules["default_report"])


def weekly_reports(holdovers: Iterable[Holdover], today: date) -> list[HoldoverReport]:
    """Rule 5's two weekly reports of holdovers still running on `today`, soonest to end first."""
    running = sorted((h for h in holdovers if h.ends_on >= today), key=lambda h: h.ends_on)
    return [
        HoldoverReport(
            report["key"],
            report["title"],
            report["url"],
            tuple(h for h in running if report_key(h.opportunity.type) == report["key"]),
        )
        for report in _facts()["reports"]
    ]
