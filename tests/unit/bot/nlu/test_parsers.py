"""Offline value parsers: what a shop assistant hears, normalised."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.parsers import find_all, parse_number

TODAY = date(2026, 11, 28)  # a Saturday


def _values(text: str) -> list[tuple[str, object]]:
    return [(f.entity, f.value) for f in find_all(text, today=TODAY)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my budget is $1,200", [("money", 1200.0)]),
        ("under 2k dollars", [("money", 2000.0)]),
        ("about 500 euros", [("money", 500.0)]),
        ("twenty-five bucks", [("money", 25.0)]),
        ("for 2 years", [("duration", 63113904)]),
        ("in a couple of weeks", [("duration", 1209600)]),
        ("1.5 hours", [("duration", 5400)]),
        ("three phones please", [("count", 3)]),
        ("a dozen cases", [("count", 12)]),
        ("deliver next friday", [("date", "2026-12-04")]),
        ("tomorrow", [("date", "2026-11-29")]),
        ("on 24/12/2026", [("date", "2026-12-24")]),
        ("on 3rd of march, 2027", [("date", "2027-03-03")]),
        ("dec 3rd", [("date", "2026-12-03")]),
        ("mail Jo.Doe@Example.com", [("email", "jo.doe@example.com")]),
        ("call +1 555 123 4567", [("phone", "+15551234567")]),
        (
            "2 laptops for 3 months under $900",
            [("count", 2), ("duration", 7889238), ("money", 900.0)],
        ),
    ],
)
def test_values_are_found_and_normalised(text: str, expected: list) -> None:
    assert _values(text) == expected


def test_money_keeps_its_currency_and_spans_are_exact() -> None:
    [found] = find_all("I can spend £300 max", today=TODAY)
    assert found.extra == {"currency": "GBP"}
    assert "I can spend £300 max"[found.start : found.end] == "£300"


@pytest.mark.parametrize("text", ["", "😀🙈🎉", "x" * 10_000, "Мой платёж 未到", "2026-02-30"])
def test_bad_input_yields_nothing_or_valid_values(text: str) -> None:
    for found in find_all(text, today=TODAY):
        assert text[found.start : found.end] == found.text


def test_number_words() -> None:
    assert parse_number("two hundred") == 200
    assert parse_number("1,250.5") == 1250.5
    assert parse_number("lots") is None
