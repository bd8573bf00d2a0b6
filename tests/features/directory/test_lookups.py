"""Shared account and people look-ups, called directly on the sample directory."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.features.directory import lookups
from storage.models import PersonRow

AVA, PAULA = "U0AE1", "U0PUB1"


@pytest.mark.parametrize(
    ("user", "text", "found", "owner"),
    [
        (AVA, "Hooli", "A-HOOLI", "Ben Ito"),
        (AVA, "Umbrella Labs", "A-UMBRELLA", None),  # nobody owns it
        (AVA, "Stark Federal Systems", None, None),  # public sector: not for Ava
        (PAULA, "Stark Federal Systems", "A-STARK", "Paula Almeida"),
    ],
)
async def test_an_account_and_its_owner_as_the_user_may_see_them(
    deps: Deps, directory, user: str, text: str, found: str | None, owner: str | None
) -> None:
    result = await lookups.account_and_owner(deps, user, text)
    assert (result.found.account.account_id if result.found.account else None) == found
    assert (result.owner.name if result.owner else None) == owner
    plain = await lookups.account_for(deps, user, text)
    assert plain.account == result.found.account


async def test_accounts_and_people_by_id_and_names_in_order(deps: Deps, directory) -> None:
    assert (await lookups.account(deps, "A-HOOLI")).name == "Hooli"
    assert await lookups.account(deps, "A-NOWHERE") is None
    assert (await lookups.person(deps, AVA)).name == "Ava Cole"
    assert await lookups.name_of(deps, AVA) == "Ava Cole"
    assert await lookups.name_of(deps, "U0NOBODY") == "U0NOBODY"


async def test_people_shown_in_messages_are_slack_ids_or_the_names_of_those_slack_does_not_know(
    deps: Deps, directory
) -> None:
    async with deps.db.sessions.begin() as session:
        session.add(PersonRow(slack_id="005OUT000000000AAA", name="Quinn Out", role="AE"))
    shown = await lookups.shown(deps, ["U0AE2", "005OUT000000000AAA", "U0NOBODY", "005GONE00000000AAA", AVA])
    assert shown == ["U0AE2", {"name": "Quinn Out"}, "U0NOBODY", {"name": "005GONE00000000AAA"}, AVA]


@pytest.mark.parametrize(
    ("text", "account_text", "user"),
    [
        ("Initech GmbH <@U0SAL2|tom>", "Initech GmbH", "U0SAL2"),
        ("Initech GmbH <@U0SAL2>", "Initech GmbH", "U0SAL2"),
        ("Initech GmbH @tom.becker", "Initech GmbH", "U0SAL2"),
    ],
)
async def test_a_mention_splits_off_the_account_text(
    deps: Deps, directory, text: str, account_text: str, user: str
) -> None:
    split = await lookups.mention_in(deps, text)
    assert (split.account, split.user_id) == (account_text, user)
