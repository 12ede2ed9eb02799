"""Issue 18, finding 2: how customers word form answers, corrections and exits."""

from __future__ import annotations

import pytest

from actions.forms import catalogue_products
from actions.plans import MOBILE_SLOTS, UNLIMITED_DATA_GB, UNLIMITED_MINUTES
from bot.sdk.form_text import (
    ProductNames,
    focus,
    is_exit,
    is_question,
    per_month,
    unit_after,
)
from bot.sdk.forms import find_number


def parse(slot: str, text: str):
    return MOBILE_SLOTS[slot].parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days a year... I mean 3 days a month", "3 days a month"),
        ("actualy make that 20 GB", "20 GB"),
        ("no sorry, I meant 300 mins", "300 mins"),
        ("make it cheaper", "make it cheaper"),
        ("12 GB", "12 GB"),
    ],
)
def test_the_corrected_part_of_a_correction_is_read(text: str, expected: str) -> None:
    assert focus(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "nevermind",
        "Never mind!",
        "ok forget it",
        "forget about it",
        "cancel that",
        "stop",
        "I dont want this any more",
        "i don't want to continue",
        "not interested",
        "quit pls",
    ],
)
def test_exits_in_natural_words(text: str) -> None:
    assert is_exit(text)


@pytest.mark.parametrize("text", ["no", "none", "stop roaming", "I don't know", "cancel my plan?"])
def test_answers_and_questions_are_not_exits(text: str) -> None:
    assert not is_exit(text)


def test_questions_are_recognised() -> None:
    assert is_question("how much is the Nova 8")
    assert is_question("interest rate over 24 months?")
    assert not is_question("about 12 GB")
    assert not is_question("my nova 8 wont charge")


def test_units_and_periods() -> None:
    assert unit_after("24 months", 2) == "a length of time"
    assert unit_after("8gb", 1) == "data"
    assert unit_after("30", 2) is None
    assert per_month(" a year") == (1 / 12, "year")
    assert per_month(" per week")[1] == "week"
    assert per_month(" monthly") == (1.0, "month")
    assert per_month("") == (1.0, None)


def test_product_names_are_not_numbers() -> None:
    names = ProductNames(("AeroBook 14", "Nova 8"))
    assert find_number(names.mask("my nova8 wont charge")) is None
    assert find_number(names.mask("is the AEROBOOK 14 any good")) is None
    assert find_number(names.mask("about 8")) == 8
    assert find_number(names.mask("i have the x 9 phone", spans=[(12, 15)])) is None
    assert "Nova 8" in catalogue_products().names


@pytest.mark.parametrize(
    ("slot", "text", "value"),
    [
        ("plan_roaming_days", "5 days a year", 1),
        ("plan_roaming_days", "2 weeks a year", 2),
        ("plan_roaming_days", "3 days a month", 3),
        ("plan_minutes", "unlimited", UNLIMITED_MINUTES),
        ("plan_minutes", "unlimited minutes pls", UNLIMITED_MINUTES),
        ("plan_minutes", "20 minutes a day", 600),
        ("plan_minutes", "no, I meant 300 minutes", 300),
        ("plan_data_gb", "unlimited data", UNLIMITED_DATA_GB),
        ("plan_data_gb", "1 gig a week", pytest.approx(4.3)),
        ("plan_budget", "£20 a month", 20),
        ("plan_budget", "twenty quid", 20),
        ("plan_budget", "twenty-five pounds", 25),
        ("plan_budget", "£240 a year", 20),
    ],
)
def test_units_are_kept(slot: str, text: str, value: float) -> None:
    parsed = parse(slot, text)
    assert parsed.error is None and parsed.value == value


def test_a_converted_unit_is_said() -> None:
    note = parse("plan_roaming_days", "5 days a year").note
    assert note and "a year" in note and "1 a month" in note


@pytest.mark.parametrize(
    ("slot", "text", "says"),
    [
        ("plan_budget", "interest rate over 24 months", "length of time"),
        ("plan_roaming_days", "8 GB", "sounds like data"),
        ("plan_data_gb", "300 minutes", "sounds like minutes"),
        ("plan_budget", "20%", "percentage"),
    ],
)
def test_a_number_of_another_kind_is_not_an_answer(slot: str, text: str, says: str) -> None:
    parsed = parse(slot, text)
    assert parsed.value is None and says in parsed.error
