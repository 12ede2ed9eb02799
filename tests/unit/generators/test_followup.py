"""Follow-ups made self-contained from the product in context and the earlier questions."""

from __future__ import annotations

import pytest

from generators.followup import Context, rewrite
from generators.products import ProductCatalog
from tests.conftest import CATALOG_DIR


@pytest.fixture(scope="module")
def catalog() -> ProductCatalog:
    return ProductCatalog.from_directory(CATALOG_DIR, business="Voltline")


NOVA = Context(previous=("how much is the Nova 8?",), product_id="nova-8")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("and does it come in blue?", "colour"),
        ("how much is it", "price"),
        ("which colours?", "colour"),
        ("is it in stock at riverside", "stock"),
        ("how heavy is it", "spec"),
    ],
)
def test_a_bare_fact_question_is_about_the_product_in_context(catalog, question, kind) -> None:
    asked = rewrite(question, NOVA, catalog)
    assert asked.product is not None and asked.product.id == "nova-8"
    assert (asked.kind, asked.followup) == (kind, True)


def test_a_policy_follow_up_is_searched_for_the_kind_of_product(catalog) -> None:
    asked = rewrite("whats the warranty on it", NOVA, catalog)
    assert asked.query == "whats the warranty on the phone"
    assert asked.kind is None and asked.product is not None


def test_naming_another_product_asks_what_the_previous_question_asked(catalog) -> None:
    context = Context(previous=("how much is the slate 11",), product_id="slate-11")
    asked = rewrite("what about the slate mini?", context, catalog)
    assert asked.product is not None and asked.product.id == "slate-mini"
    assert asked.kind == "price"


def test_an_elliptical_question_is_searched_with_the_previous_one(catalog) -> None:
    context = Context(previous=("how much is voltline care for phones",))
    asked = rewrite("and for laptops?", context, catalog)
    assert asked.query == "and for laptops? how much is voltline care for phones"
    assert asked.followup and asked.product is None


@pytest.mark.parametrize(
    "question", ["how much is delivery?", "how long do refunds take", "what's your phone number"]
)
def test_a_question_that_stands_alone_is_left_alone(catalog, question) -> None:
    asked = rewrite(question, NOVA, catalog)
    assert (asked.query, asked.product, asked.followup) == (question, None, False)


def test_without_context_nothing_is_invented(catalog) -> None:
    asked = rewrite("does it come in blue?", Context(), catalog)
    assert asked.product is None and asked.query == "does it come in blue?"


# --- several questions in one message (kb2) ---


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        (
            "what does delivery cost and can i collect in store",
            ["what does delivery cost", "can i collect in store"],
        ),
        (
            "do you take paypal? also is there a student discount",
            ["do you take paypal?", "is there a student discount"],
        ),
        ("is the nova 7a in stock and how much?", ["is the nova 7a in stock and how much?"]),
        ("can i swap it and get a refund", ["can i swap it and get a refund"]),
        ("pros and cons of plus and basic?", ["pros and cons of plus and basic?"]),
    ],
)
def test_a_message_is_split_into_its_questions(message, parts) -> None:
    from generators.followup import split_questions

    assert split_questions(message) == parts


def test_a_product_name_is_not_the_fact_asked() -> None:
    """ "Pulse ANC" names the product; a refund question about it asks no spec."""
    from generators.followup import Context, rewrite
    from generators.products import ProductCatalog
    from tests.conftest import CATALOG_DIR

    catalog = ProductCatalog.from_directory(CATALOG_DIR, business="Voltline")
    refund = rewrite("bought the pulse anc last week, can i get a refund", Context(), catalog)
    assert refund.product is not None and refund.product.id == "pulse-anc"
    assert refund.kind is None
    spec = rewrite("does the pulse anc have noise cancelling", Context(), catalog)
    assert spec.kind == "spec"
