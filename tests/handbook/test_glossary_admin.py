"""Who may change the glossary, what a valid entry is, and how stored entries sit on the shipped ones."""

from __future__ import annotations

import pytest

from bot.handbook import facts
from bot.handbook.directory import Person, Role
from bot.handbook.glossary import GlossaryEntry
from bot.handbook.glossary_admin import (
    Draft,
    StoredEntry,
    entry_from_draft,
    may_edit,
    merge,
    parse_aliases,
    validate,
)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.SALES_OPS, True), (Role.ADMIN, True)]
    + [(r, False) for r in Role if r not in (Role.SALES_OPS, Role.ADMIN)],
)
def test_only_sales_ops_and_admins_may_edit(role: Role, allowed: bool) -> None:
    outcome = may_edit(Person(slack_id="U1", name="P", role=role))
    assert bool(outcome) is allowed
    if not allowed:
        assert f"lists you as {role.value}" in outcome.reason


def test_someone_not_in_the_directory_may_not_edit() -> None:
    outcome = may_edit(None)
    assert not outcome and "not in the bot's directory" in outcome.reason


@pytest.mark.parametrize(
    ("text", "aliases"),
    [
        ("", ()),
        ("Opp, opps; Deal", ("Opp", "opps", "Deal")),
        ("  a  b ,, A  B\nc", ("a b", "c")),
        (",;\n", ()),
    ],
)
def test_parse_aliases(text: str, aliases: tuple[str, ...]) -> None:
    assert parse_aliases(text) == aliases


@pytest.mark.parametrize(
    ("draft", "errors"),
    [
        (Draft("PQL", "A user who hit the bar."), set()),
        (Draft("", "x"), {"term"}),
        (Draft("?!", "x"), {"term"}),
        (Draft("T" * 60, "x"), set()),
        (Draft("T" * 61, "x"), {"term"}),
        (Draft("PQL", ""), {"definition"}),
        (Draft("PQL", "d" * 1500), set()),
        (Draft("PQL", "d" * 1501), {"definition"}),
        (Draft("PQL", "x", expansion="e" * 121), {"expansion"}),
        (Draft("PQL", "x", aliases=",".join("abcdefghij")), set()),
        (Draft("PQL", "x", aliases=",".join("abcdefghijk")), {"aliases"}),
        (Draft("PQL", "x", aliases="a" * 61), {"aliases"}),
        (Draft("", "", expansion="e" * 200), {"term", "definition", "expansion"}),
    ],
)
def test_validate(draft: Draft, errors: set[str]) -> None:
    assert set(validate(draft)) == errors


def test_a_draft_becomes_an_entry_with_its_slug_as_id_and_whitespace_tidied() -> None:
    entry = entry_from_draft(Draft("  Product  Qualified Lead ", "A  user\nwho hit it.", "", "PQL, pqls"))
    assert entry == GlossaryEntry(
        id="product-qualified-lead",
        term="Product Qualified Lead",
        definition="A user who hit it.",
        section="",  # the handbook does not define it
        aliases=("PQL", "pqls"),
    )


SAO = GlossaryEntry("sao", "SAO", "Shipped.", "glossary")
MVC = GlossaryEntry("mvc", "MVC", "Shipped.", "glossary")
NEW_SAO = GlossaryEntry("sao", "SAO", "Edited.", "glossary")
PQL = GlossaryEntry("pql", "PQL", "Added.", "")


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ([], [SAO, MVC]),
        ([StoredEntry(NEW_SAO)], [NEW_SAO, MVC]),
        ([StoredEntry(PQL)], [SAO, MVC, PQL]),
        ([StoredEntry(MVC, retired=True)], [SAO]),
        ([StoredEntry(PQL, retired=True)], [SAO, MVC]),
        ([StoredEntry(NEW_SAO), StoredEntry(MVC, retired=True), StoredEntry(PQL)], [NEW_SAO, PQL]),
    ],
)
def test_stored_entries_override_add_and_retire_shipped_ones(
    stored: list[StoredEntry], expected: list[GlossaryEntry]
) -> None:
    assert merge([SAO, MVC], stored) == expected


@pytest.mark.parametrize(
    ("stored", "section", "url"),
    [
        (GlossaryEntry("pql", "PQL", "Added.", ""), "", ""),
        # saved before added terms had no section: "glossary" is a section that does not have it
        (GlossaryEntry("pql", "PQL", "Added.", "glossary"), "", ""),
        (GlossaryEntry("sao", "SAO", "Edited.", ""), "glossary", facts.section_url("glossary")),
        (GlossaryEntry("sao", "SAO", "Edited.", "segmentation"), "glossary", facts.section_url("glossary")),
    ],
)
def test_an_entry_cites_the_section_that_defines_its_shipped_term_and_an_added_term_cites_none(
    stored: GlossaryEntry, section: str, url: str
) -> None:
    [merged] = [e for e in merge([SAO, MVC], [StoredEntry(stored)]) if e.id == stored.id]
    assert (merged.section, merged.url) == (section, url)
