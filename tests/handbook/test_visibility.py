"""The one visibility rule ("Record Visibility"), table-driven."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.handbook.directory import Account, Person, Role
from bot.handbook.visibility import HIDDEN_NAME, approvers_who_may_see, may_see, redact, shown_name

STARK = Account("A-STARK", "Stark Federal", public_sector=True)
ACME = Account("A-ACME", "Acme")

AE = Person("U1", "Ava", role=Role.AE)
RD = Person("U2", "Dana", role=Role.RD)
OPS = Person("U3", "Olive", role=Role.SALES_OPS)
CRO = Person("U4", "Casey", role=Role.CRO)
ADMIN = Person("U5", "Adam", role=Role.ADMIN)
PUB_SAL = Person("U6", "Paula", role=Role.SAL, public_sector=True)
PUB_RD = Person("U7", "Petra", role=Role.RD, public_sector=True)
PUB_ASM = Person("U8", "Pat", role=Role.ASM, public_sector=True)


@pytest.mark.parametrize(
    ("person", "account", "visible"),
    [
        (AE, ACME, True),
        (None, ACME, True),
        (AE, None, True),
        (AE, STARK, False),
        (RD, STARK, False),
        (OPS, STARK, False),
        (CRO, STARK, False),
        (None, STARK, False),  # someone missing from the directory is on no team
        (PUB_SAL, STARK, True),
        (PUB_RD, STARK, True),
        (ADMIN, STARK, True),
    ],
)
def test_public_sector_accounts_are_seen_by_the_team_and_admins_only(
    person: Person | None, account: Account | None, visible: bool
) -> None:
    assert may_see(person, account) is visible
    if account is not None:
        assert shown_name(person, account) == (account.name if visible else HIDDEN_NAME)


def people(*found: Person) -> dict[str, Person]:
    return {p.slack_id: p for p in found}


@pytest.mark.parametrize(
    ("account", "proposed", "directory", "expected"),
    [
        (ACME, ["U2"], people(RD, PUB_RD, ADMIN), ["U2"]),  # not public sector: unchanged
        (ACME, ["U9"], people(RD, PUB_RD, ADMIN), ["U9"]),
        (STARK, ["U6"], people(PUB_SAL, RD, PUB_RD, ADMIN), ["U6"]),  # the owner may see it
        (STARK, ["U2"], people(RD, PUB_RD, PUB_ASM, ADMIN), ["U7"]),  # the team's own RD
        (STARK, ["U2"], people(RD, PUB_ASM, ADMIN), ["U8"]),  # else its managers
        (STARK, ["U2"], people(RD, PUB_SAL, ADMIN), ["U5"]),  # else the admins
        (STARK, ["U2", "U6"], people(RD, PUB_SAL, ADMIN), ["U6", "U5"]),  # who may see stays
        (STARK, ["U2", "U4"], people(RD, CRO, PUB_RD), ["U7"]),
        (STARK, ["U2"], people(RD, PUB_RD), ["U7"]),
        (STARK, ["U9"], people(PUB_RD), ["U7"]),  # an approver gone from the directory
    ],
)
def test_approvals_go_only_to_people_who_may_see_the_account(
    account: Account, proposed: list[str], directory: dict[str, Person], expected: list[str]
) -> None:
    assert approvers_who_may_see(account, proposed, directory) == expected


def test_the_requester_never_stands_in_as_approver() -> None:
    assert approvers_who_may_see(STARK, ["U2"], people(RD, PUB_RD, ADMIN), exclude={"U7"}) == ["U5"]


@dataclass(frozen=True)
class Card:
    title: str
    fields: list[tuple[str, str]]


def test_redact_rewrites_every_string_that_names_the_account() -> None:
    value = {
        "card": Card("Pia to own Stark Federal", [("Account", "Stark Federal"), ("Reason", "mine")]),
        "rows": [("Stark Federal Renewal", 3)],
        "n": 3,
    }
    shown = redact(value, ["Stark Federal", ""])
    assert shown == {
        "card": Card(f"Pia to own {HIDDEN_NAME}", [("Account", HIDDEN_NAME), ("Reason", "mine")]),
        "rows": [(f"{HIDDEN_NAME} Renewal", 3)],
        "n": 3,
    }
    assert redact(value, []) is value
