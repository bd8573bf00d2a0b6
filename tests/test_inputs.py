"""The one parsing rule for ids, counts and free text (bot/inputs.py), table-driven."""

from __future__ import annotations

import pytest

from bot.inputs import MAX_INT, MAX_TEXT, clean_payload, clean_text, parse_count, parse_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42), ("#42", 42), (" 7 ", 7), (str(MAX_INT), MAX_INT),
        ("²", None), ("4²", None), ("٣", None), ("１２", None), ("0", None), ("-1", None), ("+1", None),
        ("1 2", None), ("1e3", None), ("", None), (None, None), ("1" * 23, None), (str(MAX_INT + 1), None),
        ("12\x00", None),
    ],
)  # fmt: skip
def test_an_id_is_ascii_digits_within_the_integer_range(text: str | None, expected: int | None) -> None:
    assert parse_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0), ("2,000", 2000), ("1,234,567", 1234567), ("150", 150),
        ("2,00", None), (",100", None), ("²", None), ("1" * 23, None), ("-3", None), ("", None),
    ],
)  # fmt: skip
def test_a_count_allows_thousands_separators_and_nothing_else(text: str, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "ab"), ("line\nnext\tcol", "line\nnext\tcol"), ("\x1b[31mred", "[31mred"),
        ("bell\x07\x7f", "bell"), ("é <!channel>", "é <!channel>"), ("x" * (MAX_TEXT + 5), "x" * MAX_TEXT),
    ],
)  # fmt: skip
def test_free_text_loses_control_characters_and_is_capped(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_a_payload_is_cleaned_at_every_depth_and_keeps_its_shape() -> None:
    payload = {
        "text": "a\x00",
        "view": {"state": {"values": {"b": {"v": {"value": "r\x00"}}}}},
        "n": [1, "\x00"],
    }
    assert clean_payload(payload) == {
        "text": "a", "view": {"state": {"values": {"b": {"v": {"value": "r"}}}}}, "n": [1, ""],
    }  # fmt: skip
