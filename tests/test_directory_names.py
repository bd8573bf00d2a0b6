"""The account-name index behind every account look-up (bot/features/directory/names.py): exact names in any
case, substrings shortest first, forgiving typos, public sector hidden, and each account's ultimate parent;
and the shared-value Accounts the read cache keeps (storage/directory.py accounts_from_rows)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.directory import names
from bot.features.directory.names import AccountNameIndex
from bot.handbook.directory import Account, AccountType, Address, Opportunity
from storage.directory import (
    ACCOUNT_COLUMNS,
    NO_ADDRESS,
    accounts_from_rows,
    new_account,
    new_opportunity,
    slot_builder,
    to_account,
)

ROWS = [  # (account_id, name, public_sector, root_id)
    ("A-INITECH", "Initech", False, "A-INITECH"),
    ("A-INITECH-DE", "Initech GmbH", False, "A-INITECH"),
    ("A-INITECH-UK", "Initech UK Ltd", False, "A-INITECH"),
    ("A-GLOBEX", "Globex Corporation", False, "A-GLOBEX"),
    ("A-HOOLI", "Hooli", False, "A-HOOLI"),
    ("A-HOOLI-2", "hooli", False, "A-HOOLI"),  # the same name in another case
    ("A-STARK", "Stark Federal Systems", True, "A-STARK"),
    ("A-STARK-2", "Stark Federal Labs", True, "A-STARK"),
    ("A-STRASSE", "Straße Werke", False, "A-GONE"),  # its ultimate parent is not in the directory
    ("A-NOROOT", "Umbrella Corp", False, None),  # hierarchy not computed
    ("A-ODD", "Two\nLines", False, "A-ODD"),
]


@pytest.fixture(scope="module")
def index() -> AccountNameIndex:
    return AccountNameIndex(ROWS)


def ids(matches: list) -> list[str]:
    return [m.account_id for m in matches]


@pytest.mark.parametrize(
    ("text", "public", "expected"),
    [
        ("Initech", False, ["A-INITECH"]),
        ("  INITECH gmbh ", False, ["A-INITECH-DE"]),
        ("HOOLI", False, ["A-HOOLI", "A-HOOLI-2"]),  # both, in name order (then id)
        ("Stark Federal Systems", False, []),
        ("Stark Federal Systems", True, ["A-STARK"]),
        ("strasse werke", False, ["A-STRASSE"]),  # casefold: ß is ss
        ("Initec", False, []),
        ("", False, []),
    ],
)
def test_exact_names_in_any_case(
    index: AccountNameIndex, text: str, public: bool, expected: list[str]
) -> None:
    assert ids(index.exactly(text, public=public)) == expected


@pytest.mark.parametrize(
    ("text", "public", "limit", "expected"),
    [
        ("initech", False, 20, ["A-INITECH", "A-INITECH-DE", "A-INITECH-UK"]),  # shortest first
        ("initech", False, 2, ["A-INITECH", "A-INITECH-DE"]),
        ("ech uk", False, 20, ["A-INITECH-UK"]),
        ("federal", False, 20, []),
        ("federal", True, 20, ["A-STARK-2", "A-STARK"]),
        ("lines", False, 20, ["A-ODD"]),  # a name holding a newline is still one name
        ("two\nlines", False, 20, []),
        ("o", False, 3, ["A-HOOLI", "A-HOOLI-2", "A-ODD"]),
        ("zzz", True, 20, []),
    ],
)
def test_substrings_shortest_first(
    index: AccountNameIndex, text: str, public: bool, limit: int, expected: list[str]
) -> None:
    assert ids(index.containing(text, public=public, limit=limit)) == expected


# Names and texts from a few letters, digits, spaces and punctuation, so texts often fall inside names, at
# and across their words' edges; ß and İ change length when folded.
_LETTERS = "ab1 -.ßİ"
_name = st.text(_LETTERS, min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(_name, st.booleans()), min_size=1, max_size=40),
    text=st.text(_LETTERS, min_size=1, max_size=6),
    public=st.booleans(),
    limit=st.integers(1, 5),
    few=st.sampled_from([0, 1, 3, 2000]),
)
def test_substrings_are_the_names_a_whole_search_finds(
    rows: list[tuple[str, bool]], text: str, public: bool, limit: int, few: int
) -> None:
    """The words index narrows a substring search (a text's middle words are whole words of any name holding
    it, its last word the start of one, its first the end of one); it finds what searching every name does,
    in the same order, however many names it may check (`few`: 0 searches every name)."""
    index = AccountNameIndex([(f"A{i:03d}", name, hidden, None) for i, (name, hidden) in enumerate(rows)])
    needle = text.strip().casefold()
    ordered = sorted(((name, f"A{i:03d}", hidden) for i, (name, hidden) in enumerate(rows)),
                     key=lambda r: (len(r[0]), r[0], r[1]))  # fmt: skip
    whole = [
        i for name, i, hidden in ordered if needle and needle in name.casefold() and (public or not hidden)
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(names, "MAY_HOLD", few)
        found = index.containing(text, public=public, limit=limit)
    assert ids(found) == ([] if "\n" in needle else whole[:limit])


@pytest.mark.parametrize(
    ("text", "public", "first"),
    [
        ("Inetech GmbH", False, "A-INITECH-DE"),
        ("Globx Corporaton", False, "A-GLOBEX"),
        ("Starc Federal Systems", True, "A-STARK"),
        ("Starc Federal Systems", False, None),  # public sector: not even as a candidate
        ("Umbrela", False, "A-NOROOT"),
        ("qqqqqqqq", False, None),
    ],
)
def test_typos_find_close_names(index: AccountNameIndex, text: str, public: bool, first: str | None) -> None:
    found = index.fuzzy(text, public=public)
    assert (found[0].account_id if found else None) == first
    assert all(public or not m.account_id.startswith("A-STARK") for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


@pytest.mark.parametrize(
    ("public", "expected"),
    [
        (False, ["Zentrix A", "Zentrix B", "Zentrix C", "Zentrix D", "Zentrix E"]),
        (True, ["Zentrix 0", "Zentrix A", "Zentrix B", "Zentrix C", "Zentrix D"]),  # public sector first
    ],
)
def test_equal_scores_at_the_last_place_go_to_the_names_first_in_order(
    public: bool, expected: list[str]
) -> None:
    """Twelve names score the same for the typo; the five shown are the first in name order, whatever order
    the scorer hands them back in, and a public-sector name is never one of them unless it may be seen.

    1,021 shorter names come first in the index's order, so the twelve sit at positions 1,022 to 1,033: a set
    of them is iterated from 1,024 on (a hash table of 32), and the scorer sees them out of name order."""
    rows = [(f"A-PAD{i}", f"Pad{i:05d}", False) for i in range(1021)]
    rows += [(f"A-Z{x}", f"Zentrix {x}", False) for x in "LKJIHGFEDCBA"] + [("A-Z0", "Zentrix 0", True)]
    rows += [("A-ZLONG", "Zentrix Longer Name Holdings", False)]
    found = AccountNameIndex(rows).fuzzy("Zentrx", public=public)
    assert [m.name for m in found] == expected
    assert len({m.score for m in found}) == 1


def test_typed_words_close_words_are_remembered_within_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typed word's close words are scored once per index (the same words come back: "gmbh", a company's
    name); the answers stay the same, and the memory of them is bounded (forgotten all at once when full)."""
    monkeypatch.setattr(names, "CLOSE_WORDS", 2)
    texts = ["Inetech", "Inetech", "Globx", "Umbrela", "Inetech"]
    fresh = [AccountNameIndex(ROWS).fuzzy(text, public=False) for text in texts]
    index = AccountNameIndex(ROWS)
    words: list[str] = []
    real = names.process.extract

    def extract(query: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("scorer") is names.fuzz.ratio and kwargs.get("limit") == 10:  # a typed word's
            words.append(query)
        return real(query, *args, **kwargs)

    monkeypatch.setattr(names.process, "extract", extract)
    assert [index.fuzzy(text, public=False) for text in texts] == fresh
    assert words == ["inetech", "globx", "umbrela", "inetech"]


def test_a_typo_finds_its_name_among_thousands_sharing_its_other_words() -> None:
    """3,000 branches share "bigco" and "branch"; the number typed picks the one meant, though it is not
    among the shortest 2,000 names holding "branch" (what filled the candidates when longest words led)."""
    rows = [(f"A-B{i}", f"Bigco Branch {i}", False) for i in range(3000)]
    found = AccountNameIndex(rows).fuzzy("Bigc Branch 2999", public=False)
    assert [m.name for m in found][:1] == ["Bigco Branch 2999"]


def test_a_word_typed_exactly_goes_before_a_rare_near_miss() -> None:
    """The word "acme" is held by 600 names, "acne" by one: the rare near miss must not shut "acme" out."""
    rows = [(f"A-A{i}", f"Acme Dept {i}", False) for i in range(600)] + [("A-ACNE", "Acne Clinic", False)]
    found = AccountNameIndex(rows).fuzzy("Acme Deptt", public=False)
    assert found and all(m.name.startswith("Acme Dept ") for m in found)


@pytest.mark.parametrize(
    ("account_id", "root", "public"),
    [
        ("A-INITECH-UK", "A-INITECH", False),
        ("A-INITECH", "A-INITECH", False),
        ("A-STARK-2", "A-STARK", True),
        ("A-STRASSE", "A-GONE", False),
        ("A-NOROOT", None, False),
        ("A-NOPE", None, False),
    ],
)
def test_ids_with_their_ultimate_parent(
    index: AccountNameIndex, account_id: str, root: str | None, public: bool
) -> None:
    known = account_id != "A-NOPE"
    assert (account_id in index.by_id) is known
    assert (index.position(account_id) is not None) is known
    assert index.root_of(account_id) == root
    assert index.is_public(account_id) is public


def test_hierarchy_sizes_and_names_come_back_as_given(index: AccountNameIndex) -> None:
    assert [index.size_of(r) for r in ("A-INITECH", "A-STARK", "A-GONE", "A-NOPE")] == [3, 2, 1, 0]
    assert len(index) == len(ROWS)
    assert {(index.ids[i], index.names[i]) for i in range(len(index))} == {(r[0], r[1]) for r in ROWS}


def test_an_empty_directory_finds_nothing() -> None:
    empty = AccountNameIndex([])
    assert len(empty) == 0 and "A" not in empty.by_id
    assert empty.exactly("A", public=True) == empty.containing("A", public=True) == []
    assert empty.fuzzy("Initech", public=True) == []


def test_rows_without_a_root_are_indexed_by_name() -> None:
    plain = AccountNameIndex([(a, n, p) for a, n, p, _r in ROWS])
    assert ids(plain.exactly("initech uk ltd", public=False)) == ["A-INITECH-UK"]
    assert plain.root_of("A-INITECH-UK") is None


class Row:
    """A row as both shapes come: attributes by column name (to_account) and a tuple (accounts_from_rows)."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)
        self.values = tuple(values.get(c.name) for c in ACCOUNT_COLUMNS)


def row(**values: object) -> Row:
    return Row({c.name: None for c in ACCOUNT_COLUMNS} | {"named": False, "public_sector": False} | values)


def test_shared_value_accounts_equal_one_by_one_accounts() -> None:
    rows = [
        row(account_id="A-1", name="Initech", owner="U1", type="Customer", employees_datafox=1500,
            shipping_country="US", shipping_state="NY", root_id="A-1", website="initech.example"),
        row(account_id="A-2", name="Initech GmbH", parent_id="A-1", owner="U1", type="Prospect",
            employees_datafox=1500, shipping_country="US", shipping_state="NY", named=True, sdr="U9"),
        row(account_id="A-3", name="Initech UK", parent_id="A-1", owner="U2", public_sector=1,
            employees_override=40, override_country="GB", billing_state="XX"),
    ]  # fmt: skip
    shared = accounts_from_rows([r.values for r in rows])
    assert shared == [to_account(r) for r in rows]
    assert shared[0].account_id is shared[1].parent_id is shared[2].parent_id
    assert shared[0].shipping_address is shared[1].shipping_address
    assert shared[0].datafox_address is shared[0].billing_address is NO_ADDRESS
    assert shared[2].public_sector is True and shared[1].named is True
    assert shared[1].type is AccountType.PROSPECT
    assert isinstance(shared[0], Account)


def test_slot_built_records_equal_ones_built_by_their_init() -> None:
    """The look-ups' positional constructors set every field through its slot, as the dataclass's own
    __init__ would (equal, hashed alike, still frozen); a class with a __post_init__ is refused."""
    home = Address("US", "NY")
    values = ("A-1", "Initech", "A-0", "U1", AccountType.CUSTOMER, True, "initech.example", 1500, None, 40,
              home, NO_ADDRESS, home, NO_ADDRESS, home, False, "U9")  # fmt: skip
    built = new_account(*values)
    assert built == Account(*values) and hash(built) == hash(Account(*values))
    assert [getattr(built, f) for f in Account.__dataclass_fields__] == list(values)
    deal = ("O-1", "Deal", "A-1", "U1", "3-Technical Evaluation", "New Business", None, 1.5, None, None, None)
    assert new_opportunity(*deal) == Opportunity(*deal)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.owner = "U2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        new_account(*values[:-1])  # every field, in order

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            raise ValueError

    with pytest.raises(TypeError, match="Checked"):
        slot_builder(Checked)
