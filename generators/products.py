"""Product facts from the catalogue: price, colours, stock and specs, by product name.

A knowledge base of prose is the wrong place for "how much is the Nova 8?":
the price is a field of ``data/catalog/products.yml``, and colours, priced
variants, specs and stock are fields of ``data/catalog/product_facts.yml``.
:class:`ProductCatalog` finds the product a message names, also written
without spaces or with a typo ("nova8", "novs 8 mini", "aerobok 14"; digits
must match, so "Nova 7" never becomes the Nova 8), tells which fact is asked
(:func:`fact_kind`), and states it from the catalogue (:meth:`ProductCatalog.answer`).
Anything else about a product (its warranty, returning it) is left to the
knowledge base.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from generators.errors import ModelLoadError
from generators.recommend import Product, load_products

FactKind = Literal["price", "colour", "stock", "spec", "overview"]
SOURCE_TITLE = "Product catalogue"
LOW_STOCK = 2

COLOURS = [
    "black",
    "white",
    "silver",
    "grey",
    "gray",
    "blue",
    "red",
    "green",
    "pink",
    "purple",
    "lavender",
    "orange",
    "yellow",
    "gold",
    "rose",
    "gold",
    "space",
    "grey",
    "navy",
    "teal",
]
_COLOUR = re.compile(r"\b(colou?rs?|" + "|".join(COLOURS) + r")\b", re.I)
_PRICE = re.compile(
    r"£|\b(price|prices|priced|cost|costs|pricey|expensive|cheap|cheaper|"
    r"how much\b)",
    re.I,
)
_STOCK = re.compile(
    r"\b(in stock|stock|stocked|available|availability|sold out|have (?:it|one|any|them)|"
    r"in (?:a |the |your |any )?(?:shop|store)s?|today|pick (?:it|one|them) up)\b",
    re.I,
)
_OVERVIEW = re.compile(
    r"\b(tell me (?:more )?about|info(?:rmation)? (?:on|about)|details (?:of|on|about)|describe)\b",
    re.I,
)
SPEC_WORDS: dict[str, tuple[str, ...]] = {
    "battery": ("battery", "last", "charge lasts", "hours"),
    "display": ("screen", "display", "inch", "size"),
    "camera": ("camera", "megapixel", "photo"),
    "storage": ("storage", "gb", "space", "ssd"),
    "memory": ("memory", "ram"),
    "weight": ("weigh", "heavy", "weight", "light"),
    "graphics": ("graphics", "gpu", "graphics card"),
    "water resistance": ("waterproof", "water", "sweat", "rain"),
    "noise cancelling": ("noise", "anc"),
    "5G": ("5g",),
    "GPS": ("gps",),
    "capacity": ("capacity", "mah"),
}
_SPEC_SENTENCES = {
    "battery": "The {name}'s battery lasts {value}.",
    "display": "The {name} has a {value} display.",
    "camera": "The {name} has a {value} camera.",
    "storage": "The {name} comes with {value} of storage.",
    "memory": "The {name} has {value} of memory.",
    "weight": "The {name} weighs {value}.",
    "graphics": "The {name} has {value}.",
    "water resistance": "The {name} is {value}.",
    "noise cancelling": "The {name} has {value}.",
    "5G": "Yes, the {name} supports 5G.",
    "GPS": "Yes, the {name} has GPS.",
    "capacity": "The {name} holds {value}.",
}
CATEGORY_NOUNS = {
    "phones": "phone",
    "laptops": "laptop",
    "headphones": "headphones",
    "tvs": "TV",
    "tablets": "tablet",
    "audio": "speaker",
    "wearables": "smartwatch",
    "accessories": "accessory",
}
_STORES = {"downtown": "Downtown", "riverside": "Riverside", "airport": "Airport"}


@dataclass(frozen=True)
class ProductFacts:
    id: str
    name: str
    category: str
    price: float
    description: str
    colours: tuple[str, ...] = ()
    variants: Mapping[str, float] = field(default_factory=dict)
    specs: Mapping[str, str] = field(default_factory=dict)
    stock: Mapping[str, int] = field(default_factory=dict)
    restock: str | None = None
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per language: ``name``, ``description`` (``products.yml``), ``restock``
    (``product_facts.yml``); each missing one is said as above."""
    translated_specs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per language, the ``specs`` values in its words (``translations: {zh: {specs:
    ...}}`` in ``product_facts.yml``)."""

    @property
    def citation(self) -> str:
        return f"{SOURCE_TITLE}: {self.name}"

    def name_in(self, language: str | None) -> str:
        return self.translations.get(language or "", {}).get("name") or self.name

    def description_in(self, language: str | None) -> str:
        return self.translations.get(language or "", {}).get("description") or self.description

    def restock_in(self, language: str | None) -> str | None:
        return self.translations.get(language or "", {}).get("restock") or self.restock

    def spec_in(self, language: str | None, key: str) -> str | None:
        """The ``key`` spec's value in ``language``'s words; None where it has none."""
        return self.translated_specs.get(language or "", {}).get(key)

    def names(self) -> list[str]:
        """The catalogue's name and each translated one."""
        translated = (t.get("name") for t in self.translations.values())
        return list(dict.fromkeys([self.name, *(n for n in translated if n)]))


@dataclass(frozen=True)
class ProductAnswer:
    product: ProductFacts
    kind: FactKind
    text: str


def money(value: float) -> str:
    return f"£{value:,.0f}" if value == int(value) else f"£{value:,.2f}"


def price_difference(first: ProductFacts, second: ProductFacts) -> str:
    """ "The Nova 8 Mini is £50 cheaper than the Nova 8." (list prices)."""
    if first.price == second.price:
        return f"The {first.name} and the {second.name} cost the same."
    cheap, dear = sorted((first, second), key=lambda p: p.price)
    return f"The {cheap.name} is {money(dear.price - cheap.price)} cheaper than the {dear.name}."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_HAN_WORD = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")


def _translations(product: Product, facts: Any) -> dict[str, dict[str, str]]:
    """``product``'s translated name and description with the facts' translated
    ``restock`` (``translations: {zh: {restock: 两周内}}`` in product_facts.yml)."""
    merged: dict[str, dict[str, str]] = {
        language: {k: v for k, v in text.model_dump().items() if v}
        for language, text in product.translations.items()
    }
    for language, extra in (facts or {}).items():
        if not isinstance(extra, Mapping) or not set(extra) <= {"restock", "specs"}:
            raise TypeError(
                f"translations.{language} may hold restock and specs only, got {extra!r} "
                "(names and descriptions are translated in products.yml)"
            )
        if "restock" in extra:
            merged.setdefault(str(language), {})["restock"] = str(extra["restock"])
    return merged


def _translated_specs(facts: Any) -> dict[str, dict[str, str]]:
    """``translations: {zh: {specs: {battery: 一整天}}}`` → {"zh": {"battery": "一整天"}}."""
    found: dict[str, dict[str, str]] = {}
    for language, extra in (facts or {}).items():
        specs = extra.get("specs") if isinstance(extra, Mapping) else None
        if specs is None:
            continue
        if not isinstance(specs, Mapping):
            raise TypeError(f"translations.{language}.specs must map spec names to values")
        found[str(language)] = {str(k): str(v) for k, v in specs.items()}
    return found


MAX_NAME_GAP = 3
"""Words allowed between the parts of a product name written apart ("protector for the Nova 8")."""


def _close_together(tokens: list[str], words: list[str]) -> list[frozenset[int]]:
    """Every set of positions in ``words`` holding all ``tokens`` with no gap over the limit."""
    occurrences = [[i for i, w in enumerate(words) if w == token] for token in tokens]
    if not all(occurrences):
        return []
    spans = []
    for combo in itertools.islice(itertools.product(*occurrences), 64):
        ordered = sorted(set(combo))
        if len(ordered) == len(tokens) and all(
            b - a - 1 <= MAX_NAME_GAP for a, b in itertools.pairwise(ordered)
        ):
            spans.append(frozenset(ordered))
    return spans


def fact_kind(text: str) -> FactKind | None:
    """Which catalogue fact ``text`` asks for, or ``None`` (a question for the knowledge base)."""
    lowered = text.lower()
    if _COLOUR.search(lowered):
        return "colour"
    if _STOCK.search(lowered):
        return "stock"
    spec = spec_key(lowered)
    if _PRICE.search(lowered) and not (spec and re.search(r"how much \w+", lowered)):
        return "price"
    if spec:
        return "spec"
    if _OVERVIEW.search(lowered):
        return "overview"
    return None


def asked_kinds(text: str) -> list[FactKind]:
    """Every simple fact ``text`` asks for (price, colour, stock), in that order."""
    lowered = text.lower()
    kinds: list[FactKind] = []
    if _PRICE.search(lowered) and not (spec_key(lowered) and re.search(r"how much \w+", lowered)):
        kinds.append("price")
    if _COLOUR.search(lowered):
        kinds.append("colour")
    if _STOCK.search(lowered):
        kinds.append("stock")
    return kinds


_NOT_A_CUE = re.compile(
    r"\blast\s+(?:week|month|year|night|time|order|one|few|couple|christmas|weekend)\b"
)
"""When "last" is a time ("bought it last week"), not how long a battery lasts."""


def spec_key(text: str) -> str | None:
    lowered = _NOT_A_CUE.sub(" ", text.lower())
    words = set(re.findall(r"[a-z0-9]+", lowered))
    for key, cues in SPEC_WORDS.items():
        if any((c in words) if " " not in c else (c in lowered) for c in cues) or any(
            w.startswith(c) for c in cues if len(c) > 4 for w in words
        ):
            return key
    return None


class ProductCatalog:
    """Products by id, found by name in free text, and their facts stated in words."""

    def __init__(self, products: list[ProductFacts], *, business: str | None = None) -> None:
        self.business = business
        self.products = {p.id: p for p in products}
        self._aliases = self._build_aliases(products)

    @classmethod
    def from_directory(
        cls, directory: Path | str, *, business: str | None = None
    ) -> ProductCatalog:
        """The catalogue in ``directory`` (``products.yml``, optional ``product_facts.yml``);
        ``business`` names the shops in replies ("<business> Downtown")."""
        folder = Path(directory)
        listed, _ = load_products(folder / "products.yml")
        facts_path = folder / "product_facts.yml"
        extra: dict[str, Any] = {}
        if facts_path.exists():
            try:
                extra = (yaml.safe_load(facts_path.read_text(encoding="utf-8")) or {}).get(
                    "products", {}
                )
            except (OSError, yaml.YAMLError, AttributeError) as e:
                raise ModelLoadError(
                    f"Could not read the product facts at {facts_path}: {e}.", path=facts_path
                ) from e
        products = []
        for p in listed:
            more = extra.get(p.id) or {}
            specs = more.get("specs") if isinstance(more, Mapping) else None
            empty = [k for k, v in specs.items() if v is None] if isinstance(specs, Mapping) else []
            if empty:
                raise ModelLoadError(
                    f"The specs of {p.id!r} in {facts_path} name {empty[0]!r} with no value; "
                    'a value with a comma must be quoted ("6.7-inch foldable, with a cover '
                    'screen"), or YAML reads what follows the comma as another spec.',
                    path=facts_path,
                )
            try:
                products.append(
                    ProductFacts(
                        id=p.id,
                        name=p.name,
                        category=p.category,
                        price=p.price,
                        description=p.description,
                        colours=tuple(str(c) for c in more.get("colours", ())),
                        variants={
                            str(k): float(v) for k, v in (more.get("variants") or {}).items()
                        },
                        specs={str(k): str(v) for k, v in (more.get("specs") or {}).items()},
                        stock={str(k): int(v) for k, v in (more.get("stock") or {}).items()},
                        restock=more.get("restock"),
                        translations=_translations(p, more.get("translations")),
                        translated_specs=_translated_specs(more.get("translations")),
                    )
                )
            except (TypeError, ValueError, AttributeError) as e:
                raise ModelLoadError(
                    f"The facts of {p.id!r} in {facts_path} are malformed ({e}); see the "
                    "comment at the top of that file for the format.",
                    path=facts_path,
                ) from e
        return cls(products, business=business)

    @staticmethod
    def _build_aliases(products: list[ProductFacts]) -> dict[str, str]:
        """Squashed name → id: full names, ids, and shorter forms (words left out, in order)
        that name one product only."""
        aliases: dict[str, str] = {}
        short: dict[str, set[str]] = {}
        for p in products:
            aliases[_squash(p.name)] = p.id
            aliases.setdefault(_squash(p.id), p.id)
            tokens = p.name.split()
            for n in range(2, len(tokens)):
                for part in itertools.combinations(tokens, n):  # "65W Charger", "Nova 8 Case"
                    short.setdefault(_squash(" ".join(part)), set()).add(p.id)
            if len(tokens) > 1 and not any(c.isdigit() for c in tokens[0]):
                short.setdefault(_squash(tokens[0]), set()).add(p.id)
        for alias, ids in short.items():
            if len(ids) == 1 and alias not in aliases and len(alias) >= 4:
                aliases[alias] = next(iter(ids))
        return aliases

    def find(self, text: str) -> ProductFacts | None:
        """The product ``text`` names best (see :meth:`find_all`), or ``None``."""
        named = self._named(text)
        return self.products[named[0][0]] if named else None

    def find_all(self, text: str) -> list[ProductFacts]:
        """The products ``text`` names, in the order it names them.

        All words of a name close together, in any order ("the screen
        protector for the Nova 8"), beat a squashed match ("nova8"), which
        beats a fuzzy one ("novs 8"); among equals the longer name wins, so
        "Nova 8 Mini" is not the Nova 8. Words far apart do not make a name
        ("the Slate 11 … with a pen" is not the Slate Pen), and a word that
        made one name is not reused for another, so "the Nova 8 and the Nova 8
        Mini" names both phones.
        """
        return [self.products[pid] for pid, _ in sorted(self._named(text), key=lambda n: n[1])]

    def _named(self, text: str) -> list[tuple[str, int]]:
        """(product id, first word position) of the names in ``text``, best match first.

        In a text with Chinese characters each character is a word, so a translated
        name ("Nova 8 透明保护壳") is found like an English one, and beats the
        shorter "Nova 8" it contains.
        """
        han = bool(_HAN.search(text))
        word = _HAN_WORD if han else _WORD
        words = word.findall(text.lower())
        candidates: list[tuple[tuple[int, int, float], frozenset[int], str]] = []
        for p in self.products.values():
            for name in p.names() if han else [p.name]:
                tokens = word.findall(name.lower())
                if len(tokens) > 1:
                    size = len(re.sub(r"\s+", "", name))
                    for span in _close_together(tokens, words):
                        candidates.append(((2, size, 1.0), span, p.id))
        for n in range(min(4, len(words)), 0, -1):
            for start in range(len(words) - n + 1):
                gram = "".join(words[start : start + n])
                if len(gram) < 4:
                    continue
                match = self._match(gram)
                if match is not None:
                    ratio, pid = match
                    positions = frozenset(range(start, start + n))
                    candidates.append(
                        ((1 if ratio == 1.0 else 0, len(gram), ratio), positions, pid)
                    )
        candidates.sort(key=lambda c: (c[0], min(c[1]) - max(c[1]), -min(c[1])), reverse=True)
        used: set[int] = set()
        found: dict[str, int] = {}
        for _, positions, pid in candidates:
            if positions & used:
                continue
            used |= positions
            found.setdefault(pid, min(positions))
        return list(found.items())

    def without_name(self, text: str, product: ProductFacts) -> str:
        """``text`` with the product's name replaced by what it is ("the Nova 8" → "phone").

        Policies are written per kind of product, so a model name only adds
        words that no policy contains.
        """
        noun = CATEGORY_NOUNS.get(product.category, product.category)
        tokens = set(re.findall(r"[a-z0-9]+", product.name.lower())) | {_squash(product.name)}
        kept: list[str] = []
        replaced = False
        for word in text.split():
            if _squash(word) and _squash(word) in tokens:
                if not replaced:
                    kept.append(noun)
                    replaced = True
                continue
            kept.append(word)
        return " ".join(kept) if replaced else f"{text} ({noun})"

    def _match(self, gram: str) -> tuple[float, str] | None:
        if gram in self._aliases:
            return 1.0, self._aliases[gram]
        if len(gram) < 5:
            return None
        digits = re.sub(r"\D", "", gram)
        found = None
        for alias, pid in self._aliases.items():
            if re.sub(r"\D", "", alias) != digits or abs(len(alias) - len(gram)) > 2:
                continue
            ratio = difflib.SequenceMatcher(None, gram, alias).ratio()
            if ratio >= 0.85 and (found is None or ratio > found[0]):
                found = (ratio, pid)
        return found

    def answer(self, product: ProductFacts, kind: FactKind, question: str) -> ProductAnswer:
        """``kind`` of fact about ``product`` in one or two sentences, from the catalogue only.

        A message that asks more than one fact ("how much is it and is it in
        stock?") gets the others too, after the one ``kind`` names.
        """
        facts = {
            "price": self._price,
            "colour": self._colour,
            "stock": self._stock,
            "spec": self._spec,
            "overview": self._overview,
        }
        lowered = question.lower()
        texts = [facts[kind](product, lowered)]
        for extra in asked_kinds(question):
            if extra == kind or (extra == "price" and money(product.price) in texts[0]):
                continue
            texts.append(facts[extra](product, lowered))
        return ProductAnswer(product, kind, " ".join(texts))

    @staticmethod
    def _price(p: ProductFacts, question: str) -> str:
        if p.variants:
            asked = [v for v in p.variants if _squash(v) in _squash(question)]
            if len(asked) == 1:
                return f"The {p.name} with {asked[0]} costs {money(p.variants[asked[0]])}."
            options = [f"{money(price)} with {v}" for v, price in p.variants.items()]
            return f"The {p.name} costs {_join(options)}."
        return f"The {p.name} costs {money(p.price)}."

    @staticmethod
    def _colour(p: ProductFacts, question: str) -> str:
        if not p.colours:
            return (
                f"I don't have the colour options of the {p.name}, I'm afraid; "
                f"it costs {money(p.price)}."
            )
        asked = [c for c in sorted(p.colours, key=len, reverse=True) if c in question]
        wanted = [c for c in COLOURS if re.search(rf"\b{c}\b", question) and c not in p.colours]
        others = [c for c in p.colours if c not in asked]
        if asked:
            rest = f" It also comes in {_join(others)}." if others else ""
            return f"Yes, the {p.name} comes in {asked[0]}.{rest}"
        if wanted:
            return (
                f"The {p.name} doesn't come in {wanted[0]}, I'm afraid: it comes in "
                f"{_join(list(p.colours))}."
            )
        return f"The {p.name} comes in {_join(list(p.colours))}."

    def _stock(self, p: ProductFacts, question: str) -> str:
        if not p.stock:
            return f"I can't see stock levels for the {p.name} right now."
        store = next((s for s in _STORES if s in question), None)
        if store is not None:
            units = p.stock.get(store, 0)
            where = f"{self.business} {_STORES[store]}" if self.business else _STORES[store]
            if units <= 0:
                elsewhere = [_STORES[s] for s in _STORES if p.stock.get(s, 0) > 0]
                alt = f"; {_join(elsewhere)} has it" if elsewhere else ""
                online = " and it is in stock online" if p.stock.get("online", 0) > 0 else ""
                return f"{where} has no {p.name} in stock right now{alt}{online}."
            few = " (only a few left)" if units <= LOW_STOCK else ""
            return f"Yes, {where} has the {p.name} in stock{few}."
        places = []
        if p.stock.get("online", 0) > 0:
            places.append("online")
        stores = [_STORES[s] for s in _STORES if p.stock.get(s, 0) > 0]
        if stores:
            places.append(f"in our {_join(stores)} store{'s' if len(stores) > 1 else ''}")
        if not places:
            when = f"; it should be back {p.restock}" if p.restock else ""
            return f"The {p.name} is out of stock online and in our stores right now{when}."
        missing = [_STORES[s] for s in _STORES if p.stock.get(s, 0) <= 0]
        note = f" (not at {_join(missing)} at the moment)" if missing and stores else ""
        online_note = "" if p.stock.get("online", 0) > 0 else " It is out of stock online."
        return f"The {p.name} is in stock {' and '.join(places)}{note}.{online_note}"

    @staticmethod
    def _spec(p: ProductFacts, question: str) -> str:
        key = spec_key(question)
        if key and key in p.specs:
            fact = _SPEC_SENTENCES[key].format(name=p.name, value=p.specs[key])
            return f"{fact} It costs {money(p.price)}."
        return f"The {p.name}: {p.description} It costs {money(p.price)}."

    @staticmethod
    def _overview(p: ProductFacts, question: str) -> str:
        colours = f" It comes in {_join(list(p.colours))}." if p.colours else ""
        return f"The {p.name}: {p.description} It costs {money(p.price)}.{colours}"
