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
