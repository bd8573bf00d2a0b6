"""Ownership use-cases, called directly: finding an account, the owner card, the claim modal, claiming."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.features.ownership import service
from bot.handbook.results import Refused
from storage.db import Database
from storage.directory import DirectoryRepository
from storage.requests import RequestRepository

AVA, BEN, ADMIN, PAULA = "U0AE1", "U0AE2", "U0ADM1", "U0PUB1"


async def owner_of(db: Database, account_id: str) -> str | None:
    async with db.sessions() as session:
        account = await DirectoryRepository(session).account(account_id)
    return account.owner if account else None


@pytest.mark.parametrize(
    ("viewer", "text", "found", "candidates"),
    [
        (AVA, "A-HOOLI", "A-HOOLI", []),  # by id
        (AVA, "hooli", "A-HOOLI", []),  # by name, any case
        (AVA, "globex corp", "A-GLOBEX", []),  # a forgiving match
        (AVA, "Stark Federal Systems", None, []),  # public sector: hidden from others
        (PAULA, "Stark Federal Systems", "A-STARK", []),
        (AVA, "", None, []),
    ],
)
async def test_find_account_by_id_name_or_close_name(
    db: Database, directory, viewer: str, text: str, found: str | None, candidates: list[str]
) -> None:
    async with db.sessions() as session:
        repo = DirectoryRepository(session)
        result = await service.find_account(repo, await repo.person(viewer), text)
    assert (result.account.account_id if result.account else None) == found
    assert [a.account_id for a in result.candidates] == candidates


async def test_several_accounts_with_a_name_are_offered_as_candidates(db: Database, directory) -> None:
    async with db.sessions() as session:
        repo = DirectoryRepository(session)
        result = await service.find_account(repo, await repo.person(AVA), "Initech")
    assert result.account is not None and result.account.account_id == "A-INITECH"  # the exact name wins


async def test_account_options_for_the_picker_hide_public_sector(deps: Deps, directory) -> None:
    assert [a.account_id for a in await service.account_options(deps, AVA, "initech")][:1] == ["A-INITECH"]
    assert await service.account_options(deps, AVA, "stark") == []
    assert [a.account_id for a in await service.account_options(deps, PAULA, "stark")] == ["A-STARK"]


async def test_the_owner_card_lists_owner_rights_and_open_opportunities(deps: Deps, directory) -> None:
    facts = await service.owner_card(deps, AVA, "A-INITECH")
    assert facts is not None
    assert facts.owner.name == "Sally Park"
    assert facts.view.segment.segment == "Large"  # the German child raised the hierarchy
    assert not facts.may_reassign
    assert [o.opportunity_id for o in facts.opportunities] == ["O-1001"]
    assert await service.owner_card(deps, AVA, "A-STARK") is None
    assert await service.owner_card(deps, "U0NOBODY", "A-INITECH") is None


async def test_the_claim_modal_names_the_owner_and_who_decides(deps: Deps, directory) -> None:
    modal = await service.claim_modal(deps, AVA, "A-HOOLI", AVA)
    assert not isinstance(modal, Refused)
    assert modal.owner_name == "Ben Ito"
    assert modal.preview.routing.approvers == [BEN]
    assert isinstance(await service.claim_modal(deps, "U0NOBODY", "A-HOOLI", AVA), Refused)
    assert await service.claim_modal(deps, AVA, "A-STARK", AVA) == Refused(service.NOT_FOUND)
    assert isinstance(await service.claim_modal(deps, AVA, "A-HOOLI", "U0NOBODY"), Refused)


async def test_a_claim_the_rules_allow_is_applied_at_once(wired: Deps, db: Database) -> None:
    claimed = await service.claim(
        wired, requester_id=AVA, account_id="A-UMBRELLA", new_owner_id=AVA, reason=""
    )
    assert isinstance(claimed, service.Claimed) and claimed.applied
    assert await owner_of(db, "A-UMBRELLA") == AVA


async def test_a_claim_that_needs_the_owner_opens_one_request_for_them(wired: Deps, db: Database) -> None:
    claimed = await service.claim(wired, requester_id=AVA, account_id="A-HOOLI", new_owner_id=AVA, reason="")
    assert isinstance(claimed, service.Claimed)
    assert (claimed.applied, claimed.approvers) == (False, [BEN])
    assert await owner_of(db, "A-HOOLI") == BEN
    async with db.sessions() as session:
        waiting = await RequestRepository(session).waiting_on(BEN)
    assert [r.id for r in waiting] == [claimed.request_id]
    again = await service.claim(wired, requester_id=AVA, account_id="A-HOOLI", new_owner_id=AVA, reason="")
    assert isinstance(again, Refused) and "already has an open ownership request" in again.reason


@pytest.mark.parametrize(
    ("requester", "account", "reason", "field"),
    [
        (AVA, "A-HOOLI", "x" * (service.MAX_REASON + 1), "reason"),
        ("U0NOBODY", "A-HOOLI", "", ""),
        (AVA, "A-NOWHERE", "", ""),
    ],
)
async def test_a_claim_is_refused_naming_its_field(
    wired: Deps, db: Database, requester: str, account: str, reason: str, field: str
) -> None:
    refused = await service.claim(
        wired, requester_id=requester, account_id=account, new_owner_id=AVA, reason=reason
    )
    assert isinstance(refused, Refused) and refused.field == field
    assert await owner_of(db, "A-HOOLI") == BEN
