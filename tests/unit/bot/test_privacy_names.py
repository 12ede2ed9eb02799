"""Person names out of what the analytics store keeps (bot.privacy.redact_personal)."""

from __future__ import annotations

import pytest

from bot.privacy import redact, redact_names, redact_personal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is alex smith and I need help", "my name is [name] and I need help"),
        ("My name's Priya", "My name's [name]"),
        ("name: bob", "name: [name]"),
        ("Hi, I'm Alex Smith. I want a phone", "Hi, I'm [name]. I want a phone"),
        ("Hello, I'm Bob Stone", "Hello, I'm [name]"),
        ("This is Sam from accounts", "This is [name] from accounts"),
        ("call me Maria", "call me [name]"),
        ("Thanks,\nAlex", "Thanks,\n[name]"),
        ("Cheers, Jo Bloggs", "Cheers, [name]"),
        ("Best regards\n-- Anne-Marie O'Neil", "Best regards\n-- [name]"),
        ("Hi Alice Jones!", "Hi [name]!"),
        ("Welcome back, Priya! Good to see you", "Welcome back, [name]! Good to see you"),
    ],
)
def test_introduced_greeted_and_signed_names(text: str, expected: str) -> None:
    assert redact_names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm looking for a laptop",
        "I am interested in plans",
        "I'm sorry, what?",
        "Hi there! Can you help?",
        "Hey! What's up",
        "thanks so much",
        "thanks mate",
        "Thank you for waiting",
        "what are your store hours?",
        "Hi, I want a Samsung phone",
        "call me on 07700 900123",
    ],
)
def test_ordinary_questions_keep_their_words(text: str) -> None:
    assert redact_names(text) == text


def test_known_names_go_wherever_they_appear() -> None:
    assert redact_names("so zed said hello", ("Zed",)) == "so [name] said hello"
    assert redact_names("zedong", ("Zed",)) == "zedong"


def test_personal_is_contacts_and_names_and_redact_keeps_names() -> None:
    text = "I'm Tom, tom@example.com, 07700 900123"
    assert redact_personal(text) == "I'm [name], [email], [phone]"
    assert redact(text) == "I'm Tom, [email], [phone]"  # the tracker store keeps names


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        ("Hi, my name is Grace Hopperton", ("Grace",), "Hi, my name is [name]"),
        ("my name is grace hopperton, thanks", ("Grace",), "my name is [name], thanks"),
        ("I'm Grace Hopperton and I need help", ("Grace",), "I'm [name] and I need help"),
        ("I'm grace Hopperton, can you help", ("grace",), "I'm [name], can you help"),
        ("Hello, this is Grace Hopperton", ("Grace",), "Hello, this is [name]"),
        ("this is grace Hopperton from accounts", ("Grace",), "this is [name] from accounts"),
        ("Cheers,\nGrace Hopperton", ("Grace",), "Cheers,\n[name]"),
        ("thanks\ngrace Hopperton", ("Grace",), "thanks\n[name]"),
        ("Best regards\n-- Grace Hopperton", ("Grace Hopperton",), "Best regards\n-- [name]"),
        ("Grace Hopperton", ("Grace",), "[name]"),  # an entity value: no cue at all
        ("ask for grace Hopperton-Smith tomorrow", ("Grace",), "ask for [name] tomorrow"),
    ],
)
def test_a_known_first_name_takes_the_unknown_surname_with_it(
    text: str, known: tuple[str, ...], expected: str
) -> None:
    assert redact_personal(text, known) == expected
    assert "Hopperton" not in redact_names(text, known)


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        ("so grace said Hello", ("Grace",), "so [name] said Hello"),
        ("grace and Bob", ("Grace",), "[name] and Bob"),
        ("Grace. Is the store open?", ("Grace",), "[name]. Is the store open?"),
        ("Grace\nWhere is my order", ("Grace",), "[name]\nWhere is my order"),
        (
            "I'm grace and I want a Samsung phone",
            ("Grace",),
            "I'm [name] and I want a Samsung phone",
        ),
        ("Hi, call me [phone] please", (), "Hi, call me [phone] please"),
        ("my name is [card] ok", (), "my name is [card] ok"),
        ("I'm looking for a Samsung phone", ("Grace",), "I'm looking for a Samsung phone"),
    ],
)
def test_known_names_take_no_more_than_a_name_would(
    text: str, known: tuple[str, ...], expected: str
) -> None:
    assert redact_names(text, known) == expected
