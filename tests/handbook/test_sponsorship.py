"""Executive Account Sponsorship Program."""

from __future__ import annotations

from datetime import date

import pytest

from bot.handbook.directory import Person, Role
from bot.handbook.results import Refused
from bot.handbook.sponsorship import (
    Nomination,
    NominationStatus,
    Sponsorship,
    active,
    confirm,
    nominate,
    reminder_on,
    sponsor_answers,
    sponsorship_end,
)

TODAY = date(2026, 3, 2)
VP = Person("vp", "VP Sales", role=Role.VP)
CRO = Person("cro", "CRO", role=Role.CRO)
CEO = Person("ceo", "CEO", role=Role.ADMIN, e_group=True)


def taken(n: int, today: date = TODAY) -> list[Sponsorship]:
    return [Sponsorship(f"a{i}", f"Account {i}", "ceo", today, sponsorship_end(today)) for i in range(n)]


@pytest.mark.parametrize(
    ("nominator", "current", "allowed", "says"),
    [
        (VP, taken(0), True, ""),
        (VP, taken(9), True, ""),
        (VP, taken(10), False, "All 10"),
        (Person("asm", "ASM", role=Role.ASM), taken(0), False, "Sales VPs"),
        (CRO, taken(0), False, "Sales VPs"),
        (VP, [Sponsorship("new", "New Co", "ceo", TODAY, sponsorship_end(TODAY))], False, "already"),
        (VP, taken(10, date(2025, 1, 1)), True, ""),  # all expired
    ],
)
def test_vps_nominate_while_fewer_than_10_are_sponsored(
    nominator: Person, current: list[Sponsorship], allowed: bool, says: str
) -> None:
    result = nominate("new", "New Co", nominator, CEO, current, TODAY)
    assert isinstance(result, Nomination) is allowed
    if not allowed:
        assert isinstance(result, Refused) and says in result.reason


def test_the_11th_refusal_lists_the_sponsored_accounts() -> None:
    result = nominate("new", "New Co", VP, CEO, taken(10), TODAY)
    assert isinstance(result, Refused)
    assert all(f"Account {i}" in result.reason for i in range(10))


NOMINATED = Nomination("new", "New Co", "ceo", "vp")
AGREED = Nomination("new", "New Co", "ceo", "vp", NominationStatus.SPONSOR_AGREED)


@pytest.mark.parametrize(
    ("actor", "agrees", "status"),
    [
        ("ceo", True, NominationStatus.SPONSOR_AGREED),
        ("ceo", False, NominationStatus.DECLINED),
        ("vp", True, None),
    ],
)
def test_only_the_named_sponsor_agrees(actor: str, agrees: bool, status: NominationStatus | None) -> None:
    result = sponsor_answers(NOMINATED, actor, agrees)
    assert (result.status if isinstance(result, Nomination) else None) == status


@pytest.mark.parametrize(
    ("nomination", "confirmer", "current", "confirmed"),
    [
        (AGREED, CRO, taken(9), True),
        (NOMINATED, CRO, taken(0), False),  # sponsor first
        (AGREED, VP, taken(0), False),  # CRO only
        (AGREED, CRO, taken(10), False),  # filled up meanwhile
    ],
)
def test_the_cro_confirms_after_the_sponsor_agrees(
    nomination: Nomination, confirmer: Person, current: list[Sponsorship], confirmed: bool
) -> None:
    result = confirm(nomination, confirmer, current, TODAY)
    assert isinstance(result, Sponsorship) is confirmed
    if confirmed:
        assert (result.starts_on, result.ends_on) == (TODAY, date(2027, 3, 2))


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2026, 3, 2), date(2027, 3, 2)), (date(2028, 2, 29), date(2029, 2, 28))],
)
def test_sponsorship_lasts_one_year(start: date, end: date) -> None:
    assert sponsorship_end(start) == end


def test_reminders_come_30_days_before_the_end_unless_told_otherwise() -> None:
    sponsorship = Sponsorship("a", "A", "ceo", TODAY, date(2027, 3, 2))
    assert reminder_on(sponsorship) == date(2027, 1, 31)
    assert reminder_on(sponsorship, days_before=7) == date(2027, 2, 23)


def test_a_sponsorship_is_active_from_start_until_the_day_before_it_ends() -> None:
    sponsorship = Sponsorship("a", "A", "ceo", TODAY, date(2027, 3, 2))
    assert [
        len(active([sponsorship], d)) for d in (date(2026, 3, 1), TODAY, date(2027, 3, 1), date(2027, 3, 2))
    ] == [
        0,
        1,
        1,
        0,
    ]


@pytest.mark.parametrize(
    ("sponsor", "allowed"),
    [
        (CEO, True),
        (Person("vp2", "Other VP", role=Role.VP, e_group=True), True),
        (Person("ae", "An AE", role=Role.AE), False),
        (Person("vp3", "VP not in e-group", role=Role.VP, e_group=False), False),
    ],
)
def test_the_sponsor_must_be_a_member_of_e_group(sponsor: Person, allowed: bool) -> None:
    result = nominate("new", "New Co", VP, sponsor, taken(0), TODAY)
    assert isinstance(result, Nomination) is allowed
    if not allowed:
        assert isinstance(result, Refused) and "member of e-group" in result.reason
