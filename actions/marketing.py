"""Marketing copy for staff: ``marketing_copy_form`` collects a brief, the action writes it.

Only staff reach the form (the rules branch on ``is_staff``, set by
``action_check_staff`` from what a channel verified; see actions/access.py), and
the action checks again, so a customer who gets here some other way is refused.
The product must be one of the catalogue's (``validate_marketing_copy_form``
finds it in the staff member's words: "copy for the nova8 mini"); the copy is
written from that product's facts in data/catalog/products.yml and
data/knowledge/products.md, plus the shop's policies below, and every claim
in it is checked against them (generators/claims.py).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.access import is_staff
from bot.sdk.forms import apology_for
from generators.claims import FactSheet
from generators.errors import GeneratorError, ValidationFailed
from generators.marketing import MarketingWriter, fact_sheet
from generators.recommend import CATALOG_DIR, Product, load_products
from generators.schemas import payload
from generators.settings import TextSettings

log = logging.getLogger(__name__)

BRAND = "Voltline"
PRODUCTS_KNOWLEDGE = Path(__file__).resolve().parent.parent / "data" / "knowledge" / "products.md"
# The shop's own promises, as data/knowledge states them (a test keeps them in step).
SHOP_FACTS = (
    "Delivery is free on orders over £50.",
    "You can return any product within 30 days.",
)
WARRANTY = {
    "accessories": "Accessories have a 1-year warranty.",
    "": "Electronics come with a 2-year warranty.",
}


def _knowledge_sections(path: Path) -> dict[str, str]:
    """``## <heading>`` → its paragraph, from a Markdown knowledge file."""
    sections: dict[str, str] = {}
    heading = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
        elif heading and line.strip():
            sections[heading] = f"{sections.get(heading, '')} {line.strip()}".strip()
    return sections


def _sheet(product: Product, sections: dict[str, str], names: list[str]) -> FactSheet:
    known = [
        text
        for heading, text in sections.items()
        if re.match(rf"{re.escape(product.name)}(\s|$)", heading, re.IGNORECASE)
    ]
    facts = [
        f"The {product.name} costs £{product.price:,.0f} at {BRAND}.",
        product.description,
        *known,
        WARRANTY.get(product.category, WARRANTY[""]),
    ]
    return fact_sheet(
        product.name,
        facts,
        brand=BRAND,
        price=product.price,
        shop_facts=SHOP_FACTS,
        names=names,
    )


@lru_cache(maxsize=1)
def catalogue_facts() -> dict[str, FactSheet]:
    """One fact sheet per catalogue product, keyed by its name in lower case."""
    products, _ = load_products(CATALOG_DIR / "products.yml")
    sections = _knowledge_sections(PRODUCTS_KNOWLEDGE)
    names = [p.name for p in products]
    return {p.name.lower(): _sheet(p, sections, names) for p in products}


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def find_product(text: str) -> str | None:
    """The catalogue product a message names ("nova8 mini", "the aerobok 14"), if one."""
    sheets = catalogue_facts()
    squashed = _squash(text)
    for key in sorted(sheets, key=len, reverse=True):
        if _squash(key) and _squash(key) in squashed:
            return sheets[key].product
    words = re.findall(r"[a-z0-9]+", text.lower())
    best: tuple[float, int, str] | None = None
    for key in sheets:
        size = len(key.split())
        for start in range(max(1, len(words) - size + 1)):
            window = "".join(words[start : start + size])
            score = difflib.SequenceMatcher(None, window, _squash(key)).ratio()
            if score >= 0.85 and (best is None or (score, len(key)) > best[:2]):
                best = (score, len(key), key)
    return sheets[best[2]].product if best else None


def facts_for(product: str) -> FactSheet | None:
    name = find_product(product)
    return catalogue_facts().get(name.lower()) if name else None


@lru_cache(maxsize=1)
def default_writer() -> MarketingWriter:
    settings = TextSettings.from_env()
    return MarketingWriter(
        generator=settings.build_generator(), facts_for=facts_for, deadline_s=settings.deadline_s
    )


class ValidateMarketingCopyForm(FormValidationAction):
    """Finds the catalogue product in the staff member's words; re-asks otherwise."""

    def name(self) -> str:
        return "validate_marketing_copy_form"

    async def extract_copy_product(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = (tracker.latest_message or {}).get("text") or ""
        found = await asyncio.to_thread(find_product, text)
        return {"copy_product": found} if found else {}

    async def validate_copy_product(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        found = await asyncio.to_thread(find_product, str(value or ""))
        if found:
            return {"copy_product": found}
        dispatcher.utter_message(
            text="I write copy only from catalogue facts, so I need a product we sell, "
            "such as the Nova 8, AeroBook 14 or Pulse ANC. Which one?"
        )
        return {"copy_product": None}


class ActionWriteMarketingCopy(Action):
    def __init__(self, writer: MarketingWriter | None = None) -> None:
        self._writer = writer

    def name(self) -> str:
        return "action_write_marketing_copy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not is_staff(tracker):
            dispatcher.utter_message(response="utter_staff_only")
            return [SlotSet(f"copy_{key}", None) for key in ("product", "audience", "tone")]
        brief = {
            key: tracker.get_slot(f"copy_{key}")
            for key in ("product", "audience", "tone", "words")
            if tracker.get_slot(f"copy_{key}") not in (None, "")
        }
        if "product" not in brief:
            dispatcher.utter_message(text="Which product should the copy be about?")
            return []
        try:
            writer = self._writer
            if writer is None:
                writer = await asyncio.to_thread(default_writer)
            copy = await asyncio.to_thread(writer.write, brief)
        except ValidationFailed as e:
            dispatcher.utter_message(text=f"I can't write copy from that brief: {e}")
            return [SlotSet("copy_product", None)]
        except GeneratorError as e:
            log.error("action_write_marketing_copy: writer unavailable: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="that copy"))
            return []
        numbered = "\n\n".join(f"{n}. {v.text}" for n, v in enumerate(copy.variants, start=1))
        dispatcher.utter_message(
            text=f"Here are {len(copy.variants)} versions for {copy.brief.product}:\n\n{numbered}",
            json_message=payload("marketing_copy", copy),
        )
        return []
