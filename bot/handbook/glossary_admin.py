"""Keeping the glossary current: who may change it, what a valid entry is, and shipped + stored entries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.handbook.directory import Person, Role
from bot.handbook.glossary import GlossaryEntry, slug
from bot.handbook.results import Allowed, Outcome, Refused

EDITOR_ROLES = frozenset({Role.SALES_OPS, Role.ADMIN})

# Caps keep every answer inside Slack's limits (3000 characters per section) and the columns' sizes.
MAX_TERM = 60
MAX_EXPANSION = 120
MAX_DEFINITION = 1500
MAX_ALIASES = 10
MAX_ALIAS = 60
MAX_REASON = 500
ALIAS_SPLIT = re.compile(r"[,;\n]+")


def may_edit(person: Person | None) -> Outcome:
    """Sales Ops and admins keep the glossary; everyone else may suggest a definition."""
    if person is None:
        return Refused(
            "Only Sales Ops and admins can change the glossary, and you're not in the bot's directory yet."
        )
    if person.role in EDITOR_ROLES:
        return Allowed()
    return Refused(
        f"Only Sales Ops and admins can change the glossary; the directory lists you as {person.role.value}. "
        "Use “Suggest a definition” on a lookup instead, and Sales Ops will review it."
    )


@dataclass(frozen=True, slots=True)
class Draft:
    """What an editor or a suggester typed into the entry modal, before it becomes an entry."""

    term: str
    definition: str
    expansion: str = ""
    aliases: str = ""  # comma- or line-separated


def parse_aliases(text: str) -> tuple[str, ...]:
    """`"Opp, opps; Deal"` -> ("Opp", "opps", "Deal"): trimmed, empty and repeated ones dropped."""
    seen: set[str] = set()
    aliases: list[str] = []
    for raw in ALIAS_SPLIT.split(text or ""):
        alias = " ".join(raw.split())
        key = alias.casefold()
        if alias and key not in seen:
            seen.add(key)
            aliases.append(alias)
    return tuple(aliases)


def validate(draft: Draft) -> dict[str, str]:
    """Field name -> what is wrong with it, in words for the modal; empty when the draft is fine."""
    errors: dict[str, str] = {}
    term = " ".join(draft.term.split())
    if not term or not slug(term):
        errors["term"] = "A term needs at least one letter or digit."
    elif len(term) > MAX_TERM:
        errors["term"] = f"Keep the term to {MAX_TERM} characters (it has {len(term)})."
    if len(draft.expansion.strip()) > MAX_EXPANSION:
        errors["expansion"] = f"Keep the expansion to {MAX_EXPANSION} characters."
    definition = draft.definition.strip()
    if not definition:
        errors["definition"] = "Write the definition."
    elif len(definition) > MAX_DEFINITION:
        errors["definition"] = (
            f"Keep the definition to {MAX_DEFINITION} characters (it has {len(definition)}); "
            "link to the handbook section for the details."
        )
    aliases = parse_aliases(draft.aliases)
    if len(aliases) > MAX_ALIASES:
        errors["aliases"] = f"At most {MAX_ALIASES} aliases."
    elif any(len(alias) > MAX_ALIAS for alias in aliases):
        errors["aliases"] = f"Keep each alias to {MAX_ALIAS} characters."
    return errors


def entry_from_draft(draft: Draft, *, entry_id: str | None = None, section: str = "") -> GlossaryEntry:
    """A valid draft as an entry; a new entry's id is its term's slug, and no handbook section defines it."""
    term = " ".join(draft.term.split())
    return GlossaryEntry(
        id=entry_id or slug(term),
        term=term,
        definition=" ".join(draft.definition.split()),
        section=section,
        expansion=" ".join(draft.expansion.split()) or None,
        aliases=parse_aliases(draft.aliases),
    )


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as Sales Ops last saved it; `retired` hides it (and the shipped entry with its id)."""

    entry: GlossaryEntry
    retired: bool = False


def merge(shipped: Iterable[GlossaryEntry], stored: Iterable[StoredEntry]) -> list[GlossaryEntry]:
    """Shipped entries with stored ones on top: a stored id replaces or adds, a retired one hides.

    An entry cites the handbook section that defines the shipped term of its id; a term Sales Ops added
    cites none (rows saved before this rule say "glossary", a section that does not have them).
    """
    merged = {entry.id: entry for entry in shipped}
    sections = {entry.id: entry.section for entry in merged.values()}
    for row in stored:
        if row.retired:
            merged.pop(row.entry.id, None)
        else:
            merged[row.entry.id] = replace(row.entry, section=sections.get(row.entry.id, ""))
    return list(merged.values())


def entry_snapshot(entry: GlossaryEntry | None) -> dict[str, object] | None:
    """The JSON kept in glossary_changes as the old or new value."""
    if entry is None:
        return None
    return {
        "term": entry.term,
        "expansion": entry.expansion,
        "definition": entry.definition,
        "aliases": list(entry.aliases),
        "section": entry.section,
    }
