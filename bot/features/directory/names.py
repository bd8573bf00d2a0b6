"""An in-memory index of account names, so finding an account by name is fast at 100,000 accounts.

Pure: built from (account_id, name, public_sector) rows, no SQL or Slack. The use-case
(bot/features/ownership/service.py) rebuilds it when the directory's accounts version changes
(every import bumps it).

Lookup order mirrors what people type: the exact name, then a substring (shortest names first), then a
forgiving fuzzy match. The fuzzy pass scores only candidates: names sharing a word that is close to a
word of the query, plus the best whole-name ratios; scoring every name with WRatio took ~90 ms at 100k.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

WORD = re.compile(r"\w+")
MAX_CANDIDATES = 2000  # names scored by the fuzzy pass, at most
WORD_CUTOFF = 75  # how close a typed word must be to a name's word to make it a candidate


@dataclass(frozen=True, slots=True)
class NameMatch:
    account_id: str
    name: str
    score: float = 100.0


class AccountNameIndex:
    def __init__(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        ordered = sorted(rows, key=lambda r: (len(r[1]), r[1], r[0]))
        self.ids = [r[0] for r in ordered]
        self.names = [r[1] for r in ordered]
        self.public = [bool(r[2]) for r in ordered]
        self.folded = [n.casefold() for n in self.names]
        self.by_id = set(self.ids)
        # folded name -> its position, or positions when several accounts share it (a list per name
        # cost ~10 MB at 140,000 accounts, for the few names that repeat)
        self.exact: dict[str, int | list[int]] = {}
        for i, name in enumerate(self.folded):
            found = self.exact.get(name)
            if found is None:
                self.exact[name] = i
            elif isinstance(found, int):
                self.exact[name] = [found, i]
            else:
                found.append(i)
        # One string for substring search: str.find runs in C; offsets map a hit back to its name.
        self.blob = "\n".join(self.folded)
        self.starts: list[int] = []
        offset = 0
        for name in self.folded:
            self.starts.append(offset)
            offset += len(name) + 1
        self.words: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.folded):
            for word in set(WORD.findall(name)):
                self.words[word].append(i)
        self.vocabulary = list(self.words)

    def __len__(self) -> int:
        return len(self.ids)

    def _match(self, i: int, score: float = 100.0) -> NameMatch:
        return NameMatch(self.ids[i], self.names[i], score)

    def exactly(self, text: str, *, public: bool) -> list[NameMatch]:
        found = self.exact.get(text.strip().casefold())
        hits = [] if found is None else [found] if isinstance(found, int) else found
        return [self._match(i) for i in hits if public or not self.public[i]]

    def containing(self, text: str, *, public: bool, limit: int = 20) -> list[NameMatch]:
        """Names containing `text` (any case), shortest first, as LIKE '%text%' ORDER BY length did."""
        needle = text.strip().casefold()
        if not needle or "\n" in needle:
            return []
        found: list[int] = []
        at = self.blob.find(needle)
        while at != -1:
            i = bisect_right(self.starts, at) - 1
            if public or not self.public[i]:
                found.append(i)
                if len(found) >= limit:  # names are sorted by length, so the first hits are the shortest
                    break
            at = self.blob.find(needle, self.starts[i] + len(self.folded[i]) + 1)
        return [self._match(i) for i in found]

    def fuzzy(self, text: str, *, public: bool, limit: int = 5, cutoff: float = 70) -> list[NameMatch]:
        needle = text.strip()
        if not needle:
            return []
        folded = needle.casefold()
        candidates: set[int] = set()
        for word in sorted(set(WORD.findall(folded)), key=len, reverse=True):
            if word.isdigit() or len(word) < 3:  # numbers and short words: only exactly
                close = [(word, 100.0, 0)] if word in self.words else []
            else:
                close = process.extract(
                    word,
                    self.vocabulary,
                    scorer=fuzz.ratio,
                    limit=10,
                    score_cutoff=WORD_CUTOFF,
                    processor=None,
                )
            for found, _score, _k in sorted(close, key=lambda c: len(self.words[c[0]])):
                candidates.update(self.words[found][: MAX_CANDIDATES - len(candidates)])
                if len(candidates) >= MAX_CANDIDATES:
                    break
        if not candidates:  # no word is close: the best whole-name ratios
            whole = process.extract(folded, self.folded, scorer=fuzz.ratio, limit=50, processor=None)
            candidates.update(i for _n, _s, i in whole)
        choices = {i: self.names[i] for i in candidates if public or not self.public[i]}
        scored = process.extract(needle, choices, scorer=fuzz.WRatio, limit=None, score_cutoff=cutoff)
        best = heapq.nsmallest(limit, ((-score, i) for _n, score, i in scored))
        return [self._match(i, -score) for score, i in best]
