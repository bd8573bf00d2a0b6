"""The handbook page as sections, and a small BM25 ranker to answer questions with them."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from bot.handbook import facts

HEADING = re.compile(r"^(#{1,5})\s+(.*?)\s*#*\s*$")
KRAMDOWN_ATTRIBUTES = re.compile(r"^\s*\{:.*\}\s*$|^\s*\{::.*\}\s*$")
MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
REFERENCE_LINK = re.compile(r"\[([^\]]*)\](?:\[[^\]]*\])?")
LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*`\"(])")
WORD = re.compile(r"[a-z0-9]+")

# Words that carry no meaning for ranking; "who", "how" and friends are what questions are made of.
_STOP_WORDS_TEXT = """
    a about above after again all also am an and any are as at be been before being below between both but by
    can could did do does doing down during each few for from further had has have having he her here hers how
    i if in into is it its itself just me more most my no nor not now of off on once only or other our ours
    out over same she should so some such than that the their theirs them then there these they this those
    through to too under until up very was we were what when where which while who whom why will with would
    you your
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# Question words that the handbook spells differently ("how long is a trial" -> "trial length").
QUESTION_SYNONYMS: dict[str, tuple[str, ...]] = {"long": ("length", "day"), "often": ("frequenc",)}
TITLE_WEIGHT = 2.5  # a question's words in a heading say more than the same words in a paragraph
EXCERPT_CHARS = 300
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the handbook and the text up to the next heading."""

    title: str
    anchor: str
    level: int
    text: str

    @property
    def url(self) -> str:
        return facts.section_url(self.anchor)


@dataclass(frozen=True, slots=True)
class Answer:
    """A section that answers a question, with its best-matching sentence(s)."""

    section: Section
    score: float
    excerpt: str


def default_handbook_path() -> Path:
    """The handbook page shipped with the bot (`bot/handbook/data/go-to-market.md`)."""
    return Path(str(resources.files("bot.handbook").joinpath("data", "go-to-market.md")))


def kramdown_anchor(title: str) -> str:
    """Kramdown's heading id: leading non-letters dropped, only [a-zA-Z0-9 -] kept, spaces to hyphens."""
    text = re.sub(r"^[^a-zA-Z]+", "", title.strip())
    text = re.sub(r"[^a-zA-Z0-9 -]", "", text)
    return text.replace(" ", "-").lower() or "section"


def strip_front_matter(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[text.find("\n", end + 1) + 1 :] if "\n" in text[end + 1 :] else ""
    return text


def parse_sections(text: str) -> list[Section]:
    """Split markdown into sections at `#`..`#####` headings; kramdown attribute lines are dropped."""
    sections: list[Section] = []
    used: Counter[str] = Counter()
    title, level, body = "", 0, []

    def flush() -> None:
        if not title:
            return
        base = kramdown_anchor(title)
        anchor = base if used[base] == 0 else f"{base}-{used[base]}"
        used[base] += 1
        sections.append(Section(title=title, anchor=anchor, level=level, text="\n".join(body).strip()))

    for line in strip_front_matter(text).splitlines():
        if KRAMDOWN_ATTRIBUTES.match(line):
            continue
        heading = HEADING.match(line)
        if heading:
            flush()
            level, title, body = len(heading.group(1)), heading.group(2).strip(), []
        else:
            body.append(line)
    flush()
    return sections


def plain_text(markdown: str) -> str:
    """Markdown inline syntax removed: link targets, emphasis, code ticks."""
    text = MARKDOWN_LINK.sub(r"\1", markdown)
    text = REFERENCE_LINK.sub(r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return re.sub(r"[ \t]+", " ", text)


VOWELS = frozenset("aeiou")


def _is_consonant(word: str, i: int) -> bool:
    if word[i] in VOWELS:
        return False
    return not (word[i] == "y" and i > 0 and _is_consonant(word, i - 1))


def _measure(stem: str) -> int:
    """Porter's m: the number of vowel-consonant sequences in `stem`."""
    pattern = "".join("c" if _is_consonant(stem, i) else "v" for i in range(len(stem)))
    return len(re.findall(r"v+c+", pattern))


def _ends_cvc(stem: str) -> bool:
    return (
        len(stem) >= 3
        and _is_consonant(stem, len(stem) - 3)
        and not _is_consonant(stem, len(stem) - 2)
        and _is_consonant(stem, len(stem) - 1)
        and stem[-1] not in "wxy"
    )


def stem(word: str) -> str:
    """Porter's step 1 (plurals, -ed, -ing, -y): "reassigning", "named" -> "reassign", "name"."""
    word = _strip_inflection(word)
    if word.endswith("y") and any(not _is_consonant(word, i) for i in range(len(word) - 1)):
        word = word[:-1] + "i"
    return word


def _strip_inflection(word: str) -> str:
    if word.endswith("sses") or word.endswith("ies"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("eed"):
        return word[:-1] if _measure(word[:-3]) > 0 else word
    for suffix in ("ed", "ing"):
        base = word[: -len(suffix)]
        if word.endswith(suffix) and any(not _is_consonant(base, i) for i in range(len(base))):
            if base.endswith(("at", "bl", "iz")):
                return base + "e"
            doubled = len(base) > 1 and base[-1] == base[-2] and _is_consonant(base, len(base) - 1)
            if doubled and base[-1] not in "lsz":
                return base[:-1]
            if _measure(base) == 1 and _ends_cvc(base):
                return base + "e"
            return base
    return word


def tokenize(text: str) -> list[str]:
    """Lowercased, stop words dropped, lightly stemmed."""
    return [stem(word) for word in WORD.findall(text.lower()) if word not in STOP_WORDS]


@dataclass(slots=True)
class _Bm25:
    """BM25 statistics over weighted term counts (BM25F with a title field and a body field)."""

    docs: list[dict[str, float]]
    lengths: list[float] = field(init=False)
    average: float = field(init=False)
    document_frequency: Counter[str] = field(init=False)

    def __post_init__(self) -> None:
        self.lengths = [float(sum(doc.values())) for doc in self.docs]
        self.average = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        self.document_frequency = Counter(term for doc in self.docs for term in doc)

    def idf(self, term: str) -> float:
        n, df = len(self.docs), self.document_frequency[term]
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def score(self, index: int, terms: list[str]) -> float:
        doc = self.docs[index]
        norm = BM25_K1 * (1 - BM25_B + BM25_B * self.lengths[index] / (self.average or 1))
        return sum(
            self.idf(term) * doc[term] * (BM25_K1 + 1) / (doc[term] + norm) for term in terms if term in doc
        )


def _weighted_terms(section: Section) -> dict[str, float]:
    counts: dict[str, float] = dict(Counter(tokenize(plain_text(section.text))))
    for term in tokenize(section.title):
        counts[term] = counts.get(term, 0.0) + TITLE_WEIGHT
    return counts


class HandbookIndex:
    """The handbook's sections, ranked against a question by BM25 over titles (weighted) and text."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self._by_anchor = {section.anchor: section for section in sections}
        self._bm25 = _Bm25([_weighted_terms(section) for section in sections])

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

    def ask(self, question: str, k: int = 3) -> list[Answer]:
        """The `k` sections most relevant to `question`, best first; none when no word matches."""
        words = tokenize(question)
        terms = list(dict.fromkeys(words + [s for w in words for s in QUESTION_SYNONYMS.get(w, ())]))
        if not terms:
            return []
        # A heading with no text of its own (e.g. "Types of Accounts") has nothing to quote.
        scored = [(self._bm25.score(i, terms), i) for i, section in enumerate(self.sections) if section.text]
        ranked = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: (-pair[0], pair[1]))
        return [
            Answer(section=self.sections[i], score=round(score, 4), excerpt=self._excerpt(i, terms))
            for score, i in ranked[:k]
        ]

    def _excerpt(self, index: int, terms: list[str]) -> str:
        """The section's sentence with the most query weight, plus the next one while it fits."""
        sentences = _sentences(self.sections[index].text)
        if not sentences:
            return ""
        wanted = set(terms)

        def weight(sentence: str) -> float:
            return sum(self._bm25.idf(term) for term in wanted.intersection(tokenize(sentence)))

        # Ties go to the shorter sentence: the same words in fewer characters are more to the point.
        best = max(range(len(sentences)), key=lambda i: (weight(sentences[i]), -len(sentences[i]), -i))
        excerpt = sentences[best]
        if best + 1 < len(sentences) and len(excerpt) + 1 + len(sentences[best + 1]) <= EXCERPT_CHARS:
            excerpt = f"{excerpt} {sentences[best + 1]}"
        return excerpt if len(excerpt) <= EXCERPT_CHARS else excerpt[: EXCERPT_CHARS - 1].rstrip() + "…"


def _sentences(markdown: str) -> list[str]:
    lines = (LINK_DEFINITION.sub("", line) for line in markdown.splitlines())
    items = (_table_row(line) if line.lstrip().startswith("|") else _list_item(line) for line in lines)
    return [
        sentence.strip()
        for item in items
        if item and not set(item) <= set("-|: ")
        for sentence in SENTENCE_END.split(plain_text(item))
        if sentence.strip()
    ]


def _table_row(line: str) -> str:
    """`| Term | Definition |` reads as `Term: Definition`; separator rows become empty."""
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return ": ".join(cell for cell in cells if cell and not set(cell) <= set(":- "))


def _list_item(line: str) -> str:
    return re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line).strip()
