"""Executive Account Sponsorship Program: at most 10 accounts, VP nominates, sponsor agrees, CRO confirms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import partial

from bot.handbook import facts
from bot.handbook.directory import Person
from bot.handbook.results import Allowed, Refused

_facts = partial(facts.process, "sponsorship")
_section = partial(facts.process_section, "sponsorship")


class NominationStatus(StrEnum):
    NOMINATED = "nominated"
    SPONSOR_AGREED = "sponsor_agreed"
    CONFIRMED = "confirmed"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Sponsorship:
    account_id: str
    account_name: str
    sponsor: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class Nomination:
    account_id: str
    account_name: str
    sponsor: str
    nominated_by: str
    status: NominationStatus = NominationStatus.NOMINATED


def sponsorship_end(starts_on: date) -> date:
    """ "1 year on the account": the same date `term_years` later (28 February for a 29 February start)."""
    years = int(_facts()["term_years"])
    try:
        return starts_on.replace(year=starts_on.year + years)
    except ValueError:
        return starts_on.replace(year=starts_on.year + years, day=28)


def active(sponsorships: Iterable[Sponsorship], today: date) -> list[Sponsorship]:
    return [s for s in sponsorships if s.starts_on <= today < s.ends_on]


def _check_capacity(account_id: str, current: Sequence[Sponsorship], today: date) -> Refused | None:
    running = active(current, today)
    if any(s.account_id == account_id for s in running):
        return Refused("This account already has an executive sponsor.", _section())
    cap = int(_facts()["max_accounts"])
    if len(running) >= cap:
        listed = ", ".join(s.account_name for s in sorted(running, key=lambda s: s.ends_on))
        return Refused(f"All {cap} executive sponsorships are taken: {listed}.", _section())
    return None


def nominate(
    account_id: str,
    account_name: str,
    nominator: Person,
    sponsor: Person,
    current: Sequence[Sponsorship],
    today: date,
) -> Nomination | Refused:
    """ "Accounts may be nominated by Sales VPs", while fewer than 10 accounts have named sponsors; the
    sponsor is "a member of e-group" (the directory's `e_group`)."""
    allowed = can_nominate(nominator)
    if isinstance(allowed, Refused):
        return allowed
    if not sponsor.e_group:
        return Refused(
            f"The executive sponsor must be a member of e-group; {sponsor.name} is not "
            "(the org file's `e_group`).",
            _section(),
        )
    refused = _check_capacity(account_id, current, today)
    if refused is not None:
        return refused
    return Nomination(account_id, account_name, sponsor.slack_id, nominator.slack_id)


def sponsor_answers(nomination: Nomination, actor: str, agrees: bool) -> Nomination | Refused:
    """The named sponsor agrees (or declines) before the CRO is asked."""
    if nomination.status is not NominationStatus.NOMINATED:
        return Refused(f"The nomination is already {nomination.status.value}.", _section())
    if actor != nomination.sponsor:
        return Refused("Only the named sponsor can agree to this sponsorship.", _section())
    status = NominationStatus.SPONSOR_AGREED if agrees else NominationStatus.DECLINED
    return replace(nomination, status=status)


def confirm(
    nomination: Nomination, confirmer: Person, current: Sequence[Sponsorship], today: date
) -> Sponsorship | Refused:
    """ "Confirmed by CRO after agreement with the named sponsor"; the 10-account limit is checked again."""
    if confirmer.role.value != _facts()["confirmer_role"]:
        return Refused("Only the CRO confirms an executive sponsorship.", _section())
    if nomination.status is not NominationStatus.SPONSOR_AGREED:
        return Refused("The named sponsor has to agree before the CRO confirms.", _section())
    refused = _check_capacity(nomination.account_id, current, today)
    if refused is not None:
        return refused
    return Sponsorship(
        nomination.account_id, nomination.account_name, nomination.sponsor, today, sponsorship_end(today)
    )


def reminder_on(sponsorship: Sponsorship, days_before: int | None = None) -> date:
    """When to remind that a sponsorship ends (default from the data: 30 days before)."""
    days = int(_facts()["reminder_days_before_end"]) if days_before is None else days_before
    return sponsorship.ends_on - timedelta(days=days)


def can_nominate(nominator: Person) -> Allowed | Refused:
    """Nominations come from Sales VPs only."""
    if nominator.role.value in _facts()["nominator_roles"]:
        return Allowed("", _section())
    return Refused("Only Sales VPs can nominate an account for executive sponsorship.", _section())


def max_accounts() -> int:
    """ "Limited to 10 accounts at any given time"."""
    return int(_facts()["max_accounts"])
