"""Words as `/gtm ask` and the glossary's near-misses compare them: Snowball stems without stop words."""

from __future__ import annotations

import re
from functools import cache

import snowballstemmer

WORD = re.compile(r"[A-Za-z0-9]+")

# Words that carry no meaning for ranking: function words and what questions are made of.
_STOP_WORDS_TEXT = """
    a about above after again all also am an and any are as at be been before being below between both but by
    can could did do does doing down during each few for from further get gets getting got had has have
    happen happens having he her here hers how i if in into is it its itself just let me mean means more most
    my need needs no nor not now of off on once only or other our ours out over please same she should so
    some someone such than that the their theirs them then there these they this those through to too
    under until up very want was we were what whats when where which while who whom why will with would
    you your
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@cache
def _stemmer() -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """Lowercased words without stop words; a stop word in capitals is an acronym ("AM") and stays."""
    return [
        word.lower()
        for word in WORD.findall(text)
        if (len(word) > 1 or word.isdigit()) and (word.lower() not in STOP_WORDS or word.isupper())
    ]


@cache  # the handbook has a few thousand distinct words; Snowball in pure Python is the slow part
def stem(word: str) -> str:
    """Snowball (Porter 2) English: "reassigning", "reassigned" -> "reassign"; "named" -> "name"."""
    return str(_stemmer().stemWord(word.lower()))


def tokenize(text: str) -> list[str]:
    """Stemmed words without stop words: "Who can reassign an account?" -> ["reassign", "account"]."""
    return [stem(word) for word in words(text)]
