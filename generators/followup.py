"""Follow-up questions: what "it" is, and what "and express?" asks, from earlier turns.

"and does it come in blue?" after a question about the Nova 8 is about the
Nova 8; "and for laptops?" after "how much is the care plan for phones?" asks
the same question about laptops. :func:`rewrite` turns the customer's message
into a self-contained request, using a :class:`Context` the action reads from
the tracker: the product the conversation is about (a slot) and the earlier
questions. It is pure and cheap, so it runs on every question.

* A message that names a product is about that product; when it asks nothing
  else ("what about the Slate Mini?"), it asks what the previous question
  asked (its price, say).
* A message that refers back ("it", "they", "this one") or asks a bare fact
  ("which colours?", "how much?", "in stock?") is about the product in context.
* Any other elliptical message ("and express?", "what about basic?") is
  searched together with the previous question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generators.lexical import terms
from generators.products import (
    CATEGORY_NOUNS,
    COLOURS,
    FactKind,
    ProductCatalog,
    ProductFacts,
    fact_kind,
)

_REFERS_BACK = re.compile(
    r"\b(it|its|it's|itself|they|them|their|this one|that one|this phone|that phone|"
    r"this model|that model|the same one)\b",
    re.I,
)
_ELLIPTICAL = re.compile(
    r"^\s*(and|or|also|plus|but|what about|how about|and what about|what if|same for|for|"
    r"in|at|with)\b",
    re.I,
)
_FACT_CUES = set(
    terms(
        " ".join(COLOURS)
        + " colour colours color colors come comes available availability stock much price "
        "cost costs how which does do any get store online left one ones version"
    )
)


@dataclass(frozen=True)
class Context:
    """What the conversation had before this message."""

    previous: tuple[str, ...] = ()
    """Earlier questions, oldest first."""
    product_id: str | None = None
    """The product the conversation is about (the ``last_product`` slot)."""


@dataclass(frozen=True)
class Rewritten:
    query: str
    """The message as a question that stands on its own (for retrieval)."""
    product: ProductFacts | None = None
    kind: FactKind | None = None
    """The catalogue fact asked for, if any."""
    followup: bool = False


def is_elliptical(question: str) -> bool:
    return bool(_ELLIPTICAL.match(question)) or len(terms(question)) <= 1


def rewrite(question: str, context: Context, catalog: ProductCatalog | None) -> Rewritten:
    """``question`` made self-contained with ``context`` (unchanged if it already is)."""
    kind = fact_kind(question)
    named = catalog.find(question) if catalog else None
    previous = context.previous[-1] if context.previous else None
    if named is not None:
        without = catalog.without_name(question, named) if catalog else question
        # the fact asked is read without the name: "Pulse ANC" does not ask about ANC
        kind = fact_kind(without)
        if kind is None and previous and is_elliptical(question):
            return Rewritten(question, named, fact_kind(previous), followup=True)
        return Rewritten(without, named, kind)
    in_context = (
        catalog.products.get(context.product_id) if catalog and context.product_id else None
    )
    if in_context is not None and _about_the_product(question, kind):
        noun = CATEGORY_NOUNS.get(in_context.category, in_context.category)
        query = _REFERS_BACK.sub(f"the {noun}", question, count=1)
        if query == question:
            query = f"{question} ({noun})"
        return Rewritten(query, in_context, kind, followup=True)
    if previous and is_elliptical(question):
        return Rewritten(f"{question} {previous}", None, None, followup=True)
    return Rewritten(question, None, kind)


def _about_the_product(question: str, kind: FactKind | None) -> bool:
    if _REFERS_BACK.search(question):
        return True
    if kind is None:
        return False
    return not (set(terms(question)) - _FACT_CUES)


_QUESTION_START = (
    r"(?:do|does|did|can|could|is|are|was|will|would|should|shall|have|has|how|what|what's|"
    r"whats|when|where|which|who|why|any|may)"
)
_SECOND_QUESTION = re.compile(
    r"\?+\s*(?=\S)"  # "return window for phones? and do i need the box"
    rf"|,?\s+(?:and|also|plus|oh and)\s+(?={_QUESTION_START}\b)",  # "… and do you deliver on …"
    re.I,
)
_LEADING_JOIN = re.compile(r"^\s*(?:and|also|plus|oh and)\b[\s,]*", re.I)
MIN_PART_TERMS = 2


def split_questions(message: str) -> list[str]:
    """The questions one message asks, in order: "how much is X and do you Y" → two.

    A message is cut after a question mark followed by more text, and before
    "and"/"also" followed by a question word ("and do you …", "and how …");
    the joining word is dropped, so the second part is a question of its
    own, not an elliptical follow-up. A part with fewer than two content
    words is not a question of its own and stays with the part before it,
    so "is it in stock and how much?" asks one question.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in _SECOND_QUESTION.finditer(message):
        spans.append((start, cut.start() + (1 if message[cut.start()] == "?" else 0)))
        start = cut.end()
    spans.append((start, len(message)))
    merged: list[tuple[int, int]] = []
    for begin, end in spans:
        small = len(terms(message[begin:end])) < MIN_PART_TERMS
        if merged and (small or len(terms(message[slice(*merged[-1])])) < MIN_PART_TERMS):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    parts = [_LEADING_JOIN.sub("", message[b:e]).strip() for b, e in merged]
    return [p for p in parts if p] or [message]
