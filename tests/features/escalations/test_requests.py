"""Escalation use-cases, called directly: the form's parties, escalating (rule 7), handing off (rule 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.deps import Deps
from bot.features.escalations import requests
from bot.features.escalations.common import considerations
from bot.handbook.results import Refused
from storage.db import Database
from storage.directory import DirectoryRepository

TOM, SALLY = "U0SAL2", "U0SAL1"  # Tom (EMEA) asks Sally, Initech's global owner, for Initech GmbH
WHY = "Their buying committee, users and purchasing all sit in Munich now"
MAJORITY = sorted(considerations())[:3]


async def owner_of(db: Database, account_id: str) -> str | None:
    async with db.sessions() as session:
        return (await DirectoryRepository(session).account(account_id)).owner


async def test_the_form_names_the_global_owner_and_the_rep(wired: Deps) -> None:
    form = await requests.form(wired, user=TOM, account_id="A-INITECH-DE", rep_id=TOM)
    assert form == requests.EscalationForm(
        "A-INITECH-DE",
        "Initech GmbH",
        SALLY,
        TOM,
        "Tom Becker",
        False,  # the owner as a mention
    )
    assert isinstance(await requests.form(wired, user=TOM, account_id="A-NOWHERE", rep_id=TOM), Refused)


async def test_an_escalation_waits_on_the_global_owner_and_opens_once(wired: Deps, db: Database) -> None:
    opened = await requests.escalate(
        wired, rep_id=TOM, account_id="A-INITECH-DE", explanation=WHY, picked=MAJORITY, stand_alone=None
    )
    assert isinstance(opened, requests.Opened)
    assert (opened.applied, opened.waiting_on) == (False, [SALLY])
    assert await owner_of(db, "A-INITECH-DE") == SALLY
    again = await requests.escalate(
        wired, rep_id=TOM, account_id="A-INITECH-DE", explanation=WHY, picked=MAJORITY, stand_alone=None
    )
    assert isinstance(again, Refused) and "already has an open escalation" in again.reason


@pytest.mark.parametrize(
    ("explanation", "picked", "field"),
    [("x" * 1001, MAJORITY, "explanation"), (WHY, [], "considerations")],
)
async def test_an_escalation_is_refused_naming_its_field(
    wired: Deps, explanation: str, picked: list[str], field: str
) -> None:
    refused = await requests.escalate(
        wired, rep_id=TOM, account_id="A-INITECH-DE", explanation=explanation, picked=picked, stand_alone=None
    )
    assert isinstance(refused, Refused) and refused.field == field


async def test_the_global_owner_hands_an_unnamed_child_off_at_once(wired: Deps, db: Database) -> None:
    refused = await requests.hand_off(
        wired, owner_id=TOM, account_id="A-INITECH-DE", rep_id=TOM, explanation=WHY, effective_on=None
    )
    assert isinstance(refused, Refused) and "only the global account owner" in refused.reason
    past = wired.clock().date() - timedelta(days=1)
    late = await requests.hand_off(
        wired, owner_id=SALLY, account_id="A-INITECH-DE", rep_id=TOM, explanation=WHY, effective_on=past
    )
    assert isinstance(late, Refused) and late.field == "date"
    opened = await requests.hand_off(
        wired, owner_id=SALLY, account_id="A-INITECH-DE", rep_id=TOM, explanation=WHY, effective_on=None
    )
    assert isinstance(opened, requests.Opened) and (opened.applied, opened.waiting_on) == (True, [])
    assert await owner_of(db, "A-INITECH-DE") == TOM


async def test_a_named_child_waits_for_everyone_to_agree_the_time_frame(wired: Deps, db: Database) -> None:
    opened = await requests.hand_off(
        wired,
        owner_id=SALLY,
        account_id="A-INITECH-FR",
        rep_id=TOM,
        explanation=WHY,
        effective_on=wired.clock().date() + timedelta(days=7),
    )
    assert isinstance(opened, requests.Opened) and not opened.applied
    assert opened.waiting_on[0] == TOM and len(opened.waiting_on) > 1  # and the managers
    assert await owner_of(db, "A-INITECH-FR") == SALLY
