"""`ACCOUNT @rep` in both forms Slack may send (escaped mentions, plain handles), table-driven."""

from __future__ import annotations

import pytest

from bot.features.directory.mentions import split_mention
from bot.handbook.directory import Person, Role

PEOPLE = [
    Person("U0SAL2", "Tom Becker", "tom@example.com", Role.SAL),
    Person("U0SAL1", "Sally Park", "sally@example.com", Role.SAL),
    Person("U0AE9", "Tom Hardy", "thardy@example.com", Role.AE),
]


@pytest.mark.parametrize(
    ("text", "account", "user"),
    [
        ("Initech GmbH <@U0SAL2|tom>", "Initech GmbH", "U0SAL2"),
        ("Initech GmbH <@U0SAL2>", "Initech GmbH", "U0SAL2"),
        ("Initech GmbH @tom.becker", "Initech GmbH", "U0SAL2"),  # the full name, punctuation aside
        ("Initech GmbH @sally", "Initech GmbH", "U0SAL1"),
        ("Initech GmbH @Sally Park", "Initech GmbH", "U0SAL1"),
        ("Initech GmbH @thardy", "Initech GmbH", "U0AE9"),
        ("Initech GmbH @tom", "Initech GmbH", None),  # two Toms: ambiguous, nobody guessed
        ("Initech GmbH @nobody", "Initech GmbH", None),
        ("Initech GmbH", "Initech GmbH", None),
        ("  Acme, Inc   <@U0SAL1|sally> ", "Acme, Inc", "U0SAL1"),
    ],
)
def test_the_account_and_the_rep_are_split_in_either_form(text: str, account: str, user: str | None) -> None:
    found = split_mention(text, PEOPLE)
    assert (found.account, found.user_id) == (account, user)
