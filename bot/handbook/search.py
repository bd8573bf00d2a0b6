"""`/gtm ask`: the handbook's passages ranked against a question (BM25F over Snowball stems).

Each passage (one rule, item, paragraph or table row; see passages.py) is scored on three fields: its
own text, its section's heading, and the text it hangs under; its whole section's score adds a little,
and two of the question's words side by side in it add a little. The question's words are widened
softly: glossary abbreviations both ways ("SAO" <-> "Sales Accepted Opportunity", from glossary.yaml),
everyday words for the handbook's (synonyms.yaml), "how many/long" to passages that state a figure, and
a stem to the longer stems it begins (Snowball keeps "agree" and "agreement" apart). The index is built
once; a question costs one pass over the postings of its few terms.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.handbook import facts
from bot.handbook.glossary import GlossaryEntry, load_shipped_entries
from bot.handbook.passages import Passage, split_passages
from bot.handbook.sections import Section, parse_sections
from bot.handbook.words import stem, tokenize, words

# How questions ask for what the handbook states as a figure ("how long" -> "180 days").
QUANTITY = "#number"  # a pseudo-term every passage that states a number or a figure has
NUMBER = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirty|sixty)\b", re.I)
# "How long" asks for a duration, not for the word "long" ("as long as"): these ask for what they mean.
QUESTION_PHRASES: dict[str, tuple[str, ...]] = {
    "long": ("length", "day", QUANTITY),
    "many": (QUANTITY,),
    "much": (QUANTITY,),
    "soon": ("within", QUANTITY),
    "often": ("frequenc", QUANTITY),
}
HOW = re.compile(r"\bhow\s+(" + "|".join(QUESTION_PHRASES) + r")\b", re.I)
HEADING_WEIGHT = 1.5  # each word of the section's heading counts this much in every passage under it
CONTEXT_WEIGHT = 0.5  # ... and each word of the item or paragraph a passage hangs under
EXPANSION_WEIGHT = 0.3  # an abbreviation's spelled-out words: the same thing said again, not new words
SYNONYM_WEIGHT = 0.5  # a word of the same meaning group as the question's word
PAIR_WEIGHT = 0.15  # two of the question's words side by side in a passage, as in the question
PREFIX_WEIGHT = 0.25  # a longer stem that a question's stem begins ("agre" -> "agreement")
MIN_PREFIX = 4
SECTION_WEIGHT = 0.15  # how much the whole section's match adds to each of its passages
BM25_K1 = 1.2
BM25_B = 0.5


class Synonyms:
    """Groups of words that mean one thing (`data/synonyms.yaml`), as stemmed phrases."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self._others: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for group in groups:
            phrases = [tuple(tokenize(text)) for text in group]
            for phrase in phrases:
                for other in phrases:
                    if other != phrase and phrase:
                        self._others[phrase].extend(s for s in other if s not in self._others[phrase])
        self._longest = max((len(phrase) for phrase in self._others), default=0)

    @classmethod
    def shipped(cls) -> Synonyms:
        return cls(facts.load("synonyms").get("groups") or [])

    def of(self, stems: list[str]) -> list[str]:
        """The stems that words or phrases in `stems` stand for, in the order found."""
        found: list[str] = []
        for start in range(len(stems)):
            for size in range(1, min(self._longest, len(stems) - start) + 1):
                others = self._others.get(tuple(stems[start : start + size]), ())
                found.extend(other for other in others if other not in found)
        return found


class Expansions:
    """The glossary's abbreviations and what they stand for, as stemmed phrases ("sao" <-> "sale accept ...").

    Text that spells an abbreviation out also counts as the abbreviation, in passages and in questions
    alike, so "Regional Director" finds "Any RD can reassign any account"; a question's abbreviation also
    asks for its spelled-out words, more softly, so "SAO" finds "Sales Accepted Opportunity".
    """

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self._short: dict[tuple[str, ...], tuple[str, ...]] = {}  # spelled out -> abbreviation
        self._long: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)  # the other way
        for entry in entries:
            short = tuple(tokenize(entry.term))
            if not entry.expansion or not short:
                continue
            for text in [entry.expansion, *(alias for alias in entry.aliases if len(words(alias)) > 1)]:
                long = tuple(tokenize(text))
                if long and long != short:
                    self._short.setdefault(long, short)
                    self._long[short].append(long)
        self._longest = max((len(phrase) for phrase in self._short), default=0)

    def abbreviations(self, stems: list[str]) -> tuple[list[str], set[int]]:
        """The abbreviations spelled out in `stems` ("regional director" -> "rd"), and where they are."""
        found: list[str] = []
        spelling: set[int] = set()
        for start in range(len(stems)):
            for size in range(2, min(self._longest, len(stems) - start) + 1):
                short = self._short.get(tuple(stems[start : start + size]))
                if short:
                    found.extend(term for term in short if term not in stems)
                    spelling.update(range(start, start + size))
        return found, spelling

    def spelled_out(self, stems: list[str]) -> list[str]:
        """The words that the abbreviations in `stems` stand for ("sao" -> "sale accept opportun")."""
        found: list[str] = []
        for start in range(len(stems)):
            for size in range(1, min(2, len(stems) - start) + 1):
                for long in self._long.get(tuple(stems[start : start + size]), ()):
                    found.extend(long)
        return found


@dataclass(frozen=True, slots=True)
class Answer:
    """A passage that answers a question, and its score."""

    passage: Passage
    score: float

    @property
    def section(self) -> Section:
        return self.passage.section


def _add(counts: dict[str, float], text: str, weight: float, expansions: Expansions) -> None:
    stems = tokenize(text)
    for term in stems + expansions.abbreviations(stems)[0]:
        counts[term] += weight


def _counts(passage: Passage, expansions: Expansions) -> dict[str, float]:
    """A passage's weighted term counts: its text, its section's heading, the text it hangs under."""
    counts: dict[str, float] = defaultdict(float)
    _add(counts, passage.text, 1.0, expansions)
    _add(counts, passage.section.title, HEADING_WEIGHT, expansions)
    for context in passage.context:
        _add(counts, context, CONTEXT_WEIGHT, expansions)
    if NUMBER.search(passage.text):
        counts[QUANTITY] += 1.0
    return counts


def _pairs(stems: list[str]) -> list[str]:
    """Adjacent stems as one term ("name account"): a question's phrase found as a phrase counts more."""
    return [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False)]


def _section_counts(section: Section, passages: list[Passage], expansions: Expansions) -> dict[str, float]:
    """A section's weighted term counts: its passages' text and its heading."""
    counts: dict[str, float] = defaultdict(float)
    for passage in passages:
        _add(counts, passage.text, 1.0, expansions)
    _add(counts, section.title, HEADING_WEIGHT, expansions)
    return counts


def _postings(docs: list[dict[str, float]], b: float) -> dict[str, list[tuple[int, float]]]:
    """Each term's documents with its BM25 weight in each: a question's score is then only sums."""
    lengths = [sum(doc.values()) for doc in docs]
    average = (sum(lengths) / len(lengths)) if lengths else 1.0
    frequency = Counter(term for doc in docs for term in doc)
    n = len(docs)
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, doc in enumerate(docs):
        norm = BM25_K1 * (1 - b + b * lengths[i] / (average or 1.0))
        for term, tf in doc.items():
            idf = math.log(1 + (n - frequency[term] + 0.5) / (frequency[term] + 0.5))
            postings[term].append((i, idf * tf * (BM25_K1 + 1) / (tf + norm)))
    return postings


class HandbookIndex:
    """Every passage of the handbook, with BM25F postings; `ask` ranks passages against a question."""

    def __init__(self, sections: list[Section], glossary: Iterable[GlossaryEntry] | None = None) -> None:
        self.sections = sections
        self._by_anchor = {section.anchor: section for section in sections}
        seen: set[str] = set()
        self.passages: list[Passage] = []
        for section in sections:
            for passage in split_passages(section):
                if passage.text not in seen:  # the page repeats a list or two word for word
                    seen.add(passage.text)
                    self.passages.append(passage)
        self.synonyms = Synonyms.shipped()
        self.expansions = Expansions(load_shipped_entries() if glossary is None else glossary)
        docs = [_counts(passage, self.expansions) for passage in self.passages]
        self._vocabulary = sorted({term for doc in docs for term in doc})
        self._postings = _postings(docs, BM25_B)
        # Phrases are scored apart, without length normalisation: they only reorder what the words found.
        pairs = [dict(Counter(_pairs(tokenize(passage.text)))) for passage in self.passages]
        self._postings.update(_postings([{k: float(v) for k, v in doc.items()} for doc in pairs], 0.0))
        # The section around a passage says what it is about: its whole text is scored too, as a prior.
        section_of = {id(section): n for n, section in enumerate(sections)}
        self._section_of = [section_of[id(passage.section)] for passage in self.passages]
        by_section: list[list[Passage]] = [[] for _ in sections]
        for passage, n in zip(self.passages, self._section_of, strict=True):
            by_section[n].append(passage)
        self._section_postings = _postings(
            [_section_counts(s, ps, self.expansions) for s, ps in zip(sections, by_section, strict=True)],
            BM25_B,
        )

    @classmethod
    def from_text(cls, text: str) -> HandbookIndex:
        return cls(parse_sections(text))

    @classmethod
    def from_file(cls, path: Path | str) -> HandbookIndex:
        return cls.from_text(Path(path).read_text(encoding="utf-8"))

    def anchors(self) -> set[str]:
        return set(self._by_anchor)

    def section(self, anchor: str) -> Section | None:
        return self._by_anchor.get(anchor)

    def terms(self, question: str) -> dict[str, float]:
        """The question's stems with their weights: its own words, then glossary and question synonyms."""
        asked = [match.group(1).lower() for match in HOW.finditer(question)]
        stems = [stem(word) for word in words(HOW.sub(" ", question))]
        abbreviations, spelling = self.expansions.abbreviations(stems)
        # A spelled-out abbreviation is one thing ("rd"), its words ("region", "director") only hints.
        weights: dict[str, float] = {term: 1.0 for term in abbreviations}
        for position, term in enumerate(stems):
            weight = EXPANSION_WEIGHT if position in spelling else 1.0
            weights[term] = max(weights.get(term, 0.0), weight)
        for term in self.expansions.spelled_out(stems):
            weights.setdefault(term, EXPANSION_WEIGHT)
        for term in self.synonyms.of(stems):
            weights.setdefault(term, SYNONYM_WEIGHT)
        for word in asked:
            for term in QUESTION_PHRASES[word]:
                weights.setdefault(term, EXPANSION_WEIGHT)
        for pair in _pairs(stems):
            weights.setdefault(pair, PAIR_WEIGHT)
        for term, weight in list(weights.items()):
            for longer in self._longer(term):
                weights.setdefault(longer, weight * PREFIX_WEIGHT)
        return weights

    def _longer(self, term: str) -> list[str]:
        """Indexed stems that `term` begins ("agre" -> "agreement"): Snowball leaves derivations apart."""
        if len(term) < MIN_PREFIX or not term.isalpha():
            return []
        start = bisect_left(self._vocabulary, term)
        found: list[str] = []
        for other in self._vocabulary[start + (self._vocabulary[start : start + 1] == [term]) :]:
            if not other.startswith(term):
                break
            found.append(other)
        return found

    def ask(self, question: str, k: int = 3) -> list[Answer]:
        """The `k` passages that best answer `question`, best first; none when no word matches."""
        scores: dict[int, float] = defaultdict(float)
        section_scores: dict[int, float] = defaultdict(float)
        terms = self.terms(question)
        for term, weight in terms.items():
            for i, score in self._postings.get(term, ()):
                scores[i] += weight * score
            for i, score in self._section_postings.get(term, ()):
                section_scores[i] += weight * score
        for i in scores:
            scores[i] += SECTION_WEIGHT * section_scores[self._section_of[i]]
        best = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))[:k]
        return [Answer(self.passages[i], round(score, 4)) for i, score in best if score > 0]
