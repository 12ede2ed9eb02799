"""Marketing copy for staff: a product, an audience, a tone and a length → variants.

Each variant is asked for with a different angle (benefit first, question
first, offer first), so greedy decoding still gives distinct texts. Facts come
from the knowledge base when it knows the product, and a variant quoting a
figure that is in no fact is discarded: invented prices are the costly
mistake in copy. Any variant the model cannot deliver in time, or delivers
unusable, is filled from a template, so staff always get the number they
asked for; :attr:`CopyVariant.source` says which is which.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from generators.errors import GeneratorError, ValidationFailed
from generators.guardrails import injection_reason, redact
from generators.retrieval import KnowledgeBase
from generators.text import GenerationOptions, Message, TextGenerator, generate_within

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are a copywriter for Voltline, an electronics retailer. Write one piece of "
    "marketing copy. Use only the facts given; do not invent prices or features. "
    "Reply with the copy only, no title and no quotes."
)
ANGLES = (
    "Open with the main benefit for this audience.",
    "Open with a short question the audience would ask themselves.",
    "Open with what makes buying it at Voltline easy.",
)
TEMPLATES = (
    "{product}, made for {audience}. {fact}",
    "Looking for something that fits {audience}? Meet {product}. {fact}",
    "{product} at Voltline: free shipping over $50, 30-day returns and a 2-year warranty. {fact}",
)


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
    def __init__(
        self,
        *,
        generator: TextGenerator,
        knowledge_base: KnowledgeBase | None = None,
        deadline_s: float = 12.0,
    ) -> None:
        self.generator = generator
        self.knowledge_base = knowledge_base
        self.deadline_s = deadline_s

    def write(self, brief: MarketingBrief | dict[str, object]) -> MarketingCopy:
        """Variants for ``brief``; raises :class:`ValidationFailed` only for a bad brief."""
        try:
            brief = MarketingBrief.model_validate(brief)
        except ValidationError as e:
            raise ValidationFailed(
                f"The copy brief is not valid: {e.errors(include_url=False)}", raw=brief
            ) from e
        facts = self.facts(brief.product)
        deadline = time.monotonic() + self.deadline_s
        options = GenerationOptions(max_new_tokens=int(brief.words * 2), repetition_penalty=1.2)
        variants = []
        for n, angle in enumerate(ANGLES[: brief.variants]):
            try:
                raw = generate_within(
                    self.generator,
                    self.messages(brief, facts, angle),
                    options,
                    max(0.0, deadline - time.monotonic()),
                )
                variants.append(
                    CopyVariant(text=self.postprocess(raw, brief, facts), source="model")
                )
            except GeneratorError as e:
                log.warning("marketing: variant %d from template (%s: %s)", n, type(e).__name__, e)
                variants.append(CopyVariant(text=self.template(n, brief, facts), source="template"))
        return MarketingCopy(brief=brief, variants=variants)

    def facts(self, product: str) -> str:
        if self.knowledge_base is None:
            return ""
        retrieval = self.knowledge_base.retrieve(product, k=1)
        return retrieval.hits[0].chunk.text if retrieval.confident else ""

    @staticmethod
    def messages(brief: MarketingBrief, facts: str, angle: str) -> list[Message]:
        ask = (
            f"Write about {brief.words} words of {brief.tone} marketing copy for {brief.product}, "
            f"aimed at {brief.audience}. {angle}"
        )
        if facts:
            ask = f"Facts: {facts}\n\n{ask}"
        return [Message("system", SYSTEM_PROMPT), Message("user", ask)]

    @staticmethod
    def postprocess(raw: str, brief: MarketingBrief, facts: str) -> str:
        text = " ".join(raw.strip().strip("\"'").split())
        words = text.split()
        if len(words) < 5:
            raise ValidationFailed("The copy is too short to use.", raw=raw)
        if len(words) > brief.words * 1.5:
            text = " ".join(words[: int(brief.words * 1.5)])
            text = text[: text.rfind(".") + 1] or text
        invented = set(re.findall(r"\d+", text)) - set(re.findall(r"\d+", facts + brief.product))
        if invented:
            raise ValidationFailed(f"The copy invents figures {sorted(invented)}.", raw=raw)
        return text

    @staticmethod
    def template(n: int, brief: MarketingBrief, facts: str) -> str:
        fact = facts.split(". ")[0].rstrip(".") + "." if facts else ""
        text = TEMPLATES[n].format(product=brief.product, audience=brief.audience, fact=fact)
        return text.strip()
