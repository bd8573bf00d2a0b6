"""Glossary use-cases, called directly: look-ups and their counts, add, edit, retire, suggest, ask."""

from __future__ import annotations

import pytest

from bot.deps import Deps
from bot.features.glossary.service import GlossaryService, Invalid, Saved, entry_view
from bot.handbook.glossary_admin import Draft
from bot.handbook.results import Refused
from storage.db import Database
from storage.requests import RequestRepository

OPS, AVA = "U0OPS1", "U0AE1"
DRAFT = Draft(term="Zorblat", definition="A made-up term for the tests.", aliases="zorb, zb")


@pytest.fixture
def glossary(wired: Deps) -> GlossaryService:
    return GlossaryService(wired, flush_delay=0)


async def test_a_lookup_answers_from_the_shipped_glossary_and_counts_terms_not_text(
    glossary: GlossaryService,
) -> None:
    found = await glossary.lookup("SAO")
    assert found.found and found.matches[0].term == "SAO"
    assert not (await glossary.lookup("Hooli's secret plan")).found
    assert [e.term for e in await glossary.terms_in("our AE and our SAO")] == ["AE", "SAO"]
    top, missed = await glossary.stats()
    assert (top, missed) == ([("sao", 1)], 1)


async def test_sales_ops_add_edit_and_retire_an_entry(glossary: GlossaryService) -> None:
    added = await glossary.save(OPS, DRAFT, None)
    assert isinstance(added, Saved) and added.action == "add"
    assert entry_view(added.entry)["aliases"] == ["zorb", "zb"]
    assert (await glossary.lookup("zorb")).matches == [added.entry]
    taken = await glossary.save(OPS, DRAFT, None)
    assert isinstance(taken, Invalid) and set(taken.errors) == {"term"}
    edited = await glossary.save(OPS, Draft(term="Zorblat", definition="Edited."), added.entry.id)
    assert isinstance(edited, Saved) and (await glossary.entry(added.entry.id)).definition == "Edited."
    retired = await glossary.retire(OPS, added.entry.id)
    assert isinstance(retired, Saved) and not (await glossary.lookup("Zorblat")).found
    assert isinstance(await glossary.retire(OPS, added.entry.id), Refused)


async def test_only_editors_change_the_glossary(glossary: GlossaryService) -> None:
    assert not await glossary.may_edit(AVA)
    assert await glossary.may_edit(OPS)
    assert isinstance(await glossary.save(AVA, DRAFT, None), Refused)
    assert isinstance(await glossary.retire(AVA, "arr"), Refused)
    assert isinstance(await glossary.save(OPS, Draft(term="", definition=""), None), Invalid)


async def test_a_suggestion_opens_a_request_for_sales_ops(glossary: GlossaryService, db: Database) -> None:
    request_id = await glossary.suggest(AVA, DRAFT)
    assert isinstance(request_id, int)
    async with db.sessions() as session:
        waiting = await RequestRepository(session).waiting_on(OPS)
    assert [(r.id, r.summary) for r in waiting] == [(request_id, "Glossary: add Zorblat")]
    assert isinstance(await glossary.suggest(AVA, Draft(term="", definition="")), Invalid)


def test_ask_finds_the_handbook_passage(glossary: GlossaryService) -> None:
    answers = glossary.ask("How many named accounts may a rep own?")
    assert len(answers) == 3
