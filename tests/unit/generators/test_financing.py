from __future__ import annotations

import re
from pathlib import Path

import pytest

from generators.errors import ModelLoadError
from generators.financing import FinancingTerms, Plan, monthly_payment

KNOWLEDGE = Path(__file__).parents[3] / "data" / "knowledge" / "financing.md"


@pytest.fixture
def terms() -> FinancingTerms:
    return FinancingTerms.load()


@pytest.mark.parametrize(
    ("amount", "apr", "months", "expected"),
    [
        (1200, 0.0, 12, 100.00),
        (900, 0.0, 12, 75.00),
        # Effective 9.9% APR: monthly rate 1.099 ** (1/12) - 1 = 0.0078999...
        (1200, 9.9, 24, 55.08),
        (1000, 9.9, 36, 32.02),
        # Effective 12.682503% APR is exactly 1% a month: the textbook annuity.
        (10_000, 12.682503013196977, 12, 888.49),
    ],
)
def test_monthly_payment_matches_known_annuities(amount, apr, months, expected) -> None:
    assert monthly_payment(amount, apr, months) == pytest.approx(expected, abs=0.005)


def test_monthly_payment_refuses_a_zero_term() -> None:
    with pytest.raises(ValueError, match="at least one month"):
        monthly_payment(100, 9.9, 0)


def test_offer_has_monthly_cost_total_and_representative_example(terms: FinancingTerms) -> None:
    offer = terms.offer(1200, 24)
    assert offer is not None
    assert (offer.apr_percent, offer.monthly_payment, offer.total_payable) == (9.9, 55.08, 1321.92)
    assert "9.9% APR representative" in offer.representative_example
    assert "£55.08 a month" in offer.representative_example
    assert "£1,321.92" in offer.representative_example
    free = terms.offer(900, 12)
    assert free is not None and free.total_payable == 900 and free.apr_percent == 0


@pytest.mark.parametrize(
    ("amount", "months", "allowed"),
    [
        (900, 36, False),
        (900, 24, False),
        (900, 12, True),
        (1000, 24, False),
        (1000.01, 36, True),
        (1500, 18, False),
        (300, 12, False),
        (301, 12, True),
    ],
)
def test_terms_follow_the_minimum_amounts(terms, amount, months, allowed) -> None:
    assert (terms.offer(amount, months) is not None) is allowed
    assert (terms.term_refusal(amount, months) is None) is allowed


def test_refusal_names_the_allowed_terms(terms: FinancingTerms) -> None:
    message = terms.term_refusal(900, 36)
    assert message is not None
    assert "only available above £1,000" in message and "12 months" in message
    assert "36 months" not in message
    assert "above £300" in (terms.term_refusal(250, 12) or "")


def test_bad_terms_file_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "terms.json"
    path.write_text('{"plans": [{"term_months": 12}]}')
    with pytest.raises(ModelLoadError, match="amount_above"):
        FinancingTerms.load(path)


def test_knowledge_text_agrees_with_the_terms_file(terms: FinancingTerms) -> None:
    """Every plan in the data file is stated in financing.md, and no other APR or term is."""
    text = KNOWLEDGE.read_text(encoding="utf-8")
    aprs = {float(a) for a in re.findall(r"(\d+(?:\.\d+)?)% APR", text)}
    assert aprs == {p.apr_percent for p in terms.plans}
    for plan in terms.plans:
        months = f"{plan.term_months} months"
        above = f"above £{plan.amount_above:g}"
        sentences = [s for s in re.split(r"(?<=[.;])\s", text) if str(plan.term_months) in s]
        assert any(above in s and f"{plan.apr_percent:g}% APR" in s for s in sentences), (
            months,
            above,
        )
    stated_terms = {int(m) for m in re.findall(r"\b(\d+)(?=(?: or \d+)? months|-month)", text)}
    assert stated_terms == {p.term_months for p in terms.plans}


def test_terms_need_a_plan() -> None:
    with pytest.raises(ValueError):
        FinancingTerms([])
    assert FinancingTerms([Plan(12, 0, 300)]).minimum_amount == 300


@pytest.mark.parametrize(
    ("text", "price", "expected"),
    [
        ("how much a month is £1,200 over 24 months?", None, "£55.08 a month"),
        ("1.5k over 36 months, monthly cost?", None, "£48.03 a month"),
        ("monthly payments for 900 over a year", None, "£75.00 a month"),
        ("can i do 36 months on a 600 quid phone", None, "For £600.00 you can choose 12 months"),
        ("can i spread £150 over 12 months", None, "£150.00 can't be financed"),
        ("how much is it a month over a year", 599, "£49.92 a month"),
        ("whats the interest rate if i pay over 24 months", None, None),
        ("i have 2 phones over 12 months old", None, None),
        ("how much is it a month", 599, None),
    ],
)
def test_quote_from_an_amount_and_a_term_in_words(
    text: str, price: float | None, expected: str | None
) -> None:
    quote = FinancingTerms.load().quote(text, price=price)
    assert (quote is None) if expected is None else (expected in (quote or ""))


def test_at_0_percent_the_total_is_the_amount_exactly() -> None:
    offer = FinancingTerms.load().offer(599, 12)
    assert offer is not None and offer.total_payable == 599.0
    assert "no interest or fees" in offer.representative_example
