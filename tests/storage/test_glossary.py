"""GlossaryRepository: stored entries, their change log, and lookup counts."""

from __future__ import annotations

from datetime import timedelta

from bot.handbook.glossary import GlossaryEntry
from bot.handbook.glossary_admin import StoredEntry
from storage.db import Database
from storage.glossary import GlossaryRepository
from tests.conftest import START

ARR = GlossaryEntry(
    id="arr", term="ARR", definition="Annual recurring revenue.", section="", aliases=("arr",)
)


async def test_saving_an_entry_stores_it_and_logs_each_change(db: Database) -> None:
    edited = GlossaryEntry(id="arr", term="ARR", definition="Yearly recurring revenue.", section="")
    async with db.sessions.begin() as session:
        repo = GlossaryRepository(session)
        assert await repo.stored("arr") is None
        await repo.save(ARR, action="add", actor="U0OPS1", now=START, old=None)
        await repo.save(edited, action="edit", actor="U0OPS1", now=START, old=ARR)
        await repo.save(edited, action="retire", actor="U0ADM1", now=START, old=edited, retired=True)
        assert await repo.stored("arr") == StoredEntry(edited, retired=True)
        assert await repo.stored_entries() == [StoredEntry(edited, retired=True)]
        changes = [
            (c.action, c.actor, (c.old_value or {}).get("definition"), c.new_value)
            for c in await repo.changes("arr")
        ]
        assert changes == [
            (
                "add",
                "U0OPS1",
                None,
                {
                    "term": "ARR",
                    "expansion": None,
                    "definition": ARR.definition,
                    "aliases": ["arr"],
                    "section": "",
                },
            ),
            (
                "edit",
                "U0OPS1",
                ARR.definition,
                {
                    "term": "ARR",
                    "expansion": None,
                    "definition": edited.definition,
                    "aliases": [],
                    "section": "",
                },
            ),
            ("retire", "U0ADM1", edited.definition, None),
        ]


async def test_lookup_counts_add_up_and_rank_by_count(db: Database) -> None:
    async with db.sessions.begin() as session:
        repo = GlossaryRepository(session)
        await repo.count_lookups({}, START)  # nothing to add
        await repo.count_lookups({("arr", True): 2, ("mql", True): 3, ("zzz", False): 1}, START)
        await repo.count_lookups({("arr", True): 2, ("qqq", False): 4}, START + timedelta(minutes=1))
        assert await repo.top_lookups(found=True) == [("arr", 4), ("mql", 3)]
        assert await repo.top_lookups(found=True, limit=1) == [("arr", 4)]
        assert await repo.top_lookups(found=False) == [("qqq", 4), ("zzz", 1)]
        assert await repo.missed_total() == 5
