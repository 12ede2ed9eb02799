# ruff: noqa: RUF001  (Chinese text and punctuation, on purpose)
"""Financing quotes asked in Chinese: the term, the amount, the same arithmetic as English."""

from __future__ import annotations

import pytest

from generators.financing import FinancingTerms
from generators.financing_zh import asked_amount_zh, asked_term_zh, quote_zh

TERMS = FinancingTerms.load()


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("分12期", 12),
        ("24个月", 24),
        ("分两年", 24),
        ("一年半", 18),
        ("分三十六期每月多少", 36),
        ("每月多少钱", None),  # a rate, not a term
        ("3月份买划算吗", None),  # March
        ("分0期", None),
    ],
)
def test_the_term_in_months(text: str, months: int | None) -> None:
    found = asked_term_zh(text)
    assert (found[0] if found else None) == months


def test_the_amount_is_not_the_term_and_needs_a_currency_word() -> None:
    assert asked_amount_zh("1200镑分12期") == 1200
    assert asked_amount_zh("两千块分36个月") == 2000
    assert asked_amount_zh("£600 分 48 期") == 600
    assert asked_amount_zh("买2台分12期") is None  # a count, not money
    text = "分12期，1,500元"
    term = asked_term_zh(text)
    assert term is not None and asked_amount_zh(text, skip=term[1]) == 1500


def test_a_quote_has_the_english_figures_in_chinese_words() -> None:
    english = TERMS.offer(2000, 36)
    assert english is not None
    text = quote_zh(TERMS, "两千块分36个月每月多少钱")
    assert text == (
        "代表性示例：借款 £2,000.00，分 36 个月，代表性年利率 9.9%，"
        f"每月还款 £{english.monthly_payment:,.2f}；应付总额 £{english.total_payable:,.2f}，"
        f"其中利息 £{english.total_payable - 2000:,.2f}。"
    )
    assert quote_zh(TERMS, "1200镑分12期每个月还多少？") == (
        "代表性示例：借款 £1,200.00，分 12 个月，代表性年利率 0%，每月还款 £100.00；"
        "应付总额 £1,200.00，按时还款没有利息和手续费。"
    )


def test_a_product_price_stands_in_and_a_term_it_cannot_have_is_refused() -> None:
    assert quote_zh(TERMS, "分两年，月供多少", price=599) == (
        "抱歉，24 个月的分期只适用于 £1,000.00 以上的金额。£599.00 可以选 12 个月。"
    )
    assert quote_zh(TERMS, "£600 分 48 期利息多少") == (
        "抱歉，我们没有 48 个月的分期。£600.00 可以选 12 个月。"
    )
    assert quote_zh(TERMS, "60镑 12个月分期每月多少") == (
        "分期付款只适用于 £300.00 以上的金额，£60.00 不能分期。"
    )


def test_no_quote_without_a_term_a_cost_or_an_amount() -> None:
    assert quote_zh(TERMS, "Nova 8 多少钱", price=599) is None  # no term
    assert quote_zh(TERMS, "12个月", price=599) is None  # no cost asked
    assert quote_zh(TERMS, "分12期每月多少") is None  # no amount, no product
