"""The handbook's terms: exact, forgiving and fuzzy lookup, A-Z browse and search ("Glossary")."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from rapidfuzz import fuzz, process

from bot.handbook import facts
from bot.handbook.words import tokenize, words

MATCH_SCORE = 88.0  # a typo this close to one name ("Sales Acepted Oportunity") is that name
MATCH_MARGIN = 5.0  # ...unless another entry's name is about as close
MIN_FUZZY_LENGTH = 4  # "sao" vs "sal" is a different acronym, not a typo
SUGGESTIONS = 5
WORD_TYPO_SCORE = 80.0  # "oportunity" is a typo of the name's word "opportunity"
MIN_TYPO_WORD = 4  # shorter words are other words ("sal", "sao"), not typos
NAME_WEIGHT = 3.0  # a near-miss sharing a word with an entry's name beats one whose definition has it
TYPO_WEIGHT = 2.0
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
    section: str  # kramdown anchor; "" when the handbook does not define it (Sales Ops added it)
    expansion: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The handbook section that defines it; empty for a term the handbook does not have."""
        return facts.section_url(self.section) if self.section else ""

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
    # A look-up normalizes its query twice, and people ask the same few terms: short texts (every name in
    # the glossary) are remembered, a bounded few; a long paste is not kept.
    return _normalize_short(text) if len(text) <= MAX_REMEMBERED else _normalize(text)


MAX_REMEMBERED = 64


@functools.lru_cache(maxsize=4096)
def _normalize_short(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = DOTTED_ACRONYM.sub(lambda match: match.group().replace(".", ""), text)
    text = POSSESSIVE.sub(r"\1", text)
    text = PLURAL_ACRONYM.sub(r"\1", text)
    return " ".join(NOT_WORD.sub(" ", text.lower()).split())


def _cased_words(text: str) -> list[str]:
    """The words of `text` as `normalize` sees them, but in the case they were written."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = DOTTED_ACRONYM.sub(lambda match: match.group().replace(".", ""), text)
    text = POSSESSIVE.sub(r"\1", text)
    text = PLURAL_ACRONYM.sub(r"\1", text)
    return NOT_WORD.sub(" ", text).split()


def _in_capitals(name: str) -> bool:
    """An acronym ("SAO", "AM", "ROW"): in a message it names the term only in capitals ("I am" is no AM)."""
    letters = [c for c in name if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


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
        # In running text a name counts in any case, unless all the names giving that key are acronyms.
        self._any_case: dict[str, set[str]] = {}
        for entry in self.entries:
            for name in entry.names:
                if not _in_capitals(name):
                    self._any_case.setdefault(normalize(name), set()).add(entry.id)
        self._longest_name = max((len(key.split()) for key in self._by_key), default=0)
        self._keys = list(self._by_key)  # rapidfuzz choices, precomputed
        self._sorted_keys = sorted(self._keys)  # prefix search by bisection
        self._undefined = {normalize(term.term): term for term in undefined}
        self._by_letter: dict[str, list[GlossaryEntry]] = {}
        for entry in self.entries:
            self._by_letter.setdefault(_browse_letter(entry), []).append(entry)
        # Near-misses: which entries each stem of a name or definition, and each word of a name, is in.
        self._name_stems: dict[str, set[int]] = defaultdict(set)
        self._definition_stems: dict[str, set[int]] = defaultdict(set)
        self._name_words: dict[str, set[int]] = defaultdict(set)
        for position, entry in enumerate(self.entries):
            for name in entry.names:
                for stem in tokenize(name):
                    self._name_stems[stem].add(position)
                for word in words(name):
                    if len(word) >= MIN_TYPO_WORD:
                        self._name_words[word].add(position)
            for stem in tokenize(entry.definition):
                self._definition_stems[stem].add(position)
        self._name_word_list = list(self._name_words)
        # A word most definitions use ("account") says less about which entry was meant than a rare one.
        total = len(self.entries) + 1
        self._rarity = {
            stem: math.log(1 + total / len(positions)) / math.log(1 + total)
            for stem, positions in self._definition_stems.items()
        }

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
        return Lookup(query=query, suggestions=self.near_misses(query, SUGGESTIONS))

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

    def near_misses(self, query: str, limit: int = SUGGESTIONS) -> list[GlossaryEntry]:
        """Entries close in words or meaning to `query`, closest first; none when nothing is.

        Close means: a name (term, expansion, alias) shares a stem with the query ("holdovers" ->
        Holdover Account), or a word of a name is a typo of the query's ("oportunity"), or the
        definition uses the query's word ("pipeline" -> 0-Pending Acceptance). Letters alone in
        common ("pipeline" and "AE") are not closeness.
        """
        typed = words(query)
        stems = {stem: word for word, stem in zip(typed, tokenize(query), strict=True)}
        scores: dict[int, float] = defaultdict(float)
        for stem, word in stems.items():
            named = self._name_stems.get(stem, set())
            for position in named:
                scores[position] += NAME_WEIGHT
            for position in self._definition_stems.get(stem, ()):
                scores[position] += self._rarity[stem]
            if len(word) < MIN_TYPO_WORD:
                continue
            typos: set[int] = set()
            for name_word, _, _ in process.extract(
                word, self._name_word_list, scorer=fuzz.ratio, score_cutoff=WORD_TYPO_SCORE, limit=None
            ):
                typos |= self._name_words[name_word]
            for position in typos - named:
                scores[position] += TYPO_WEIGHT
        # Among equals, the shorter name is the closer one ("Won Opportunity" before "Upside IACV ...").
        ranked = sorted(scores, key=lambda p: (-scores[p], len(self.entries[p].term), p))
        return [self.entries[position] for position in ranked[:limit]]

    def terms_in(self, text: str) -> list[GlossaryEntry]:
        """The entries a message names, in the order it names them ("Look up in glossary").

        The longest name wins ("Sales Accepted Opportunity" is SAO, not "Accepted"); an acronym counts
        only in capitals; plurals, possessives and dotted spellings count ("SAOs", "S.A.O.'s").
        """
        written = _cased_words(text)
        lowered = [word.lower() for word in written]
        found: dict[str, GlossaryEntry] = {}
        start = 0
        while start < len(written):
            for size in range(min(self._longest_name, len(written) - start), 0, -1):
                key = " ".join(lowered[start : start + size])
                meanings = self._by_key.get(key)
                if not meanings:
                    continue
                capitals = all(_in_capitals(word) or word.isdigit() for word in written[start : start + size])
                named = [e for e in meanings if capitals or e.id in self._any_case.get(key, ())]
                if named:
                    for entry in named:
                        found.setdefault(entry.id, entry)
                    start += size
                    break
            else:
                start += 1
        return list(found.values())

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
            for entry in self.near_misses(text, limit):
                found.setdefault(entry.id, entry)
        return list(found.values())[:limit]
