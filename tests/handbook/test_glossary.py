"""The glossary against the handbook's own terms ("Glossary", "Opportunity Stages", "Segmentation")."""

from __future__ import annotations

import pytest

from bot.handbook import facts
from bot.handbook.glossary import (
    GlossaryEntry,
    GlossaryIndex,
    load_shipped_entries,
    load_shipped_undefined,
    normalize,
)
from bot.handbook.search import HandbookIndex
from bot.handbook.sections import default_handbook_path
from bot.handbook.words import tokenize


@pytest.fixture(scope="module")
def index() -> GlossaryIndex:
    return GlossaryIndex.shipped()


@pytest.fixture(scope="module")
def handbook_anchors() -> set[str]:
    return HandbookIndex.from_file(default_handbook_path()).anchors()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SAO", "sao"),
        ("S.A.O.", "sao"),
        ("SAO's", "sao"),
        ("SAO\u2019s", "sao"),
        ("SAOs", "sao"),
        ("  Sales   Accepted\tOpportunity ", "sales accepted opportunity"),
        ("0-Pending Acceptance", "0 pending acceptance"),
        ("Mid-Market", "mid market"),
        ("Active vs. Passive", "active vs passive"),
        ("Process", "process"),  # a word ending in "s" is not an acronym plural
    ],
)
def test_normalize_folds_the_ways_people_type_a_name(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("sao", ["sao"]),
        ("S.A.O.", ["sao"]),
        ("SAO's", ["sao"]),
        ("SAOs", ["sao"]),
        ("saos", ["sao"]),
        ("Sales Accepted Opportunity", ["sao"]),
        ("mql", ["mql"]),
        ("Marketo Qualified Lead", ["mql"]),
        ("TEDD", ["tedd"]),
        ("IQM", ["iqm"]),
        ("SQO", ["sqo"]),
        ("Named Accounts", ["named-account"]),
        ("Global Account", ["global-account"]),
        ("Ultimate Parent", ["global-account"]),
        ("mid market", ["mid-market"]),
        ("MM", ["mid-market"]),
        ("SMB", ["smb"]),
        ("Small Business", ["smb"]),
        ("Large", ["large"]),
        ("Pending Acceptance", ["0-pending-acceptance"]),
        ("00-Pre Opportunity", ["00-pre-opportunity"]),
        ("Pre-Opportunity", ["00-pre-opportunity"]),
        ("closed won", ["7-closed-won"]),
        ("10-Duplicate", ["10-duplicate"]),
        ("stage 3", ["3-technical-evaluation"]),
        ("add-on", ["add-on-business"]),
        ("Renewal", ["renewal"]),
        ("New subscription", ["new-subscription"]),
        ("New account", ["new-account"]),
        ("Upside IACV", ["upside-iacv"]),
        ("Incremental Annual Contract Value", ["iacv"]),
        ("Sales Qualified Source", ["sales-qualified-source"]),
        ("Initial Source", ["initial-source"]),
        ("passive", ["active-vs-passive"]),
        ("Raw", ["raw"]),
        ("Inquiry", ["inquiry"]),
        ("Qualifying", ["qualifying"]),
        ("Qualified", ["qualified-lead"]),
        ("Accepted Lead", ["accepted-lead"]),
    ],
)
def test_a_name_acronym_expansion_or_alias_finds_its_entry(
    index: GlossaryIndex, query: str, expected_ids: list[str]
) -> None:
    lookup = index.lookup(query)
    assert [entry.id for entry in lookup.matches] == expected_ids
    assert not lookup.fuzzy
    assert lookup.suggestions == []


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        ("Sales Acepted Oportunity", "sao"),
        ("Marketo Qualifed Lead", "mql"),
        ("Sales Qualifed Opportunity", "sqo"),
        ("Technical Evalutaion", "3-technical-evaluation"),
        ("Strategic Acount Leader", "sal"),
    ],
)
def test_a_typo_close_to_one_name_resolves_to_it(index: GlossaryIndex, query: str, expected_id: str) -> None:
    lookup = index.lookup(query)
    assert [entry.id for entry in lookup.matches] == [expected_id]
    assert lookup.fuzzy


@pytest.mark.parametrize(
    ("query", "expected_ids"),
    [
        ("holdover", {"holdover-account", "holdover-opportunity"}),
        ("Rules of Engagement", {"rules-of-engagement", "account-ownership-rules-of-engagement"}),
        ("ROE", {"rules-of-engagement", "account-ownership-rules-of-engagement"}),
    ],
)
def test_a_name_with_several_meanings_lists_every_meaning(
    index: GlossaryIndex, query: str, expected_ids: set[str]
) -> None:
    lookup = index.lookup(query)
    assert {entry.id for entry in lookup.matches} == expected_ids
    assert len({entry.section for entry in lookup.matches}) == len(expected_ids)


@pytest.mark.parametrize(
    ("query", "used_in", "has_definition"),
    [
        ("SCLAU", ("sal-sales-capacity",), False),
        ("sclau", ("sal-sales-capacity",), False),
        ("MEDDPICC", ("opportunity-stages",), False),
        ("ASM", ("account-ownership-rules-of-engagement",), False),
        ("TAM", ("account-ownership-rules-of-engagement",), True),  # defined once, used in another sense
    ],
)
def test_a_term_the_handbook_never_defines_says_where_it_is_used(
    index: GlossaryIndex, query: str, used_in: tuple[str, ...], has_definition: bool
) -> None:
    lookup = index.lookup(query)
    assert lookup.undefined is not None
    assert lookup.undefined.used_in == used_in
    assert lookup.undefined.urls == tuple(facts.section_url(anchor) for anchor in used_in)
    assert lookup.found is has_definition
    assert lookup.suggestions == []


@pytest.mark.parametrize("query", ["opportunity", "lead", "pipeline", "webcast", "oportunity"])
def test_a_query_naming_nothing_offers_up_to_five_suggestions(index: GlossaryIndex, query: str) -> None:
    lookup = index.lookup(query)
    assert lookup.matches == []
    assert lookup.undefined is None
    assert 1 <= len(lookup.suggestions) <= 5
    assert len({entry.id for entry in lookup.suggestions}) == len(lookup.suggestions)


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [("opportunity", "00-pre-opportunity"), ("lead", "accepted-lead"), ("Salse Admn", "sales-admin")],
)
def test_suggestions_are_the_closest_entries(index: GlossaryIndex, query: str, expected_id: str) -> None:
    assert expected_id in [entry.id for entry in index.lookup(query).suggestions]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # the definitions that use the word, not "AE" or "Visual Compliance" for sharing letters
        ("pipeline", ["0-pending-acceptance", "sales-qualified-source"]),
        ("pipelines", ["0-pending-acceptance", "sales-qualified-source"]),
        ("webcast", ["active-vs-passive", "high-intent"]),
        ("quota", ["sales-serve"]),
        ("holdovers", ["holdover-account", "holdover-opportunity", "account-ownership-rules-of-engagement"]),
        ("Sales Acepted", ["sao"]),  # a word of the name, and a typo of another: first
        ("Salse Admn", ["sales-admin"]),
        ("xyzzy", []),
        ("the of", []),
        ("zq", []),
    ],
)
def test_near_misses_share_a_word_a_stem_or_a_meaning_with_the_query(
    index: GlossaryIndex, query: str, expected: list[str]
) -> None:
    found = [entry.id for entry in index.near_misses(query)]
    assert (
        found[: len(expected)] == expected
        if len(expected) == 1
        else set(found[: len(expected)]) == set(expected)
    )
    assert bool(found) == bool(expected)


@pytest.mark.parametrize(
    "query", ["pipeline", "opportunity", "closed deals", "lead routing", "renewals", "quota"]
)
def test_every_near_miss_names_or_defines_with_a_word_of_the_query(index: GlossaryIndex, query: str) -> None:
    wanted = set(tokenize(query))
    for entry in index.near_misses(query):
        said = set(tokenize(" ".join(entry.names))) | set(tokenize(entry.definition))
        assert wanted & said, (query, entry.term)


@pytest.mark.parametrize("query", ["", "   ", "?!"])
def test_an_empty_query_finds_nothing_and_suggests_nothing(index: GlossaryIndex, query: str) -> None:
    lookup = index.lookup(query)
    assert (lookup.matches, lookup.suggestions, lookup.undefined) == ([], [], None)


def test_every_entry_cites_a_section_that_exists_in_the_handbook(handbook_anchors: set[str]) -> None:
    missing = {
        entry.id: entry.section for entry in load_shipped_entries() if entry.section not in handbook_anchors
    }
    assert missing == {}


def test_every_undefined_term_is_used_in_sections_that_exist(handbook_anchors: set[str]) -> None:
    missing = {t.term: t.used_in for t in load_shipped_undefined() if not set(t.used_in) <= handbook_anchors}
    assert missing == {}


def test_every_undefined_term_really_appears_in_the_sections_it_cites() -> None:
    handbook = HandbookIndex.from_file(default_handbook_path())
    for term in load_shipped_undefined():
        for anchor in term.used_in:
            section = handbook.section(anchor)
            assert section is not None and term.term in section.text, (term.term, anchor)


@pytest.mark.parametrize(
    ("term", "section"),
    [
        ("AM", "glossary"),
        ("AE", "glossary"),
        ("APAC", "glossary"),
        ("CS", "glossary"),
        ("EMEA", "glossary"),
        ("EULA", "glossary"),
        ("High intent", "glossary"),
        ("Holdover Account", "glossary"),
        ("LATAM", "glossary"),
        ("MVC", "glossary"),
        ("NCSA", "glossary"),
        ("NORAM", "glossary"),
        ("RD", "glossary"),
        ("ROW", "glossary"),
        ("Sales Admin", "glossary"),
        ("Sales Serve", "glossary"),
        ("SDR", "glossary"),
        ("Self Serve", "glossary"),
        ("SLA", "glossary"),
        ("TAM", "glossary"),
        ("Won Opportunity", "glossary"),
        ("1-Discovery", "opportunity-stages"),
        ("2-Scoping", "opportunity-stages"),
        ("4-Proposal", "opportunity-stages"),
        ("5-Negotiating", "opportunity-stages"),
        ("6-Awaiting Signature", "opportunity-stages"),
        ("8-Closed Lost", "opportunity-stages"),
        ("9-Unqualified", "opportunity-stages"),
        ("Add On Business", "opportunity-types"),
        ("Holdover Opportunity", "account-ownership-rules-of-engagement"),
        ("Named Account", "account-ownership-rules-of-engagement"),
    ],
)
def test_the_handbooks_terms_are_all_in_the_glossary(index: GlossaryIndex, term: str, section: str) -> None:
    assert [(entry.term, entry.section) for entry in index.lookup(term).matches] == [(term, section)]


def test_acronym_entries_carry_their_expansion_and_a_link(index: GlossaryIndex) -> None:
    (sao,) = index.lookup("SAO").matches
    assert sao.expansion == "Sales Accepted Opportunity"
    assert "Initial Qualifying Meeting" in sao.definition
    assert sao.url == facts.section_url("glossary")


def test_entry_ids_are_unique() -> None:
    ids = [entry.id for entry in load_shipped_entries()]
    assert len(ids) == len(set(ids))


def test_browse_letters_run_a_to_z_then_numbers(index: GlossaryIndex) -> None:
    letters = index.letters()
    assert letters[-1] == "#"
    assert letters[:-1] == sorted(letters[:-1])
    assert {"A", "M", "S", "T"} <= set(letters)


@pytest.mark.parametrize(
    ("letter", "expected_terms"),
    [
        ("m", ["Mid-Market", "MQL", "MVC"]),
        ("N", ["Named Account", "NCSA", "New account", "New Business", "New subscription", "NORAM"]),
        ("X", []),
    ],
)
def test_browsing_a_letter_lists_its_terms_in_order(
    index: GlossaryIndex, letter: str, expected_terms: list[str]
) -> None:
    assert [entry.term for entry in index.by_letter(letter)] == expected_terms


def test_browsing_numbers_lists_the_opportunity_stages_in_stage_order(index: GlossaryIndex) -> None:
    assert [entry.term.split("-")[0] for entry in index.by_letter("#")] == [
        "00", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected_first", "expected_in"),
    [
        ("sa", "SAL", {"SAO", "Sales Admin", "SAL Sales Capacity"}),
        ("pend", "0-Pending Acceptance", set()),
        ("engagement", None, {"Rules of Engagement", "Account Ownership Rules of Engagement"}),
        ("negotating", None, {"5-Negotiating"}),
    ],
)
def test_search_box_finds_prefixes_then_words_then_typos(
    index: GlossaryIndex, text: str, expected_first: str | None, expected_in: set[str]
) -> None:
    terms = [entry.term for entry in index.search(text, limit=8)]
    assert len(terms) <= 8
    if expected_first is not None:
        assert terms[0] == expected_first
    assert expected_in <= set(terms)


def _generated_entries(count: int) -> list[GlossaryEntry]:
    words = ["pipeline", "quota", "renewal", "territory", "segment", "forecast", "channel", "partner"]
    return [
        GlossaryEntry(
            id=f"term-{i}",
            term=f"{words[i % len(words)].title()} Metric {i}",
            definition=f"Generated definition {i}.",
            section="glossary",
            expansion=None,
            aliases=(f"GM{i}",),
        )
        for i in range(count)
    ]


def test_an_index_of_ten_thousand_entries_still_finds_the_right_entries() -> None:
    """Right answers at scale; how fast is `python -m bench.glossary_bench`'s to print, not a timed test's."""
    index = GlossaryIndex(_generated_entries(10_000) + load_shipped_entries(), load_shipped_undefined())
    assert [entry.id for entry in index.lookup("Quota Metric 9001").matches] == ["term-9001"]
    assert [entry.id for entry in index.lookup("gm4242").matches] == ["term-4242"]
    assert [entry.id for entry in index.lookup("S.A.O.").matches] == ["sao"]
    assert [entry.id for entry in index.lookup("Sales Acepted Oportunity").matches] == ["sao"]
    assert index.lookup("zzzz qqqq").suggestions == []
    assert len(index.lookup("forecast").suggestions) == 5
    assert "Quota Metric 9001" in [entry.term for entry in index.search("quota metric 9001", limit=5)]


@pytest.mark.parametrize(
    ("message", "terms"),
    [
        ("Is it an SAO yet? Ask the RD.", ["SAO", "RD"]),
        ("the Sales Accepted Opportunity needs an IQM", ["SAO", "IQM"]),  # the longest name wins
        ("two SAOs and the S.A.O.'s owner", ["SAO"]),  # plural, dotted, possessive; listed once
        ("moved from 1-Discovery to 4-Proposal", ["1-Discovery", "4-Proposal"]),
        ("I am on it, row by row", []),  # acronyms count only in capitals
        ("our AM and the ROW team", ["AM", "ROW"]),
        # an alias, in any case; "holdover" has two meanings, both listed
        ("a holdover on a named account", ["Holdover Account", "Holdover Opportunity", "Named Account"]),
        ("lunch at noon?", []),
        ("", []),
    ],
)
def test_a_message_names_the_glossary_terms_it_contains(
    index: GlossaryIndex, message: str, terms: list[str]
) -> None:
    assert [entry.term for entry in index.terms_in(message)] == terms
