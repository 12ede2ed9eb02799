"""A product's facts and a short comparison, straight from the catalogue.

The next steps offered under recommendations ("Details", "Compare these")
answer from ``data/catalog/products.yml`` only, so a price or a spec can never
differ from what the recommender used. Plain functions over
:class:`~generators.recommend.Product`: no model, tested line by line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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
        if wanted in (_key(product.id), _key(product.name)):
            return product
    return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower().removeprefix("the "))


def financing_line(price: float, terms: FinancingTerms | None) -> str | None:
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
    return (
        f"Financing: {best.apr_percent:g}% APR over {best.term_months} months, "
        f"{terms.money(best.monthly_payment)} a month"
    )


def details(product: Product, *, currency: str = "GBP", terms: FinancingTerms | None = None) -> str:
    """The product's facts as the catalogue has them, for "Details"."""
    lines = [
        f"{product.name}: {money(product.price, currency)}.",
        product.description,
    ]
    financing = financing_line(product.price, terms)
    if financing:
        lines.append(financing + ".")
    return "\n".join(lines)


def compare(products: Sequence[Product], *, currency: str = "GBP") -> str:
    """A short comparison of the items shown: price order, the gap, each one's lead."""
    shown = list({p.id: p for p in products}.values())[:MAX_COMPARED]
    if len(shown) < 2:
        raise ValueError("A comparison needs at least two products.")
    by_price = sorted(shown, key=lambda p: p.price)
    cheapest, dearest = by_price[0], by_price[-1]
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
