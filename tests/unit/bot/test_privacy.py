"""What bot.privacy redacts, and the numbers it must leave alone."""

from __future__ import annotations

import time

import pytest

from bot.privacy import Redactor, luhn_valid, redact, redact_cards, redact_json


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        ("4111111111111111", True),  # Visa test number
        ("5555555555554444", True),  # Mastercard
        ("378282246310005", True),  # Amex, 15 digits
        ("6011111111111117", True),  # Discover
        ("4111111111111112", False),
        ("1234567890123456", False),
        ("0", True),
        ("79927398713", True),  # the textbook example
        ("79927398710", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4111 1111 1111 1111", "my card is [card]"),
        ("4111-1111-1111-1111 please", "[card] please"),
        ("card:4111111111111111.", "card:[card]."),
        ("amex 3782 822463 10005 thanks", "amex [card] thanks"),
        ("19 digits 4111 1111 1111 1111 003", "19 digits [card]"),
        # A card followed by its expiry: the card is still found.
        ("4111 1111 1111 1111 12 25", "[card] 12 25"),
        ("two: 4111111111111111 and 5555 5555 5555 4444", "two: [card] and [card]"),
        # Luhn fails: an order number of the same shape.
        ("order 1234 5678 9012 3456 arrived", "order 1234 5678 9012 3456 arrived"),
        ("ref 4111111111111112", "ref 4111111111111112"),
        # Too short or too long for a card.
        ("code 411111111111", "code 411111111111"),
        ("tracking 41111111111111111111", "tracking 41111111111111111111"),
    ],
)
def test_cards(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact_cards(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail jane.doe+shop@example.co.uk.", "mail [email]."),
        ("I'm ANA@Example.COM, thanks", "I'm [email], thanks"),
        ("écrivez à zoë@exemple.fr", "écrivez à [email]"),
        ("a@b, @handle and user@localhost", "a@b, @handle and user@localhost"),
    ],
)
def test_emails(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +44 20 7946 0958 today", "call [phone] today"),
        ("+447700900123", "[phone]"),
        ("ring 0044 20 7946 0958", "ring [phone]"),
        ("+1 (555) 123-4567", "[phone]"),
        ("+33 1 23 45 67 89", "[phone]"),
        ("+44 (0)20 7946 0958.", "[phone]."),
        ("my mobile is 07700 900123", "my mobile is [phone]"),
        ("020 7946 0958 or 07700900123", "[phone] or [phone]"),
        ("tel: (020) 7946 0958", "tel: [phone]"),
        ("call (555) 123-4567", "call [phone]"),
        ("555-123-4567 or 555.123.4567", "[phone] or [phone]"),
        ("1-800-555-0199", "[phone]"),
        ("my phone is 5551234567", "my phone is [phone]"),
        ("phone number: 555 0199", "phone number: [phone]"),
        ("my number is 447700900123", "my number is [phone]"),
    ],
)
def test_phones(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 12345678 and order #1029384756",
        "my order number is 5551234567",
        "It costs $1,299.99, £49.99 or 1 299 €",
        "on 2024-01-15, 15/01/2024, 15.01.2024 or 12/25",
        "zip 90210-1234",
        "the Nova 8 with 256 GB, M2 4GB cards, a Forge G15 and A4 paper",
        "Nova 8 for 299 in 2-4 days, 3-5 working days",
        "version 3.6.21 at 10:30-18:00",
        "Can I show my receipt on my phone? Order 1234567",
        "phone 1234 5678 9012 3456",
        "I was charged 3 times: 19.99, 29.99 and 9.99",
        "How long is the warranty on the Nova 8?",
        "[card] [email] [phone]",
    ],
)
def test_other_numbers_are_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SW1A 1AA, EC1A 1BB", "[postcode], [postcode]"),
        ("my postcode is ls14ap", "my postcode is [postcode]"),
        ("order VL-10023, postcode B15 2TT.", "order VL-10023, postcode [postcode]."),
    ],
)
def test_postcodes(text: str, expected: str) -> None:
    """With an order number, a postcode finds a home: it is personal data."""
    assert redact(text) == expected


def test_everything_in_one_message() -> None:
    text = "I'm jo@example.com, card 4111 1111 1111 1111, call +44 20 7946 0958 re order 12345678"
    assert redact(text) == "I'm [email], card [card], call [phone] re order 12345678"
    assert redact_cards(text) == (
        "I'm jo@example.com, card [card], call +44 20 7946 0958 re order 12345678"
    )


def test_redact_json_redacts_every_string_and_keeps_the_shape() -> None:
    value = {
        "text": "mail jo@example.com",
        "entities": [{"entity": "phone", "value": "+44 20 7946 0958", "start": 3}],
        "nested": ({"card": "4111111111111111"}, None, 3.5, True),
    }
    assert redact_json(value) == {
        "text": "mail [email]",
        "entities": [{"entity": "phone", "value": "[phone]", "start": 3}],
        "nested": [{"card": "[card]"}, None, 3.5, True],
    }
    assert value["text"] == "mail jo@example.com"  # a copy: the input is untouched


def test_a_redactor_with_other_placeholders() -> None:
    prompt = Redactor(card="[CARD]", email="[EMAIL]", phone="[PHONE]")
    assert prompt("x@y.org, 4111 1111 1111 1111, +44 20 7946 0958") == "[EMAIL], [CARD], [PHONE]"


@pytest.mark.parametrize(
    "text",
    [
        "+" + "1" * 5000 + "x",  # exponential backtracking in a naive phone pattern
        "0" + "1" * 5000 + "x",
        "phone " + "1 " * 3000 + "x",
        "+1 " + "(1) " * 2000 + "x",
        " ".join(["4111"] * 2000),
        "a" * 5000 + "@",
    ],
)
def test_long_adversarial_input_is_handled_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < 2.0


def test_the_business_own_published_contacts_are_not_personal_data() -> None:
    redactor = Redactor(public=frozenset({"0800 555 0199", "Help@Voltline.example"}))
    text = "Call 0800-555-0199 or help@voltline.example; I'm on 07700 900123, ana@example.com"
    assert redactor(text) == "Call 0800-555-0199 or help@voltline.example; I'm on [phone], [email]"
