"""The web chat's demo shop page, written from the catalogue so its prices are the bot's.

A hand-written page once said the Nova 8 cost £549 while the assistant, reading
``data/catalog/products.yml``, said £599. Now every figure on the page comes
from the same files the assistant answers from: product prices and blurbs from
``products.yml``, plan prices and allowances from ``mobile_plans.yml``, the 0%
threshold from the financing terms, filled into ``web/demo.template.html``
(the page's layout and the shop's styles). The webchat channel renders the page on
each request when the catalogue is there; ``bot/channels/web/demo.html`` is the
same page for the reference catalogue (an installed package without the data
serves that), and a unit test fails when the two differ::

    python -m bot.channels.demo_page        # rewrite web/demo.html

Standard library and PyYAML only, so both venvs can run it.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from string import Template
from typing import Any

import yaml

from bot.engine.errors import ChannelError

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = Path(__file__).resolve().parent / "web"
DEMO_FILE = WEB_DIR / "demo.html"
TEMPLATE_FILE = WEB_DIR / "demo.template.html"
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


class DemoPageError(ChannelError, ValueError):
    """The catalogue lacks what the demo page shows; the message names the file and key."""


@dataclass(frozen=True)
class DemoSources:
    """Where the figures come from, and which products and plan the page features."""

    products: Path = ROOT / "data" / "catalog" / "products.yml"
    plans: Path = ROOT / "data" / "catalog" / "mobile_plans.yml"
    financing: Path = ROOT / "generators" / "artifacts" / "financing_terms.json"
    featured: Sequence[str] = field(default=("nova-8", "pulse-anc"))
    featured_plan: str = "plus"

    def available(self) -> bool:
        return self.products.is_file() and self.plans.is_file() and self.financing.is_file()


def price(amount: float, currency: str) -> str:
    """ "£599", "£29", "£12.50": whole amounts without pence, as shops print them."""
    symbol = _SYMBOLS.get(currency, "")
    text = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise DemoPageError(f"Could not read {path}: {e}") from e
    if not isinstance(data, dict):
        raise DemoPageError(f"{path} should hold a mapping at the top level.")
    return data


def _blurb(description: str) -> str:
    """ "Best-selling smartphone with a 6.4-inch …" → "Best-selling smartphone"."""
    first = description.split(". ")[0]
    for cut in (" with ", ", ", " for "):
        first = first.split(cut)[0]
    return first.rstrip(".") + "."


def _allowance(value: object, unit: str, unlimited: str) -> str:
    if value is None:
        return unlimited
    return f"{float(str(value)):g} {unit}"


def tiles(sources: DemoSources) -> list[dict[str, str]]:
    """The featured tiles: name, blurb and price, each from the catalogue."""
    catalogue = _load_yaml(sources.products)
    currency = str(catalogue.get("currency") or "GBP")
    by_id = {str(p["id"]): p for p in catalogue.get("products") or []}
    out = []
    for product_id in sources.featured:
        product = by_id.get(product_id)
        if product is None:
            raise DemoPageError(
                f"{sources.products}: no product with id {product_id!r} to feature."
            )
        out.append(
            {
                "name": str(product["name"]),
                "blurb": _blurb(str(product["description"])),
                "price": price(float(product["price"]), currency),
            }
        )
    plans = _load_yaml(sources.plans)
    plan_currency = str(plans.get("currency") or currency)
    plan = next((p for p in plans.get("plans") or [] if p.get("id") == sources.featured_plan), None)
    if plan is None:
        raise DemoPageError(f"{sources.plans}: no plan with id {sources.featured_plan!r}.")
    days = plan.get("roaming_days")
    roaming = "EU roaming" if days is None else f"{days} roaming days" if days else "no roaming"
    out.append(
        {
            "name": f"SIM-only {plan['name']}",
            "blurb": f"{_allowance(plan.get('data_gb'), 'GB', 'Unlimited data')}, "
            f"{_allowance(plan.get('minutes'), 'minutes', 'unlimited minutes')}, {roaming}.",
            "price": f"{price(float(plan['monthly_price']), plan_currency)} / month",
        }
    )
    return out


def hero(sources: DemoSources) -> str:
    plans = _load_yaml(sources.plans)
    cheapest = min(float(p["monthly_price"]) for p in plans.get("plans") or [])
    currency = str(plans.get("currency") or "GBP")
    try:
        terms = json.loads(sources.financing.read_text(encoding="utf-8"))
        free = [p for p in terms["plans"] if float(p["apr_percent"]) == 0]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DemoPageError(
            f"Could not read the financing terms at {sources.financing}: {e}"
        ) from e
    financing = (
        f"0% financing on orders over {price(float(free[0]['amount_above']), currency)}"
        if free
        else "easy financing"
    )
    return (
        f"Laptops, headphones and phones, SIM-only plans from {price(cheapest, currency)} a month, "
        f"and {financing}."
    )


def render(sources: DemoSources | None = None) -> str:
    """The demo page for a catalogue; ``__TANDEM_SERVER__`` is filled in when served."""
    sources = sources or DemoSources()
    ids = ["phones", None, "plans"]
    rows = []
    for n, tile in enumerate(tiles(sources)):
        anchor = ids[n] if n < len(ids) else None
        attr = f' id="{anchor}"' if anchor else ""
        rows.append(
            f'      <article class="tile"{attr}><h2>{escape(tile["name"])}</h2>'
            f'<p>{escape(tile["blurb"])}</p><p class="price">{escape(tile["price"])}</p></article>'
        )
    template = Template(TEMPLATE_FILE.read_text(encoding="utf-8"))
    return template.substitute(hero=escape(hero(sources), quote=False), tiles="\n".join(rows))


def page(sources: DemoSources | None = None) -> str:
    """What the channel serves: rendered from the catalogue when it is there, else the file."""
    sources = sources or DemoSources()
    if sources.available():
        try:
            return render(sources)
        except DemoPageError as e:
            logging.getLogger(__name__).warning("demo page from the catalogue failed: %s", e)
    return DEMO_FILE.read_text(encoding="utf-8")


def main() -> int:
    DEMO_FILE.write_text(render(), encoding="utf-8")
    logging.getLogger(__name__).info("wrote %s", DEMO_FILE)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
