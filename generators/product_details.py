# ruff: noqa: RUF001  (Chinese text, on purpose)
"""A product's facts and a short comparison, straight from the catalogue.

The next steps offered under recommendations ("Details", "Compare these")
answer from ``data/catalog/products.yml`` only, so a price or a spec can never
differ from what the recommender used. Plain functions over
:class:`~generators.recommend.Product`: no model, tested line by line.
``language="zh"`` words them in Chinese and quotes the catalogue's Chinese name
and description (``translations``) where it has them, else the English ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from generators import constraints_zh
from generators.constraints import money
from generators.financing import FinancingTerms
from generators.recommend import Product

MAX_COMPARED = 4


def find_product(mention: str | None, products: Iterable[Product]) -> Product | None:
    """ "nova-8", "Nova 8", "the nova 8" → the product; None when nothing matches."""
    if not mention:
        return None
    wanted = _key(mention)
    catalogue = list(products)
    for product in catalogue:
        if wanted in (_key(product.id), *(_key(name) for name in product.names())):
            return product
    return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9\u3400-\u9fff]+", "", text.lower().removeprefix("the "))


def financing_line(
    price: float, terms: FinancingTerms | None, language: str | None = None
) -> str | None:
    """ "Financing: 0% APR over 12 months, £49.92 a month" when the price qualifies."""
    if terms is None:
        return None
    offers = [terms.offer(price, months) for months in terms.allowed_terms(price)]
    best = min(
        (o for o in offers if o is not None),
        key=lambda o: (o.apr_percent, o.term_months),
        default=None,
    )
    if best is None:
        return None
    if language == "zh":
        return (
            f"分期付款：{best.term_months} 个月，年利率 {best.apr_percent:g}%，"
            f"每月 {terms.money(best.monthly_payment)}"
        )
    return (
        f"Financing: {best.apr_percent:g}% APR over {best.term_months} months, "
        f"{terms.money(best.monthly_payment)} a month"
    )


def details(
    product: Product,
    *,
    currency: str = "GBP",
    terms: FinancingTerms | None = None,
    language: str | None = None,
) -> str:
    """The product's facts as the catalogue has them, for "Details"."""
    zh = language == "zh"
    product = product.in_language(language)
    price = constraints_zh.money(product.price, currency) if zh else money(product.price, currency)
    lines = [
        f"{product.name}：{price}。" if zh else f"{product.name}: {price}.",
        product.description,
    ]
    financing = financing_line(product.price, terms, language)
    if financing:
        lines.append(financing + ("。" if zh else "."))
    return "\n".join(lines)


def compare(
    products: Sequence[Product], *, currency: str = "GBP", language: str | None = None
) -> str:
    """A short comparison of the items shown: price order, the gap, each one's lead."""
    shown = [p.in_language(language) for p in {p.id: p for p in products}.values()]
    shown = shown[:MAX_COMPARED]
    if len(shown) < 2:
        raise ValueError("A comparison needs at least two products.")
    by_price = sorted(shown, key=lambda p: p.price)
    cheapest, dearest = by_price[0], by_price[-1]
    if language == "zh":
        return _compare_zh(shown, by_price, currency)
    lines = [f"Comparing {', '.join(p.name for p in shown[:-1])} and {shown[-1].name}:"]
    lines += [f"• {p.name}, {money(p.price, currency)}: {_lead(p.description)}" for p in by_price]
    gap = dearest.price - cheapest.price
    if gap > 0:
        lines.append(
            f"The {cheapest.name} is the cheapest, {money(gap, currency)} less than the "
            f"{dearest.name}."
        )
    else:
        lines.append("They cost the same.")
    categories = {p.category for p in shown}
    if len(categories) > 1:
        lines.append("They are different kinds of product, so compare them by what you need.")
    return "\n".join(lines)


def _lead(description: str) -> str:
    """The description's first clause, lower-cased: what sets the product apart."""
    first = description.split(". ")[0].rstrip(".")
    return first[:1].lower() + first[1:]


def _lead_zh(description: str) -> str:
    """:func:`_lead` for a Chinese description (its first sentence); an English one
    (no translation in the catalogue) as :func:`_lead` cuts it."""
    if not re.search(r"[\u3400-\u9fff]", description):
        return _lead(description)
    return re.split(r"[。！？]", description, maxsplit=1)[0]


def _compare_zh(shown: list[Product], by_price: list[Product], currency: str) -> str:
    """:func:`compare` in Chinese; each product's lead is quoted from the catalogue."""
    cheapest, dearest = by_price[0], by_price[-1]
    price = lambda value: constraints_zh.money(value, currency)  # noqa: E731
    lines = [f"比较 {'、'.join(p.name for p in shown)}："]
    lines += [f"• {p.name}，{price(p.price)}：{_lead_zh(p.description)}" for p in by_price]
    gap = dearest.price - cheapest.price
    if gap > 0:
        lines.append(f"{cheapest.name} 最便宜，比 {dearest.name} 便宜 {price(gap)}。")
    else:
        lines.append("它们的价格相同。")
    if len({p.category for p in shown}) > 1:
        lines.append("它们属于不同类别的产品，请按您的需要来比较。")
    return "\n".join(lines)
