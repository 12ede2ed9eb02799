"""The demo page is written from the catalogue: every price on it is the assistant's price."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.channels.demo_page import DEMO_FILE, DemoPageError, DemoSources, page, render

pytestmark = pytest.mark.engine

SOURCES = DemoSources()


def catalogue_prices() -> dict[str, float]:
    """Every priced thing a tile may show: products by name, plans as "SIM-only <name>"."""
    products = yaml.safe_load(SOURCES.products.read_text(encoding="utf-8"))["products"]
    plans = yaml.safe_load(SOURCES.plans.read_text(encoding="utf-8"))["plans"]
    prices = {str(p["name"]): float(p["price"]) for p in products}
    prices.update({f"SIM-only {p['name']}": float(p["monthly_price"]) for p in plans})
    return prices


def amount(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_committed_page_is_the_one_the_catalogue_gives() -> None:
    assert DEMO_FILE.read_text(encoding="utf-8") == render(), (
        "Regenerate with `python -m bot.channels.demo_page` and commit bot/channels/web/demo.html."
    )


def test_every_price_on_the_page_is_the_catalogue_price() -> None:
    html = DEMO_FILE.read_text(encoding="utf-8")
    tiles = re.findall(r"<h2>([^<]+)</h2>.*?<p class=\"price\">£([\d,.]+)", html)
    assert len(tiles) >= 3
    prices = catalogue_prices()
    for name, shown in tiles:
        assert name in prices, f"{name} is on the page but not in the catalogue"
        assert amount(shown) == prices[name], f"{name}: page £{shown}, catalogue £{prices[name]}"
    assert ("Nova 8", "599") in tiles and ("Pulse ANC", "249") in tiles
    # the rest of the page: the cheapest plan and the 0% threshold of the financing terms
    plans = yaml.safe_load(SOURCES.plans.read_text(encoding="utf-8"))["plans"]
    terms = json.loads(SOURCES.financing.read_text(encoding="utf-8"))["plans"]
    tiled = {f"£{shown}" for _, shown in tiles}
    elsewhere = [p for p in re.findall(r"£[\d,.]+\d", html) if p not in tiled]
    expected = {min(float(p["monthly_price"]) for p in plans)}
    expected |= {float(t["amount_above"]) for t in terms if float(t["apr_percent"]) == 0}
    assert elsewhere and {amount(p[1:]) for p in elsewhere} <= expected


def test_the_served_page_follows_a_changed_catalogue(tmp_path: Path) -> None:
    data = yaml.safe_load(SOURCES.products.read_text(encoding="utf-8"))
    for product in data["products"]:
        if product["id"] == "nova-8":
            product["price"] = 579
    changed = tmp_path / "products.yml"
    changed.write_text(yaml.safe_dump(data), encoding="utf-8")
    served = page(replace(SOURCES, products=changed))
    assert '<h2>Nova 8</h2><p>Best-selling smartphone.</p><p class="price">£579</p>' in served


def test_without_the_catalogue_the_committed_page_is_served(tmp_path: Path) -> None:
    missing = replace(SOURCES, products=tmp_path / "none.yml")
    assert page(missing) == DEMO_FILE.read_text(encoding="utf-8")


def test_a_featured_product_the_catalogue_lacks_is_an_error_naming_it() -> None:
    with pytest.raises(DemoPageError, match="'nova-9'"):
        render(replace(SOURCES, featured=("nova-9",)))
