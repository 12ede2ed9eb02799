"""The claim checker: every figure, offer and superlative in copy must be in the facts."""

from __future__ import annotations

import pytest

from generators.claims import FactSheet, check_claims, repair_brand

NOVA = FactSheet(
    product="Nova 8",
    brand="Voltline",
    facts=(
        "The Nova 8 costs £599 at Voltline.",
        "The Nova 8 is Voltline's best-selling phone: a 6.4-inch OLED display, a "
        "50-megapixel camera, 128 GB or 256 GB of storage and 5G. It costs £699 for 256 GB.",
        "Electronics come with a 2-year warranty.",
    ),
    shop_facts=("Delivery is free on orders over £50.",),
    names=("Nova 8", "Nova 8 Mini"),
    price=599,
)
AEROBOOK = FactSheet(
    product="AeroBook 14",
    brand="Voltline",
    facts=("The AeroBook 14 costs £1099. Students get 10% off.",),
    price=1099,
)


@pytest.mark.parametrize(
    "text",
    [
        "Meet the Nova 8: a 6.4-inch OLED display and 5G, for £599 at Voltline.",
        "Snap it all on a 50MP camera, keep it on 256GB, and get free delivery over £50.",
        "Voltline's best-selling phone, now with a 2-year warranty.",
        "The Nova 8 Mini's big sibling, from £599.",
    ],
)
def test_copy_that_keeps_to_the_facts_passes_untouched(text: str) -> None:
    report = check_claims(text, NOVA)
    assert report.ok, report.unsupported
    assert report.text == text


@pytest.mark.parametrize(
    ("claim", "kind"),
    [
        ("Yours for just £499.", "price"),
        ("Only $599 today.", "price"),
        ("Save 20% this week.", "percentage"),
        ("Huge summer sale on now.", "discount"),
        ("Get £100 off when you trade in.", "discount"),
        ("A 6.7-inch screen you will love.", "spec"),
        ("Up to 48 hours of battery.", "spec"),
        ("Over 3 colours to choose from.", "number"),
        ("The cheapest 5G phone in Britain.", "absolute"),
        ("The #1 phone for students.", "absolute"),
    ],
)
def test_each_kind_of_unsupported_claim_is_caught_and_its_sentence_dropped(
    claim: str, kind: str
) -> None:
    report = check_claims(f"The Nova 8 has 5G. {claim}", NOVA)
    assert kind in {c.kind for c in report.unsupported}, report.unsupported
    assert report.text == "The Nova 8 has 5G."


def test_a_discount_in_the_facts_may_be_quoted() -> None:
    assert check_claims("Students get 10% off the AeroBook 14 at £1,099.", AEROBOOK).ok
    assert not check_claims("Students get 15% off.", AEROBOOK).ok


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("Voltine", "Voltline"),
        ("VoltLine", "Voltline"),
        ("voltline", "Voltline"),
        ("Volt line", "Voltline"),
        ("Voltlnie", "Voltline"),
    ],
)
def test_the_brand_is_repaired_not_rejected(typed: str, fixed: str) -> None:
    report = check_claims(f"Only at {typed}: the Nova 8 with 5G.", NOVA)
    assert report.ok and report.text == f"Only at {fixed}: the Nova 8 with 5G."
    assert report.repairs == (typed,)


def test_words_that_merely_look_like_the_brand_are_kept() -> None:
    text = "Volt, our assistant, says the voltage of the Volume key is fine."
    assert repair_brand(text, "Voltline") == (text, ())
