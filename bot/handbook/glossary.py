"""The handbook's terms: exact, forgiving and fuzzy lookup, A-Z browse and search ("Glossary")."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from rapidfuzz import fuzz, process

from bot.handbook import facts

MATCH_SCORE = 88.0  # a typo this close to one name ("Sales Acepted Oportunity") is that name
MATCH_MARGIN = 5.0  # ...unless another entry's name is about as close
MIN_FUZZY_LENGTH = 4  # "sao" vs "sal" is a different acronym, not a typo
SUGGESTIONS = 5
OTHER = "#"  # the browse bucket for terms that start with a digit ("0-Pending Acceptance")

DOTTED_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")
POSSESSIVE = re.compile(r"(\w)'s\b", re.IGNORECASE)
PLURAL_ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]*[A-Z])s\b")
NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """One defined term, in the handbook's wording, with the section that defines it."""

    id: str
    term: str
    definition: str
    section: str
    expansion: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return facts.section_url(self.section)

    @property
    def names(self) -> tuple[str, ...]:
        """Everything a reader may type for this entry: the term, its expansion, its aliases."""
        return (self.term, *((self.expansion,) if self.expansion else ()), *self.aliases)


@dataclass(frozen=True, slots=True)
class UndefinedTerm:
    """A term the handbook uses without defining it, and where it is used."""

    term: str
    used_in: tuple[str, ...]
    note: str = ""

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(facts.section_url(anchor) for anchor in self.used_in)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a query found: every meaning of the name, else the closest entries; and any undefined use."""

    query: str
    matches: list[GlossaryEntry] = field(default_factory=list)
    suggestions: list[GlossaryEntry] = field(default_factory=list)
    undefined: UndefinedTerm | None = None
    fuzzy: bool = False  # the match was a typo correction, not the name as typed

    @property
    def found(self) -> bool:
        return bool(self.matches)


def normalize(text: str) -> str:
    """The form names are compared in: `S.A.O.`, `SAO's`, `SAOs` and ` sao ` are all `sao`."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = DOTTED_ACRONYM.sub(lambda match: match.group().replace(".", ""), text)
    text = POSSESSIVE.sub(r"\1", text)
    text = PLURAL_ACRONYM.sub(r"\1", text)
    return " ".join(NOT_WORD.sub(" ", text.lower()).split())


def slug(text: str) -> str:
    return normalize(text).replace(" ", "-")


def entries_from_data(data: Mapping[str, Any]) -> list[GlossaryEntry]:
    """Entries from the glossary YAML's `entries:`; ids are term slugs, made unique by section."""
    entries: list[GlossaryEntry] = []
    seen: set[str] = set()
    for row in data.get("entries") or []:
        entry_id = slug(row["term"])
        if entry_id in seen:
            entry_id = f"{entry_id}-{row['section']}"
        if entry_id in seen:
            raise ValueError(f"duplicate glossary entry {row['term']!r} in section {row['section']!r}")
        seen.add(entry_id)
        entries.append(
            GlossaryEntry(
                id=entry_id,
                term=str(row["term"]),
                definition=" ".join(str(row["definition"]).split()),
                section=str(row["section"]),
                expansion=str(row["expansion"]) if row.get("expansion") else None,
                aliases=tuple(str(alias) for alias in row.get("aliases") or ()),
            )
        )
    return entries


def undefined_from_data(data: Mapping[str, Any]) -> list[UndefinedTerm]:
    """The glossary YAML's `undefined:` list."""
    return [
        UndefinedTerm(
            term=str(row["term"]),
            used_in=tuple(row.get("used_in") or ()),
            note=" ".join(str(row.get("note") or "").split()),
        )
        for row in data.get("undefined") or []
    ]


def load_shipped_entries() -> list[GlossaryEntry]:
    return entries_from_data(facts.load("glossary"))


def load_shipped_undefined() -> list[UndefinedTerm]:
    return undefined_from_data(facts.load("glossary"))


def _browse_letter(entry: GlossaryEntry) -> str:
    first = normalize(entry.term)[:1].upper()
    return first if first.isalpha() else OTHER


def _sort_key(entry: GlossaryEntry) -> tuple[Any, ...]:
    """Alphabetical, with numbers in number order ("2-Scoping" before "10-Duplicate")."""
    parts = re.split(r"(\d+)", normalize(entry.term))
    return tuple((0, int(part), -len(part)) if part.isdigit() else (1, 0, part) for part in parts if part)


class GlossaryIndex:
    """All entries, keyed once by every normalized name; lookups never rescan the entries."""

    def __init__(self, entries: Iterable[GlossaryEntry], undefined: Iterable[UndefinedTerm] = ()) -> None:
        self.entries = sorted(entries, key=_sort_key)
        self._by_key: dict[str, list[GlossaryEntry]] = {}
        for entry in self.entries:
            for name in entry.names:
                meanings = self._by_key.setdefault(normalize(name), [])
                if entry not in meanings:
                    meanings.append(entry)
        self._by_key.pop("", None)
        self._keys = list(self._by_key)  # rapidfuzz choices, precomputed
        self._sorted_keys = sorted(self._keys)  # prefix search by bisection
        self._undefined = {normalize(term.term): term for term in undefined}
        self._by_letter: dict[str, list[GlossaryEntry]] = {}
        for entry in self.entries:
            self._by_letter.setdefault(_browse_letter(entry), []).append(entry)

    @classmethod
    def shipped(cls) -> GlossaryIndex:
        return cls(load_shipped_entries(), load_shipped_undefined())

    def lookup(self, query: str) -> Lookup:
        """Every entry named `query`; else a typo's one clear target; else up to five suggestions."""
        key = normalize(query)
        if not key:
            return Lookup(query=query)
        candidates = [key] + ([key[:-1]] if key.endswith("s") and len(key) > 3 else [])
        undefined = next((self._undefined[c] for c in candidates if c in self._undefined), None)
        for candidate in candidates:
            if candidate in self._by_key:
                return Lookup(query=query, matches=list(self._by_key[candidate]), undefined=undefined)
        if undefined is not None:
            return Lookup(query=query, undefined=undefined)
        corrected = self._correct(key)
        if corrected is not None:
            return Lookup(query=query, matches=list(self._by_key[corrected]), fuzzy=True)
        return Lookup(query=query, suggestions=self._closest(key, SUGGESTIONS))

    def _correct(self, key: str) -> str | None:
        """The one name `key` is a typo of: close enough, and clearly closer than any other entry's name."""
        if len(key) < MIN_FUZZY_LENGTH:
            return None
        cutoff = MATCH_SCORE - MATCH_MARGIN
        close = process.extract(
            key, self._keys, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=9
        )
        if not close or close[0][1] < MATCH_SCORE:
            return None
        best_name, best_score, _ = close[0]
        best_meanings = self._by_key[best_name]
        rivals = (score for name, score, _ in close[1:] if self._by_key[name] != best_meanings)
        return None if any(score > best_score - MATCH_MARGIN for score in rivals) else best_name

    def _closest(self, key: str, limit: int, score_cutoff: float = 0.0) -> list[GlossaryEntry]:
        found: list[GlossaryEntry] = []
        for name, _, _ in process.extract(
            key, self._keys, scorer=fuzz.WRatio, processor=None, score_cutoff=score_cutoff, limit=limit * 4
        ):
            for entry in self._by_key[name]:
                if entry not in found:
                    found.append(entry)
        return found[:limit]

    def letters(self) -> list[str]:
        """Browse letters that have entries, A-Z, then `#` for terms starting with a digit."""
        return sorted(self._by_letter, key=lambda letter: (letter == OTHER, letter))

    def by_letter(self, letter: str) -> list[GlossaryEntry]:
        return list(self._by_letter.get(letter.upper()[:1] if letter != OTHER else OTHER, []))

    def search(self, text: str, limit: int = 10) -> list[GlossaryEntry]:
        """Search-box hits: names starting with `text`, then a word of a name starting with it, then fuzzy."""
        key = normalize(text)
        if not key:
            return self.entries[:limit]
        found: dict[str, GlossaryEntry] = {}

        def add(names: Iterable[str]) -> None:
            for name in names:
                for entry in self._by_key[name]:
                    found.setdefault(entry.id, entry)

        start = bisect_left(self._sorted_keys, key)
        prefixed: list[str] = []
        for name in self._sorted_keys[start:]:
            if not name.startswith(key) or len(prefixed) >= limit * 4:
                break
            prefixed.append(name)
        add(sorted(prefixed, key=lambda name: (len(name), name)))
        if len(found) < limit:
            inner = (name for name in self._keys if f" {key}" in f" {name}" and not name.startswith(key))
            add(list(islice(inner, limit * 4)))
        if len(found) < limit:
            for entry in self._closest(key, limit, score_cutoff=60.0):
                found.setdefault(entry.id, entry)
        return list(found.values())[:limit]
