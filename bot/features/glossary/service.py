"""Glossary use-cases: look up (from memory), keep entries current, count lookups, suggestions, `ask`.

One GlossaryService per app, made in handlers.glossary.register(). It keeps the merged index (shipped
YAML entries with Sales Ops' stored entries on top) in memory and rebuilds it after every change it
makes, and in the background every REFRESH_SECONDS for changes made by other replicas.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from bot.approvals.engine import StepMode, StepSpec
from bot.deps import Deps
from bot.features.glossary.payload import SuggestionPayload
from bot.features.usecase import transaction
from bot.handbook.directory import Person, Role
from bot.handbook.glossary import (
    GlossaryEntry,
    GlossaryIndex,
    Lookup,
    load_shipped_entries,
    load_shipped_undefined,
    normalize,
    slug,
)
from bot.handbook.glossary_admin import (
    Draft,
    entry_from_draft,
    may_edit,
    merge,
    validate,
)
from bot.handbook.results import Outcome, Refused
from bot.handbook.search import Answer, HandbookIndex
from bot.handbook.sections import default_handbook_path
from storage.directory import DirectoryRepository
from storage.glossary import GlossaryRepository

log = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0  # other replicas' edits show up within this
FLUSH_DELAY = 0.25  # lookups are counted in one write per this many seconds, never inside the ack
MAX_QUERY_KEY = 120
MISSED = "(no entry found)"  # the one key every miss is counted under


@cache
def handbook_index(path: Path) -> HandbookIndex:
    """The handbook's passage index, built once per process and file (about 0.1 s)."""
    return HandbookIndex.from_file(path)


def entry_view(entry: GlossaryEntry) -> dict[str, Any]:
    """An entry as template context."""
    return {
        "id": entry.id,
        "term": entry.term,
        "expansion": entry.expansion or "",
        "definition": entry.definition,
        "aliases": list(entry.aliases),
        "url": entry.url,
    }


@dataclass(frozen=True, slots=True)
class Saved:
    entry: GlossaryEntry
    action: str  # add | edit | retire


@dataclass(frozen=True, slots=True)
class Invalid:
    errors: dict[str, str]  # modal block id -> message


@dataclass
class GlossaryService:
    deps: Deps
    flush_delay: float = FLUSH_DELAY
    refresh_seconds: float = REFRESH_SECONDS
    _shipped: list[GlossaryEntry] = field(default_factory=load_shipped_entries)
    _index: GlossaryIndex | None = None
    _by_id: dict[str, GlossaryEntry] = field(default_factory=dict)
    _loaded_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _refreshing: asyncio.Task[None] | None = None
    _pending: Counter[tuple[str, bool]] = field(default_factory=Counter)
    _flushing: asyncio.Task[None] | None = None
    _background: set[asyncio.Task[None]] = field(default_factory=set)

    # ---- the in-memory index ----------------------------------------------------------------------
    async def index(self) -> GlossaryIndex:
        if self._index is None:
            await self.reload()
        elif time.monotonic() - self._loaded_at > self.refresh_seconds and not self._refreshing:
            self._refreshing = asyncio.create_task(self.refresh())
        assert self._index is not None
        return self._index

    async def refresh(self) -> None:
        """Reload; on failure keep answering from the index we have."""
        try:
            await self.reload()
        except Exception:  # keep answering from the index we have; the next lookup tries again
            log.exception("glossary refresh failed")
        finally:
            self._refreshing = None

    async def reload(self) -> None:
        """Rebuild the index from the shipped entries and the stored ones (one query)."""
        async with self._lock:
            async with self.deps.db.reads() as session:
                stored = await GlossaryRepository(session).stored_entries()
            entries = merge(self._shipped, stored)
            self._index = GlossaryIndex(entries, load_shipped_undefined())
            self._by_id = {entry.id: entry for entry in entries}
            self._loaded_at = time.monotonic()

    async def entry(self, entry_id: str) -> GlossaryEntry | None:
        await self.index()
        return self._by_id.get(entry_id)

    async def lookup(self, query: str) -> Lookup:
        """Answer from memory and count the lookup; the count is written after the ack."""
        found = (await self.index()).lookup(query)
        self._count(found)
        return found

    async def terms_in(self, text: str) -> list[GlossaryEntry]:
        """The glossary's terms that a message names, in its order ("Look up in glossary")."""
        return (await self.index()).terms_in(text)

    async def named(self, query: str) -> list[GlossaryEntry]:
        """Entries named exactly `query` (any case or punctuation), for edit and retire."""
        return [e for e in (await self.index()).lookup(query).matches] if normalize(query) else []

    # ---- lookup counts ----------------------------------------------------------------------------
    def _count(self, found: Lookup) -> None:
        """Counted by the glossary term it found, never by the text typed (which can name accounts or
        people); every miss is counted under one key."""
        if found.found:
            key = normalize(found.matches[0].term)[:MAX_QUERY_KEY]
        else:
            key = MISSED if normalize(found.query) else ""
        if not key:
            return
        self._pending[(key, found.found)] += 1
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.flush_delay)
        await self.flush()

    async def flush(self) -> None:
        """Write the counted lookups in one statement; on failure keep them for the next try."""
        while self._pending:
            counts, self._pending = self._pending, Counter()
            try:
                async with self.deps.db.sessions.begin() as session:
                    await GlossaryRepository(session).count_lookups(counts, self.deps.clock())
            except Exception:
                log.exception("could not store %d glossary lookup counts", len(counts))
                self._pending.update(counts)
                return

    async def stats(self, limit: int = 10) -> tuple[list[tuple[str, int]], int]:
        """(most asked glossary terms, how many lookups found no entry): terms and counts only."""
        await self.flush()
        async with self.deps.db.reads() as session:
            repo = GlossaryRepository(session)
            return await repo.top_lookups(found=True, limit=limit), await repo.missed_total()

    # ---- who may edit -----------------------------------------------------------------------------
    async def person(self, user_id: str) -> Person | None:
        async with self.deps.db.reads() as session:
            return await DirectoryRepository(session).person(user_id)

    async def may_edit(self, user_id: str) -> Outcome:
        return may_edit(await self.person(user_id))

    # ---- add, edit, retire ------------------------------------------------------------------------
    async def save(self, actor: str, draft: Draft, entry_id: str | None) -> Saved | Invalid | Refused:
        """Add (entry_id None) or edit an entry, logging the old value; rebuilds the index after commit."""
        errors = validate(draft)
        if errors:
            return Invalid(errors)
        await self.index()
        async with self.deps.db.sessions.begin() as session:
            allowed = may_edit(await DirectoryRepository(session).person(actor))
            if not allowed:
                return allowed
            if entry_id is None:
                new_id = self._free_id(draft)
                if new_id is None:
                    return Invalid({"term": self._taken_message(draft)})
                entry, old, action = entry_from_draft(draft, entry_id=new_id), None, "add"
            else:
                old = self._by_id.get(entry_id)
                if old is None:
                    return Invalid({"term": "This entry was retired while you were editing it."})
                entry, action = entry_from_draft(draft, entry_id=entry_id, section=old.section), "edit"
            await GlossaryRepository(session).save(
                entry, action=action, actor=actor, now=self.deps.clock(), old=old
            )
        await self.reload()
        return Saved(entry, action)

    def _free_id(self, draft: Draft) -> str | None:
        """A new term's id; a second meaning of a taken acronym is told apart by its expansion."""
        candidates = [slug(draft.term)]
        if draft.expansion.strip():
            candidates.append(slug(f"{draft.term} {draft.expansion}"))
        return next((c for c in candidates if c not in self._by_id), None)

    def _taken_message(self, draft: Draft) -> str:
        term = " ".join(draft.term.split())
        return (
            f"{term} is already in the glossary. Use /gtm glossary edit {term} to change it, "
            "or give an expansion to add another meaning."
        )

    async def retire(self, actor: str, entry_id: str) -> Saved | Refused:
        async with self.deps.db.sessions.begin() as session:
            allowed = may_edit(await DirectoryRepository(session).person(actor))
            if not allowed:
                return allowed
            await self.index()
            old = self._by_id.get(entry_id)
            if old is None:
                return Refused("That entry is not in the glossary any more.")
            await GlossaryRepository(session).save(
                old, action="retire", actor=actor, now=self.deps.clock(), old=old, retired=True
            )
        await self.reload()
        return Saved(old, "retire")

    # ---- suggestions (through the approval engine) ------------------------------------------------
    async def suggest(self, user_id: str, draft: Draft) -> int | Invalid | Refused:
        """Open a glossary_suggestion request: each Sales Ops person gets a card, and any one decides."""
        errors = validate(draft)
        if errors:
            return Invalid(errors)
        entry = entry_from_draft(draft)
        async with transaction(self.deps, user_id) as ctx:
            reviewers = [p.slack_id for p in await ctx.directory.people_with_roles([Role.SALES_OPS])]
            reviewers = [r for r in reviewers if r != user_id] or [
                p.slack_id
                for p in await ctx.directory.people_with_roles([Role.ADMIN])
                if p.slack_id != user_id
            ]
            if not reviewers:
                return Refused("There is nobody in Sales Ops to review a suggestion yet.")
            request = await SuggestionPayload.suggesting(entry).open(
                ctx,
                f"Glossary: add {entry.term}",
                subject=entry.id,
                first_step=StepSpec(
                    "Sales Ops",
                    tuple(reviewers),
                    StepMode.ONE if len(reviewers) == 1 else StepMode.ANY,
                ),
            )
            request_id = request.id
        self.deps.outbox.kick()
        return request_id

    # ---- /gtm ask ---------------------------------------------------------------------------------
    def handbook(self) -> HandbookIndex:
        return handbook_index(Path(self.deps.settings.handbook_path or default_handbook_path()))

    def ask(self, question: str) -> list[Answer]:
        """The passage that best answers `question` and the two next best."""
        return self.handbook().ask(question, k=3)
