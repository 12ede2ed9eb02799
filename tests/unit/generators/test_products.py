"""Product facts from the shipped catalogue: names with typos, the fact asked, the answer."""

from __future__ import annotations

import pytest

from generators.products import ProductCatalog, fact_kind
from tests.conftest import CATALOG_DIR


@pytest.fixture(scope="module")
def catalog() -> ProductCatalog:
    return ProductCatalog.from_directory(CATALOG_DIR, business="Voltline")


@pytest.mark.parametrize(
    ("text", "product_id"),
    [
        ("how much is the Nova 8?", "nova-8"),
        ("nova8 price", "nova-8"),
        ("what about the nova 8 mini", "nova-8-mini"),
        ("how much is the novs 8 mini", "nova-8-mini"),
        ("is the aerobok 14 light", "aerobook-14"),
        ("price of the screen protector for my nova 8", "glass-nova-8"),
        ("how much are the pulse anc headphones", "pulse-anc"),
        ("does the studybook have a long battery", "studybook-13"),
        ("how long is the warranty", None),
        ("nova 9 price", None),
    ],
)
def test_finds_the_product_a_message_names(catalog, text, product_id) -> None:
    found = catalog.find(text)
    assert (found.id if found else None) == product_id


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("how much is it", "price"),
        ("what does the 256 GB one cost", "price"),
        ("does it come in blue", "colour"),
        ("which colours?", "colour"),
        ("is it in stock at riverside", "stock"),
        ("can I buy one in a store today", "stock"),
        ("how much storage does it have", "spec"),
        ("how heavy is it", "spec"),
        ("tell me about the slate 11", "overview"),
        ("can I return it", None),
        ("what's the warranty on it", None),
    ],
)
def test_tells_which_fact_is_asked(text, kind) -> None:
    assert fact_kind(text) == kind


def test_price_states_the_catalogue_price_and_variants(catalog) -> None:
    nova = catalog.products["nova-8"]
    assert catalog.answer(nova, "price", "how much is it").text == (
        "The Nova 8 costs £599 with 128 GB and £699 with 256 GB."
    )
    assert "£699" in catalog.answer(nova, "price", "price of the 256gb one").text
    studybook = catalog.products["studybook-13"]
    assert catalog.answer(studybook, "price", "price?").text == "The StudyBook 13 costs £449."
    vista = catalog.products["vista-65-oled"]
    assert "£1,799" in catalog.answer(vista, "price", "price").text


def test_colours_say_yes_no_or_list(catalog) -> None:
    nova = catalog.products["nova-8"]
    assert catalog.answer(nova, "colour", "does it come in blue?").text == (
        "Yes, the Nova 8 comes in blue. It also comes in black and silver."
    )
    assert catalog.answer(nova, "colour", "is it available in red").text.startswith(
        "The Nova 8 doesn't come in red, I'm afraid: it comes in black, silver and blue."
    )
    assert catalog.answer(nova, "colour", "what colours").text == (
        "The Nova 8 comes in black, silver and blue."
    )


def test_stock_per_store_online_and_sold_out(catalog) -> None:
    nova = catalog.products["nova-8"]
    assert catalog.answer(nova, "stock", "in stock?").text == (
        "The Nova 8 is in stock online and in our Downtown and Riverside stores "
        "(not at Airport at the moment)."
    )
    assert catalog.answer(nova, "stock", "do you have it at the airport").text == (
        "Voltline Airport has no Nova 8 in stock right now; Downtown and Riverside has it "
        "and it is in stock online."
    )
    forge = catalog.products["forge-g15"]
    assert "out of stock online and in our stores" in catalog.answer(forge, "stock", "?").text
    flip = catalog.products["flip-z"]
    assert catalog.answer(flip, "stock", "available at downtown?").text == (
        "Yes, Voltline Downtown has the Flip Z in stock (only a few left)."
    )


def test_specs_come_from_the_facts_or_the_description(catalog) -> None:
    aero = catalog.products["aerobook-14"]
    assert catalog.answer(aero, "spec", "how heavy is it").text == (
        "The AeroBook 14 weighs 1.2 kg. It costs £1,099."
    )
    hub = catalog.products["home-hub"]
    assert catalog.answer(hub, "spec", "battery life?").text.startswith(
        "The Home Hub Speaker: Smart speaker with voice assistant"
    )


def test_every_fact_entry_names_a_catalogue_product(catalog) -> None:
    import yaml

    facts = yaml.safe_load((CATALOG_DIR / "product_facts.yml").read_text())["products"]
    assert set(facts) <= set(catalog.products)
    assert catalog.products["nova-8"].colours == ("black", "silver", "blue")


def test_the_policy_words_replace_a_product_name(catalog) -> None:
    nova = catalog.products["nova-8"]
    assert catalog.without_name("whats the warranty on the Nova 8", nova) == (
        "whats the warranty on the phone"
    )


# --- names written apart, and several products in one question (kb2) ---


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("is the nova 7a cheaper than the nova 8", ["Nova 7a", "Nova 8"]),
        ("nova 8 mini vs nova 8, which has the better camera", ["Nova 8 Mini", "Nova 8"]),
        ("the slate mini or the slate 11 for reading?", ["Slate Mini", "Slate 11"]),
        ("does the slate 11 come with a keyboard or a pen", ["Slate 11"]),  # not the Slate Pen
        ("a screen protector for my nova 8", ["Nova 8 Screen Protector"]),
        ("what do the pulse sport cost", ["Pulse Sport"]),
        ("is the 65w charger fast", ["65W USB-C Charger"]),  # words of the name left out
    ],
)
def test_find_all_names_each_product_once_in_order(catalog, text, names) -> None:
    assert [p.name for p in catalog.find_all(text)] == names


def test_how_much_with_a_typo_asks_the_price() -> None:
    assert fact_kind("how much r the pulse sport") == "price"
    assert fact_kind("how much u charging for the nova 7a") == "price"


def test_a_message_that_asks_two_facts_gets_both(catalog) -> None:
    flip = catalog.find("flip z")
    both = catalog.answer(flip, "stock", "how much is the flip z and is it in stock?").text
    assert "Downtown" in both and "£899" in both
    nova = catalog.find("nova 8")
    colours = catalog.answer(nova, "colour", "what colours is the nova 8 and what's the price")
    assert "black, silver and blue" in colours.text and "£599" in colours.text
    only = catalog.answer(nova, "colour", "what colours does the nova 8 come in").text
    assert "£" not in only
