"""An in-memory index of account names, so finding an account by name is fast at 100,000 accounts.

Pure: built from (account_id, name, public_sector[, root_id]) rows, no SQL or Slack. The read cache
(bot/features/directory/cache.py) rebuilds it when the directory's accounts version changes (every import
bumps it), and also asks it for each account's ultimate parent.

Lookup order mirrors what people type: the exact name, then a substring (shortest names first), then a
forgiving fuzzy match. A substring search checks only the names the words index says can hold the text
(see _may_hold): searching the text of every name took ~0.8 ms at 140,000 accounts, and a name the asker
may not see (public sector) always fell through to it. The fuzzy pass scores only candidates: names
sharing a word that is close to a word of the query (the closest and rarest words first; words held by
thousands of names only when nothing else is close), else the best whole-name ratios; scoring every name
with WRatio took ~90 ms at 100k, the 2,000 names sharing a typed word's common neighbour ("corp",
"branch") ~7 ms, the rarer words' ~2 ms. Each typed word's close words are remembered (_close_to).

Lean on purpose (one per process, 140,000 accounts in the benchmark): no Python object per account. Names,
folded names and ids are each one joined string with an array of offsets; an account is its position in
the name order (length, name, id); look-ups by id, by folded name and by word bisect arrays of positions.
About 20 MB at 140,000 accounts, where lists, dicts and sets of per-account strings and ints took ~75 MB.
"""

from __future__ import annotations

import heapq
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

WORD = re.compile(r"\w+")
MAX_CANDIDATES = 2000  # names scored by the fuzzy pass, at most
COMMON_WORD = 500  # a word held by more names adds candidates only when no rarer close word found any
WORD_CUTOFF = 75  # how close a typed word must be to a name's word to make it a candidate
# A substring search checks at most this many names the words index found one by one (each ~0.2 µs), else
# it searches the whole text of names (~0.8 ms at 140,000 names); FEW names of a whole word end the search.
MAY_HOLD, FEW = 2000, 64
CLOSE_WORDS = 2_000  # typed words whose close words are remembered (~1 KB each; forgotten all at once)
NO_ROOT, OTHER_ROOT = -1, -2  # an account without a computed ultimate parent; one not in the index


@dataclass(frozen=True, slots=True)
class NameMatch:
    account_id: str
    name: str
    score: float = 100.0


class _Joined:
    """Strings kept as one string and their offsets: item i is text[at[i]:at[i + 1] - 1]."""

    __slots__ = ("at", "text")

    def __init__(self, items: Iterable[str]) -> None:
        self.at = array("I", [0])
        parts: list[str] = []
        for item in items:
            parts.append(item)
            self.at.append(self.at[-1] + len(item) + 1)
        self.text = "\n".join(parts) + "\n"

    def __getitem__(self, i: int) -> str:
        return self.text[self.at[i] : self.at[i + 1] - 1]

    def __len__(self) -> int:
        return len(self.at) - 1

    def owner_of(self, offset: int) -> int:
        """The item whose text holds `offset`."""
        return bisect_right(self.at, offset) - 1


class _Ids:
    """`account_id in index.by_id`, without a set of 140,000 strings."""

    __slots__ = ("index",)

    def __init__(self, index: AccountNameIndex) -> None:
        self.index = index

    def __contains__(self, account_id: object) -> bool:
        return isinstance(account_id, str) and self.index.position(account_id) is not None


class _Lookup:
    """Positions of strings by value: their hashes sorted (bisected in C), each with its position; a hit
    is checked against the string itself. Hashes are per process, like the index."""

    __slots__ = ("hashes", "positions")

    def __init__(self, strings: Sequence[str]) -> None:
        pairs = sorted((hash(text), i) for i, text in enumerate(strings))
        self.hashes = array("q", (h for h, _i in pairs))
        self.positions = array("I", (i for _h, i in pairs))

    def find(self, value: str, strings: Sequence[str]) -> list[int]:
        """Positions holding `value`, in position order."""
        key = hash(value)
        at = bisect_left(self.hashes, key)
        found = []
        while at < len(self.hashes) and self.hashes[at] == key:
            if strings[self.positions[at]] == value:
                found.append(self.positions[at])
            at += 1
        return found


class AccountNameIndex:
    def __init__(self, rows: Iterable[tuple[str, str, bool] | tuple[str, str, bool, str | None]]) -> None:
        ordered = sorted(rows, key=lambda r: (len(r[1]), r[1], r[0]))
        n = len(ordered)
        ids = [r[0] for r in ordered]  # plain lists while building; only the joined forms are kept
        folded = [r[1].casefold() for r in ordered]
        self.ids = _Joined(ids)
        self.names = _Joined(r[1] for r in ordered)
        self.folded = _Joined(folded)
        self._splits = not any("\n" in name for name in folded)  # folded.text.split() gives the names
        self.public = bytearray(bool(r[2]) for r in ordered)
        self.by_id = _Ids(self)
        self._by_id = _Lookup(ids)
        self._by_folded = _Lookup(folded)  # exact names, any case
        # every account's ultimate parent, as a position (a root id not in the index is kept aside)
        where = {account_id: i for i, account_id in enumerate(ids)}
        self._root = array("i", [NO_ROOT]) * n
        self._other_roots: dict[int, str] = {}
        self._size = array("I", [0]) * n  # members under each ultimate parent
        self._other_sizes: dict[str, int] = {}
        for i, row in enumerate(ordered):
            root = row[3] if len(row) > 3 else None  # type: ignore[misc]
            if root is None:
                continue
            at = where.get(root)
            if at is None:
                self._root[i] = OTHER_ROOT
                self._other_roots[i] = root
                self._other_sizes[root] = self._other_sizes.get(root, 0) + 1
            else:
                self._root[i] = at
                self._size[at] += 1
        del ordered, ids, where
        # words -> positions of the names holding them, in name order (one array for all words)
        postings: dict[str, array] = {}
        for i, name in enumerate(folded):
            for word in set(WORD.findall(name)):
                found = postings.get(word)
                if found is None:
                    postings[word] = found = array("I")
                found.append(i)
        self.vocabulary = list(postings)
        # the words that are not all digits, for typed words without a digit: a word of digits shares no
        # letter with them, so its ratio is 0 (most words are numbers where names carry them)
        self._lettered = array("I", (k for k, word in enumerate(self.vocabulary) if not word.isdigit()))
        self._lettered_words = [self.vocabulary[k] for k in self._lettered]
        self._word_order = _Lookup(self.vocabulary)
        self._close: dict[str, tuple[tuple[int, float], ...]] = {}  # typed word -> close words (_close_to)
        # the words in order and in the order of their spelling reversed (the words starting or ending with a
        # text are a range of each), and as one string (the words holding a text)
        self._by_start = array("I", sorted(range(len(self.vocabulary)), key=self.vocabulary.__getitem__))
        self._by_end = array("I", sorted(range(len(self.vocabulary)), key=lambda k: self.vocabulary[k][::-1]))
        self._words = _Joined(self.vocabulary)
        self._word_at = array("I", [0])
        self._postings = array("I")
        for word in self.vocabulary:
            self._postings.extend(postings[word])
            self._word_at.append(len(self._postings))

    def __len__(self) -> int:
        return len(self.public)

    # ---- by id ------------------------------------------------------------------------------------
    def position(self, account_id: str) -> int | None:
        found = self._by_id.find(account_id, self.ids)
        return found[0] if found else None

    def is_public(self, account_id: str) -> bool:
        at = self.position(account_id)
        return at is not None and bool(self.public[at])

    def root_of(self, account_id: str) -> str | None:
        """The account's stored ultimate parent (None: unknown account, or not computed)."""
        at = self.position(account_id)
        if at is None:
            return None
        root = self._root[at]
        if root == NO_ROOT:
            return None
        return self._other_roots[at] if root == OTHER_ROOT else self.ids[root]

    def size_of(self, root_id: str) -> int:
        """How many accounts have `root_id` as their ultimate parent."""
        at = self.position(root_id)
        return self._size[at] if at is not None else self._other_sizes.get(root_id, 0)

    # ---- by name ----------------------------------------------------------------------------------
    def _match(self, i: int, score: float = 100.0) -> NameMatch:
        return NameMatch(self.ids[i], self.names[i], score)

    def _word(self, word: str) -> int | None:
        found = self._word_order.find(word, self.vocabulary)
        return found[0] if found else None

    def _posting(self, k: int) -> array:
        return self._postings[self._word_at[k] : self._word_at[k + 1]]

    def exactly(self, text: str, *, public: bool) -> list[NameMatch]:
        hits = self._by_folded.find(text.strip().casefold(), self.folded)
        return [self._match(i) for i in hits if public or not self.public[i]]

    def containing(self, text: str, *, public: bool, limit: int = 20) -> list[NameMatch]:
        """Names containing `text` (any case), shortest first, as LIKE '%text%' ORDER BY length did."""
        needle = text.strip().casefold()
        if not needle or "\n" in needle:
            return []
        may_hold = self._may_hold(needle)
        if may_hold is not None:  # check those names only, in name order
            found = []
            for i in may_hold:
                if (public or not self.public[i]) and needle in self.folded[i]:
                    found.append(i)
                    if len(found) >= limit:
                        break
            return [self._match(i) for i in found]
        blob, starts = self.folded.text, self.folded.at
        found: list[int] = []
        at = blob.find(needle)
        while at != -1:
            i = self.folded.owner_of(at)
            if public or not self.public[i]:
                found.append(i)
                if len(found) >= limit:  # names are sorted by length, so the first hits are the shortest
                    break
            at = blob.find(needle, starts[i + 1])
        return [self._match(i) for i in found]

    def _may_hold(self, needle: str) -> Sequence[int] | None:
        """The positions, ascending, of the names that can hold `needle` by the words index, or None when
        the index can't narrow them below MAY_HOLD (then every name is searched).

        A name holding the needle holds each of its words, and every word of it but the first and the
        last whole: a needle's word with another character before it starts a word of the name, one
        with another character after it ends one. So a word in the middle is a word of the name, the
        last one the start of one, the first one the end of one, and a needle of one word part of one.
        The names of the word (or words) that fewest names hold are checked."""
        best: list[int] | None = None
        most = MAY_HOLD
        spans = [m.span() for m in WORD.finditer(needle)]
        # whole words first (one hash each), then the start of one (the last word): a rare one ends the search
        for start, end in sorted(spans, key=lambda span: (span[0] == 0, span[1] == len(needle))):
            word = needle[start:end]
            if start > 0 and end < len(needle):
                k = self._word(word)
                words = [] if k is None else [k]
            else:
                words = self._words_with(word, start > 0, end < len(needle), most)
                if words is None:
                    continue
            size = sum(self._word_at[k + 1] - self._word_at[k] for k in words)
            if size <= most:
                best, most = words, size
            if most <= FEW:
                break
        if best is None:
            return None
        if len(best) == 1:
            return self._posting(best[0])
        return sorted({i for k in best for i in self._posting(k)})

    def _words_with(self, part: str, starts: bool, ends: bool, most: int) -> list[int] | None:
        """The words starting with `part` (`starts`), ending with it (`ends`) or holding it; None once
        their names pass `most`."""
        vocabulary, sizes = self.vocabulary, self._word_at
        found: list[int] = []
        names = 0
        if starts or ends:  # a range of the words in order (or of their spellings reversed)
            order, key = (self._by_start, part) if starts else (self._by_end, part[::-1])
            spelled = vocabulary.__getitem__ if starts else lambda k: vocabulary[k][::-1]
            at = bisect_left(order, key, key=spelled)
            while at < len(order) and spelled(order[at]).startswith(key):
                found.append(k := order[at])
                names += sizes[k + 1] - sizes[k]
                if names > most:
                    return None
                at += 1
            return found
        text, start_of = self._words.text, self._words.at
        at = text.find(part)
        while at != -1:
            k = bisect_right(start_of, at) - 1
            found.append(k)
            names += sizes[k + 1] - sizes[k]
            if names > most:
                return None
            at = text.find(part, start_of[k + 1])
        return found

    def _close_to(self, word: str) -> tuple[tuple[int, float], ...]:
        """The index's words close to a typed word, with how close: remembered, since the same words come
        back ("corp", "gmbh", a company's name) and each costs ~0.25 ms at 140,000 names."""
        found = self._close.get(word)
        if found is None:
            every = any(c.isdigit() for c in word)
            scored = process.extract(
                word,
                self.vocabulary if every else self._lettered_words,
                scorer=fuzz.ratio,
                limit=10,
                score_cutoff=WORD_CUTOFF,
                processor=None,
            )
            found = tuple((k if every else self._lettered[k], score) for _w, score, k in scored)
            if len(self._close) >= CLOSE_WORDS:
                self._close.clear()
            self._close[word] = found
        return found

    def fuzzy(self, text: str, *, public: bool, limit: int = 5, cutoff: float = 70) -> list[NameMatch]:
        needle = text.strip()
        if not needle or not len(self):
            return []
        folded = needle.casefold()
        close: dict[int, float] = {}  # words of the index close to a typed word -> how close
        for word in set(WORD.findall(folded)):
            if word.isdigit() or len(word) < 3:  # numbers and short words: only exactly
                k = self._word(word)
                if k is not None:
                    close[k] = 100.0
                continue
            for k, score in self._close_to(word):
                close[k] = max(score, close.get(k, 0.0))
        # The names holding the closest words first, the rarest of them first. A common word ("corp", "gmbh")
        # adds its names only while no other word found any: they would be the shortest thousands of names
        # holding it, scored for nothing (the name meant holds the other typed words too), and scoring is
        # most of a fuzzy pass. A word typed exactly goes before the near misses of another ("acme" before
        # "acne"), so a rare near miss never shuts out the common word that was meant.
        candidates: set[int] = set()
        for k in sorted(close, key=lambda k: (-close[k], self._word_at[k + 1] - self._word_at[k])):
            posting = self._posting(k)
            if candidates and len(posting) > COMMON_WORD:
                break
            candidates.update(posting[: MAX_CANDIDATES - len(candidates)])
            if len(candidates) >= MAX_CANDIDATES:
                break
        if not candidates:  # no word is close: the best whole-name ratios
            every = (
                self.folded.text[:-1].split("\n")
                if self._splits
                else [*map(self.folded.__getitem__, range(len(self)))]
            )
            whole = process.extract(folded, every, scorer=fuzz.ratio, limit=50, processor=None)
            candidates.update(i for _n, _s, i in whole)
        # Every candidate over the cutoff in one pass (ties at the last place go to the shorter name, so a
        # top `limit` alone would not do), the names sliced inline: this pass is most of a fuzzy look-up.
        shown = [i for i in candidates if public or not self.public[i]]
        text, at = self.names.text, self.names.at
        choices = [text[at[i] : at[i + 1] - 1] for i in shown]
        scored = process.extract(needle, choices, scorer=fuzz.WRatio, limit=None, score_cutoff=cutoff)
        best = heapq.nsmallest(limit, ((-score, shown[k]) for _n, score, k in scored))
        return [self._match(i, -score) for score, i in best]
