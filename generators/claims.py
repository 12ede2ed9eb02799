"""Every claim in a piece of marketing copy, checked against the facts it was written from.

Copy that quotes a price the shop does not charge, a discount it does not give
or a spec the product does not have is a costly mistake, and a model invents
them readily. :func:`check_claims` finds the checkable claims in a text and
looks each up in a :class:`FactSheet`:

* **prices**: an amount with a currency (``£599``, ``$50``, ``20 pounds``) must be
  a price in the facts, in the facts' currency;
* **percentages** (``10%``, ``15 percent``) must be in the facts;
* **discounts and offers** ("sale", "save", "20% off", "deal", "voucher") need
  an offer in the facts;
* **specs**: a number with a unit (``6.4-inch``, ``256 GB``, ``30 hours``) must
  be in the facts with the same unit; any other number must be in the facts;
* **absolute claims** ("cheapest", "best-selling", "#1", "guaranteed") must be
  in the facts;
* **the brand** is spelled as given: near misses (for a brand "Acmeline":
  "Acmline", "AcmeLine", "Acme line") are repaired, not rejected.

A sentence with an unsupported claim is dropped (:attr:`ClaimReport.text` is
what is left); :attr:`ClaimReport.unsupported` says what and why, so a caller
can reject the whole variant instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["price", "percentage", "discount", "spec", "number", "absolute"]

_CURRENCY_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR"}
_CURRENCY_WORDS = {
    "gbp": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "quid": "GBP",
    "usd": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "eur": "EUR",
    "euros": "EUR",
    "euro": "EUR",
}
_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?P<sym>[£$€])\s?(?P<a1>{_AMOUNT})"
    rf"|\b(?P<code>GBP|USD|EUR)\s?(?P<a2>{_AMOUNT})"
    rf"|(?<![\w.])(?P<a3>{_AMOUNT})\s?(?P<word>pounds?|quid|dollars?|euros?|GBP|USD|EUR)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(rf"(?<![\w.])(?P<a>{_AMOUNT})\s?(?:%|per\s?cent\b)", re.IGNORECASE)
_UNITS = {
    "gb": "gb",
    "tb": "tb",
    "mah": "mah",
    "inch": "inch",
    "inches": "inch",
    "in": "inch",
    '"': "inch",
    "mp": "mp",
    "megapixel": "mp",
    "megapixels": "mp",
    "hz": "hz",
    "kg": "kg",
    "g": "g",
    "hour": "hour",
    "hours": "hour",
    "hrs": "hour",
    "hr": "hour",
    "h": "hour",
    "w": "w",
    "watt": "w",
    "watts": "w",
    "mm": "mm",
    "k": "k",
    "day": "day",
    "days": "day",
    "year": "year",
    "years": "year",
    "month": "month",
    "months": "month",
    "minute": "minute",
    "minutes": "minute",
    "mins": "minute",
}
_SPEC = re.compile(
    rf"(?<![\w.])(?P<a>{_AMOUNT})\s?-?\s?(?P<unit>"
    + "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
    + r")(?![a-z])",
    re.IGNORECASE,
)
_NUMBER = re.compile(rf"(?<![\w.])(?P<a>{_AMOUNT})")
_OFFER = re.compile(
    r"(?<![\d.])(?:\d+(?:\.\d+)?\s?%|[£$€]\s?\d[\d,.]*)\s+off\b|\b(?:discount\w*|sale|sales|save|saving|savings|deal|"
    r"deals|bargain|half[- ]price|reduced|promo\w*|coupon|voucher|special offer|free gift|"
    r"clearance|limited[- ]time|cashback|bogof)\b",
    re.IGNORECASE,
)
_ABSOLUTE = re.compile(
    r"#\s?1\b|\b(?:number one|no\.\s?1|cheapest|lowest price|best[- ]selling|bestseller|"
    r"fastest|award[- ]winning|guaranteed|unbeatable|world'?s first)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")


def _amount(raw: str) -> float:
    return float(raw.replace(",", ""))


@dataclass(frozen=True)
class FactSheet:
    """What may be claimed about ``product``: sentences a person checked, in one currency."""

    product: str
    facts: tuple[str, ...]
    brand: str
    """The business's name, spelled as it must appear."""
    currency: str = "GBP"
    names: tuple[str, ...] = ()
    """Names whose digits are no claim ("Nova 8", "Pulse Band 2"); ``product`` is one."""
    price: float | None = None
    shop_facts: tuple[str, ...] = ()
    """The shop's own promises (delivery, returns), true of every product."""

    @property
    def text(self) -> str:
        return " ".join((*self.facts, *self.shop_facts))

    def _strip_names(self, text: str) -> str:
        for name in sorted({self.product, *self.names}, key=len, reverse=True):
            text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        return text

    @property
    def prices(self) -> frozenset[tuple[str, float]]:
        return frozenset(_money(self._strip_names(self.text), self.currency))

    @property
    def percentages(self) -> frozenset[float]:
        return frozenset(_amount(m["a"]) for m in _PERCENT.finditer(self.text))

    @property
    def specs(self) -> frozenset[tuple[float, str]]:
        text = self._strip_names(self.text)
        return frozenset((_amount(m["a"]), _UNITS[m["unit"].lower()]) for m in _SPEC.finditer(text))

    @property
    def numbers(self) -> frozenset[float]:
        return frozenset(_amount(m["a"]) for m in _NUMBER.finditer(self.text))

    @property
    def has_offer(self) -> bool:
        return bool(_OFFER.search(self.text))

    @property
    def absolutes(self) -> frozenset[str]:
        return frozenset(_norm_absolute(m.group()) for m in _ABSOLUTE.finditer(self.text))


def _norm_absolute(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text.lower().replace("#", "number ").replace("no.", "number"))


def _money(text: str, default_currency: str) -> Iterable[tuple[str, float]]:
    for m in _MONEY.finditer(text):
        if m["sym"]:
            yield _CURRENCY_SYMBOLS[m["sym"]], _amount(m["a1"])
        elif m["code"]:
            yield m["code"].upper(), _amount(m["a2"])
        else:
            yield _CURRENCY_WORDS.get(m["word"].lower(), default_currency), _amount(m["a3"])


@dataclass(frozen=True)
class Claim:
    kind: Kind
    text: str
    reason: str


@dataclass(frozen=True)
class ClaimReport:
    """The checked text: unsupported sentences dropped, the brand spelled right."""

    text: str
    unsupported: tuple[Claim, ...] = ()
    repairs: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.unsupported


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with adjacent swaps)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def repair_brand(text: str, brand: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with near misses of ``brand`` (one word) replaced by it, and the misses."""
    target = brand.lower()
    repairs: list[str] = []

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        joined = re.sub(r"[\s-]", "", word).lower()
        if word == brand or len(joined) < len(target) - 2:
            return word
        close = joined[:3] == target[:3] and _distance(joined, target) <= 2
        if joined == target or (close and joined == word.lower()):
            repairs.append(word)
            return brand
        return word

    first = re.escape(brand[: len(brand) // 2])
    pattern = re.compile(rf"\b{first}[\s-]?[A-Za-z]+\b|\b[A-Za-z]{{4,12}}\b", re.IGNORECASE)
    return pattern.sub(fix, text), tuple(repairs)


def claims_in(sentence: str, sheet: FactSheet) -> list[Claim]:
    """The claims in one sentence that the facts do not support."""
    bad: list[Claim] = []
    text = sheet._strip_names(sentence)
    prices = sheet.prices
    for m in _MONEY.finditer(text):
        (currency, amount) = next(iter(_money(m.group(), sheet.currency)))
        if (currency, amount) not in prices:
            why = "a price the facts do not give"
            if currency != sheet.currency:
                why = f"an amount in {currency}; prices are in {sheet.currency}"
            bad.append(Claim("price", m.group(), why))
    text = _MONEY.sub(" ", text)
    for m in _PERCENT.finditer(text):
        if _amount(m["a"]) not in sheet.percentages:
            bad.append(Claim("percentage", m.group(), "a percentage the facts do not give"))
    if not sheet.has_offer:
        for m in _OFFER.finditer(sentence):
            bad.append(Claim("discount", m.group(), "an offer the facts do not mention"))
    text = _PERCENT.sub(" ", text)
    specs = sheet.specs
    for m in _SPEC.finditer(text):
        if (_amount(m["a"]), _UNITS[m["unit"].lower()]) not in specs:
            bad.append(Claim("spec", m.group(), "a figure the facts do not give"))
    text = _SPEC.sub(" ", text)
    for m in _NUMBER.finditer(text):
        if _amount(m["a"]) not in sheet.numbers:
            bad.append(Claim("number", m.group(), "a number the facts do not give"))
    absolutes = sheet.absolutes
    for m in _ABSOLUTE.finditer(sentence):
        if _norm_absolute(m.group()) not in absolutes:
            bad.append(Claim("absolute", m.group(), "a claim the facts do not make"))
    return bad


def check_claims(text: str, sheet: FactSheet) -> ClaimReport:
    """``text`` checked against ``sheet``; see the module's docstring for the rules."""
    fixed, repairs = repair_brand(text, sheet.brand)
    kept: list[str] = []
    unsupported: list[Claim] = []
    for sentence in _SENTENCE.split(fixed.strip()):
        bad = claims_in(sentence, sheet)
        unsupported.extend(bad)
        if sentence and not bad:
            kept.append(sentence)
    return ClaimReport(text=" ".join(kept), unsupported=tuple(unsupported), repairs=repairs)
