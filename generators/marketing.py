"""Marketing copy for staff: a catalogue product, an audience, a tone and a length → variants.

Copy is written from the product's facts only: a :class:`~generators.claims.FactSheet`
built from the catalogue (price, description) and what the knowledge base says
about the product, plus the shop's own policies the caller passes in. The
writer refuses a product it has no facts for. Each variant is asked for with a
different angle (benefit first, question first, shop first), so greedy
decoding still gives distinct texts; every claim in a model's variant is then
checked against the facts (:func:`~generators.claims.check_claims`): the brand
is spelled right, sentences with an unsupported price, discount, percentage,
spec or superlative are dropped, and a variant left too short is replaced by a
template built from the facts alone. :attr:`CopyVariant.source` says which is
which.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from generators.brand import Brand
from generators.claims import FactSheet, check_claims
from generators.errors import GeneratorError, ValidationFailed
from generators.guardrails import injection_reason, redact
from generators.text import GenerationOptions, Message, TextGenerator, generate_within

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (  # a template: Brand.fill("marketing", SYSTEM_PROMPT)
    "You are a copywriter for {business}, {description}. Write one piece of marketing copy. "
    "Use only the facts given: no other prices, discounts, offers, percentages or "
    "specifications. Spell the brand exactly {business}. "
    "Reply with the copy only, no title and no quotes."
)
ANGLES = (
    "Open with the main benefit for this audience.",
    "Open with a short question the audience would ask themselves.",
    "Open with what makes buying it at {brand} easy.",
)
TEMPLATES = (
    "{product}, made for {audience}. {fact}",
    "Looking for something that fits {audience}? Meet the {product}. {fact}",
    "{product} at {brand}: {price}. {shop_fact}",
)
MIN_WORDS = 8
"""A model variant shorter than this after its unsupported sentences are dropped is
replaced by a template."""

FactsFor = Callable[[str], FactSheet | None]


class MarketingBrief(BaseModel):
    product: str = Field(min_length=2, max_length=80)
    audience: str = Field(default="everyone", min_length=2, max_length=80)
    tone: str = Field(default="friendly", min_length=2, max_length=30)
    words: int = Field(default=40, ge=15, le=120)
    variants: int = Field(default=3, ge=2, le=3)

    @field_validator("product", "audience", "tone")
    @classmethod
    def _safe(cls, value: str) -> str:
        if injection_reason(value):
            raise ValueError("looks like an instruction to the model, not a brief")
        return " ".join(redact(value).split())


class CopyVariant(BaseModel):
    text: str
    source: Literal["model", "template"]


class MarketingCopy(BaseModel):
    brief: MarketingBrief
    variants: list[CopyVariant]


class MarketingWriter:
    """Writes variants for a brief from the facts ``facts_for(product)`` returns."""

    def __init__(
        self,
        *,
        brand: Brand,
        generator: TextGenerator,
        facts_for: FactsFor,
        deadline_s: float = 12.0,
    ) -> None:
        self.brand = brand
        self.system_prompt = brand.fill("marketing", SYSTEM_PROMPT)
        self.generator = generator
        self.facts_for = facts_for
        self.deadline_s = deadline_s

    def write(self, brief: MarketingBrief | dict[str, object]) -> MarketingCopy:
        """Variants for ``brief``; raises :class:`ValidationFailed` only for a bad brief
        (including a product the facts do not cover)."""
        try:
            brief = MarketingBrief.model_validate(brief)
        except ValidationError as e:
            raise ValidationFailed(
                f"The copy brief is not valid: {e.errors(include_url=False)}", raw=brief
            ) from e
        sheet = self.facts_for(brief.product)
        if sheet is None:
            raise ValidationFailed(
                f"I have no catalogue facts for {brief.product!r}, and copy is written from "
                "facts only. Name a product from the catalogue.",
                raw=brief.product,
            )
        brief = brief.model_copy(update={"product": sheet.product})
        deadline = time.monotonic() + self.deadline_s
        options = GenerationOptions(max_new_tokens=int(brief.words * 2), repetition_penalty=1.2)
        variants = []
        for n, angle in enumerate(ANGLES[: brief.variants]):
            try:
                raw = generate_within(
                    self.generator,
                    self.messages(brief, sheet, angle),
                    options,
                    max(0.0, deadline - time.monotonic()),
                    task="marketing",
                )
                variants.append(
                    CopyVariant(text=self.postprocess(raw, brief, sheet), source="model")
                )
            except GeneratorError as e:
                log.warning("marketing: variant %d from template (%s: %s)", n, type(e).__name__, e)
                variants.append(CopyVariant(text=self.template(n, brief, sheet), source="template"))
        return MarketingCopy(brief=brief, variants=variants)

    def messages(self, brief: MarketingBrief, sheet: FactSheet, angle: str) -> list[Message]:
        facts = "\n".join(f"- {fact}" for fact in (*sheet.facts, *sheet.shop_facts))
        ask = (
            f"Facts:\n{facts}\n\nWrite about {brief.words} words of {brief.tone} marketing copy "
            f"for the {brief.product}, aimed at {brief.audience}. {angle.format(brand=sheet.brand)}"
        )
        return [
            Message("system", self.system_prompt),
            Message("user", ask),
        ]

    @staticmethod
    def postprocess(raw: str, brief: MarketingBrief, sheet: FactSheet) -> str:
        """The model's text, trimmed and with every unsupported claim taken out."""
        text = " ".join(raw.strip().strip("\"'").split())
        words = text.split()
        if len(words) > brief.words * 1.5:
            text = " ".join(words[: int(brief.words * 1.5)])
            text = text[: text.rfind(".") + 1] or text
        report = check_claims(text, sheet)
        if report.repairs:
            log.info("marketing: brand spelling repaired (%s)", ", ".join(report.repairs))
        if len(report.text.split()) < MIN_WORDS:
            claims = "; ".join(f"{c.text!r}: {c.reason}" for c in report.unsupported)
            raise ValidationFailed(
                f"The copy is too short to use once unsupported claims are removed ({claims}).",
                raw=raw,
            )
        return report.text

    @staticmethod
    def template(n: int, brief: MarketingBrief, sheet: FactSheet) -> str:
        """A variant from the facts alone: what it says is true by construction."""
        facts = sheet.facts or sheet.shop_facts
        shop = sheet.shop_facts or sheet.facts
        price = f"{_money(sheet.price, sheet.currency)}" if sheet.price else "in store and online"
        text = TEMPLATES[n].format(
            product=brief.product,
            audience=brief.audience,
            brand=sheet.brand,
            fact=_first_sentence(facts[min(n, len(facts) - 1)]) if facts else "",
            price=price,
            shop_fact=_first_sentence(shop[0]) if shop else "",
        )
        return " ".join(text.split())


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s+", text.strip())[0]
    return first if first.endswith((".", "!", "?")) else first + "."


def _money(amount: float, currency: str) -> str:
    symbol = {"GBP": "£", "USD": "$", "EUR": "€"}.get(currency, currency + " ")
    return f"{symbol}{amount:,.0f}" if amount == int(amount) else f"{symbol}{amount:,.2f}"


def fact_sheet(
    product: str,
    facts: Sequence[str],
    *,
    brand: str,
    currency: str = "GBP",
    price: float | None = None,
    shop_facts: Sequence[str] = (),
    names: Sequence[str] = (),
) -> FactSheet:
    """A :class:`FactSheet` with personal data and instructions kept out of the facts."""

    def clean(texts: Sequence[str]) -> tuple[str, ...]:
        return tuple(redact(t) for t in texts if t.strip() and not injection_reason(t))

    return FactSheet(
        product=product,
        facts=clean(facts),
        brand=brand,
        currency=currency,
        names=tuple(names),
        price=price,
        shop_facts=clean(shop_facts),
    )
