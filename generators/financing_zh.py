# ruff: noqa: RUF001, RUF002  (Chinese text and numerals, on purpose)
"""What financing costs, asked in Chinese: :meth:`FinancingTerms.quote` for a customer
who writes "1200镑分12期每个月还多少？" or "Nova 8 分两年，月供多少".

The same terms and the same arithmetic (:class:`~generators.financing.FinancingTerms`);
only the reading of the term and the amount and the wording are Chinese. A term
is months ("12个月", "24期", "分十二期") or years ("两年", "一年半"); the amount is
the number with a currency word or sign that is not the term ("1200镑", "£600",
"两千块"), else the price of the product the question is about.
"""

from __future__ import annotations

import re
import unicodedata

from bot.nlu.zh_numbers import ZH_NUMBER, parse_zh_number
from generators.financing import MIN_QUOTED_AMOUNT, FinancingTerms

SOURCE_TITLE = "分期付款条款"
"""The citation of a worked-out quote ("Financing terms" in English)."""

_TERM = re.compile(
    rf"(?:分\s*)?(?P<n>{ZH_NUMBER})\s*(?:(?P<months>个月|個月|期|月)|(?P<years>年)(?P<half>半)?)"
)
_COST_CUE = re.compile(
    r"每月|每个月|一个月|月供|分期|还多少|付多少|交多少|多少钱|利息|利率|年利率|总共|一共|贷款|借"
)
_AMOUNT = re.compile(
    rf"(?P<pound>£|￡)\s*(?P<a>{ZH_NUMBER})|(?P<b>{ZH_NUMBER})\s*(?:英镑|镑|块钱|块|元|pounds?|quid)",
    re.I,
)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(",", "")


def asked_term_zh(text: str) -> tuple[int, tuple[int, int]] | None:
    """The term a Chinese message names, in months, and where: "24期", "两年", "一年半"."""
    for match in _TERM.finditer(_normal(text)):
        number = parse_zh_number(match["n"])
        if number is None or number <= 0:
            continue
        if match["years"]:
            months = number * 12 + (6 if match["half"] else 0)
        elif match["months"] == "月" and not match.group(0).startswith("分"):
            continue  # "每月" and "3月" (March) are not terms; "分12月" is
        else:
            months = number
        if months == int(months) and 1 <= months <= 120:
            return int(months), match.span()
    return None


def asked_amount_zh(text: str, *, skip: tuple[int, int] = (0, 0)) -> float | None:
    """The amount a Chinese message names outside ``skip``: "1200镑", "£600", "两千块"."""
    for match in _AMOUNT.finditer(_normal(text)):
        start = match.start("a") if match["a"] else match.start("b")
        if skip[0] <= start < skip[1]:
            continue
        value = parse_zh_number(match["a"] or match["b"])
        if value is not None and value >= MIN_QUOTED_AMOUNT:
            return value
    return None


def quote_zh(terms: FinancingTerms, text: str, *, price: float | None = None) -> str | None:
    """What financing costs for the amount and term a Chinese message names, or why it
    can't; ``None`` when it names no term, asks no cost, or no amount is known."""
    term = asked_term_zh(text)
    if term is None or not _COST_CUE.search(text):
        return None
    months, span = term
    amount = asked_amount_zh(text, skip=span) or price
    if amount is None:
        return None
    money = terms.money
    if amount <= terms.minimum_amount:
        return (
            f"分期付款只适用于 {money(terms.minimum_amount)} 以上的金额，{money(amount)} 不能分期。"
        )
    offer = terms.offer(amount, months)
    if offer is None:
        allowed = "、".join(f"{t} 个月" for t in terms.allowed_terms(amount))
        needs = next((p for p in terms.plans if p.term_months == months), None)
        why = (
            f"{months} 个月的分期只适用于 {money(needs.amount_above)} 以上的金额"
            if needs
            else f"我们没有 {months} 个月的分期"
        )
        return f"抱歉，{why}。{money(amount)} 可以选 {allowed}。"
    interest = offer.total_payable - amount
    tail = f"，其中利息 {money(interest)}。" if interest > 0 else "，按时还款没有利息和手续费。"
    return (
        f"代表性示例：借款 {money(amount)}，分 {months} 个月，代表性年利率 "
        f"{offer.apr_percent:g}%，每月还款 {money(offer.monthly_payment)}；"
        f"应付总额 {money(offer.total_payable)}{tail}"
    )
