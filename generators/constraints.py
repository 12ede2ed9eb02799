"""What a shopping request rules out: budget, category and use, parsed without a model.

A recommendation that breaks "under £1,000" is worse than none, so these are
hard constraints: the recommender filters on them before ranking and, when
nothing is left, says so instead of quietly relaxing them. "Cheap" or
"affordable" is only a preference (it favours lower prices, it caps nothing).

Uses ("for gaming", "for students") map to evidence in a product's own text,
so the same rule both filters and writes the reason ("powerful graphics for
gaming"). Everything here is plain functions over strings: no catalogue, no
model, so it is tested phrase by phrase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from generators import constraints_zh as zh

_SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD"}
_WORDS = {
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "gbp": "GBP",
    "euro": "EUR",
    "euros": "EUR",
    "eur": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "usd": "USD",
}
# A number followed by one of these measures something other than money.
_UNITS = (
    r"(?:inch(?:es)?|in\b|\"|hz|gb|tb|mb|mah|hours?|hrs?|h\b|kg|g\b|grams?|w\b|watts?|"
    r"mp|megapixels?|mm|cm|k\s*(?:hdr|tv|oled|display|screen)|fps|years?|months?|days?|"
    r"minutes?|mins?|percent|%|x\b)"
)
_AMOUNT = (
    r"(?P<{n}sym>[£€$])?\s*"
    r"(?P<{n}num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d{{1,3}}(?:\.\d{{3}})+(?![\d.])|\d+(?:\.\d+)?)\s*"
    r"(?P<{n}k>k\b|grand\b)?\s*(?P<{n}word>pounds?|quid|gbp|euros?|eur|dollars?|usd|[£€$])?"
)
_MAX_WORDS = (
    r"under|below|less than|cheaper than|lower than|max(?:imum)?|up to|upto|no more than|"
    r"not more than|not over|no higher than|at most|within|budget(?: is| of)?|"
    r"spend(?:ing)?(?: up to)?|<=?|for (?:about |around )?(?=[£€$])"
)
_MIN_WORDS = r"over|above|more than|at least|from|min(?:imum)?|>=?"
_MAX = re.compile(rf"(?:{_MAX_WORDS})\.?\s*:?\s*{_AMOUNT.format(n='a')}", re.I)
_MAX_AFTER = re.compile(
    rf"{_AMOUNT.format(n='a')}\s*"
    r"(?:max(?:imum)?|tops|at most|budget|or (?:less|under|below|cheaper))\b",
    re.I,
)
_MIN = re.compile(rf"(?<!no )(?<!not )(?:{_MIN_WORDS})\.?\s*:?\s*{_AMOUNT.format(n='a')}", re.I)
_RANGE = re.compile(
    rf"(?:between\s+)?{_AMOUNT.format(n='a')}\s*(?:-|\u2013|to|and)\s*{_AMOUNT.format(n='b')}", re.I
)
_BARE = re.compile(_AMOUNT.format(n="a"), re.I)
_CHEAP = re.compile(
    r"\b(?:cheap(?:est|er)?|affordable|inexpensive|budget|low[- ]cost|bargain|"
    r"good value|value for money|not too expensive)\b",
    re.I,
)

# Catalogue category → words a customer uses for it. Only categories the
# catalogue has are ever returned.
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "laptops": ("laptop", "notebook", "ultrabook", "chromebook", "macbook", "computer", "pc"),
    "phones": ("phone", "mobile", "smartphone", "handset", "cellphone", "cell phone"),
    "headphones": ("headphone", "earbud", "earphone", "headset", "buds", "in-ear", "over-ear"),
    "tvs": ("tv", "television", "telly", "smart tv"),
    "tablets": ("tablet", "ipad"),
    "audio": ("speaker", "soundbar", "sound bar"),
    "wearables": (
        "smartwatch",
        "smart watch",
        "sports watch",
        "fitness watch",
        "fitness band",
        "fitness tracker",
    ),
    "accessories": ("accessory", "accessories", "case", "charger", "cable", "mouse", "hub"),
}

# Words that name a need rather than a product ("better sound", "a watch"): they
# decide the category only when no product word does, or only the customer's own
# device does ("better sound from my tv" wants audio, not a TV).
_WATCH_NOUN = (
    r"(?<!\bto )(?<!\bi )(?<!\bwe )(?<!\bcan )(?<!\band )(?<!\bor )watch(?:es)?"
    r"(?!\s+(?:films?|movies?|tv|telly|netflix|shows?|series|football|sports?|videos?|"
    r"youtube|stuff|things|it|them|out)\b)"
)
NEED_WORDS: dict[str, tuple[str, ...]] = {
    "audio": (r"sound(?:s|ing)?", r"audio", r"music", r"bass", r"louder"),
    "wearables": (_WATCH_NOUN, r"step counter", r"activity tracker"),
}
# "my tv", "our laptop": a device the customer has, not the one they want.
_OWNED = re.compile(
    r"\b(?P<prep>for|with|from|on|to go with|to)?\s*\b(?:my|our|his|her|their)\s+"
    r"(?:old\s+|new\s+|current\s+|existing\s+)?$",
    re.I,
)


@dataclass(frozen=True)
class Feature:
    """A product attribute a customer can require ("OLED", "noise cancelling") and
    how a product's own text shows it."""

    name: str
    asked: re.Pattern[str]
    evidence: re.Pattern[str]


FEATURES: tuple[Feature, ...] = (
    Feature("OLED", re.compile(r"\boled\b", re.I), re.compile(r"\boled\b", re.I)),
    Feature(
        "4K",
        re.compile(
            r"\b4\s?k(?=\s*(?:hdr|smart|tvs?|telly|television|oled|screen|display|monitor|"
            r"resolution|streaming|video|films?|movies?|content)\b)|"
            r"\b(?:in|with|supports?|does) 4\s?k\b|\buhd\b|\bultra[- ]hd\b",
            re.I,
        ),
        re.compile(r"\b4k(?: hdr)?(?: smart)? (?:tv|display|screen|panel)\b", re.I),
    ),
    Feature("5G", re.compile(r"\b5g\b", re.I), re.compile(r"\b5g\b", re.I)),
    Feature(
        "noise cancelling",
        re.compile(r"\bnoise[- ]?cancel+(?:l?ing|ation)?\b|\banc\b", re.I),
        re.compile(r"\bnoise[- ]cancelling\b", re.I),
    ),
    Feature(
        "waterproofing",
        re.compile(r"\bwater ?proof\b|\bwater[- ]resistan(?:t|ce)\b", re.I),
        re.compile(r"\bwaterproof\b|\bwater[- ]resistan(?:t|ce)\b", re.I),
    ),
    Feature(
        "wireless",
        re.compile(r"\bwireless\b|\bbluetooth\b|\bcordless\b", re.I),
        re.compile(r"\bwireless\b|\bbluetooth\b", re.I),
    ),
    Feature("GPS", re.compile(r"\bgps\b", re.I), re.compile(r"\bgps\b", re.I)),
    Feature(
        "a folding design",
        re.compile(r"\bfold(?:able|ing)\b|\bflip phone\b", re.I),
        re.compile(r"\bfold(?:able|s)\b|\bflips\b", re.I),
    ),
    Feature(
        "a rugged build",
        re.compile(r"\brugged\b|\btough\b|\bdrop-?proof\b|\bshock-?proof\b", re.I),
        re.compile(r"\brugged\b|\bdrop-proof\b|\bshock-proof\b", re.I),
    ),
    Feature("a stylus", re.compile(r"\bstylus\b", re.I), re.compile(r"\bstylus\b", re.I)),
    Feature("Dolby Atmos", re.compile(r"\batmos\b", re.I), re.compile(r"\batmos\b", re.I)),
)


@dataclass(frozen=True)
class Use:
    """A purpose a customer names and the product text that serves it."""

    name: str
    asked: re.Pattern[str]
    evidence: re.Pattern[str]


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.I)


USES: tuple[Use, ...] = (
    Use(
        "gaming",
        _words(r"gam(?:e|es|ing?|er|ers|ming)", "esports", "fortnite", "steam"),
        _words(
            r"dedicated graphics(?: card)?",
            r"powerful graphics",
            r"\d+ hz (?:display|panel)",
            r"for (?:the latest |online )?(?:games|gaming)",
            r"gaming",
        ),
    ),
    Use(
        "photo and video editing",
        _words(
            r"(?:photo(?:graphy)?|video|film|movie)s? edit(?:ing|or)?",
            r"edit(?:ing)? (?:my |our |the |some )?"
            r"(?:photos?|pictures|videos?|films?|footage|vlogs?)",
            r"photoshop",
            r"lightroom",
            r"creative work",
        ),
        _words(r"dedicated graphics(?: card)?", r"video editing", r"photo work"),
    ),
    Use(
        "students",
        _words(
            r"students?", r"stud(?:y|ying)", r"school", r"college", r"uni(?:versity)?", "essays"
        ),
        _words(
            r"for students",
            r"work and study",
            r"long battery(?: life)?",
            r"up to \d+ hours of battery",
            r"light(?: [\d.]+ kg)?",
            r"notes",
            r"essays",
        ),
    ),
    Use(
        "running and the gym",
        _words(
            r"run(?:s|ning)?",
            r"jog(?:ging)?",
            r"gym",
            r"workouts?",
            r"sports?",
            "exercise",
            r"cycl(?:e|ing)",
            r"swim(?:s|ming)?",
            r"hik(?:e|es|ing)",
            r"training",
        ),
        _words(
            r"sweat-proof",
            r"secure fit",
            r"for running(?: and the gym)?",
            r"workouts?",
            r"water resistance",
            r"gps for runs",
        ),
    ),
    Use(
        "travel",
        _words(r"travel(?:l?ing)?", r"commut(?:e|ing)", r"flights?", r"trips?"),
        _words(r"noise cancelling", r"\d+-hour battery", r"for travel", r"compact", r"portable"),
    ),
    Use(
        "children",
        _words(r"kids?", r"child(?:ren)?", r"son", r"daughter", r"toddlers?"),
        _words(r"for children", r"volume-limited", r"parental controls", r"shock-proof"),
    ),
)


@dataclass(frozen=True)
class Constraints:
    """The hard limits of a request (and the one soft wish, ``prefer_cheap``)."""

    max_price: float | None = None
    min_price: float | None = None
    currency: str | None = None
    category: str | None = None
    uses: tuple[str, ...] = field(default_factory=tuple)
    prefer_cheap: bool = False
    features: tuple[str, ...] = field(default_factory=tuple)

    @property
    def any(self) -> bool:
        return bool(
            self.max_price is not None
            or self.min_price is not None
            or self.category
            or self.uses
            or self.features
        )

    @property
    def budget(self) -> bool:
        return self.max_price is not None or self.min_price is not None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for a slot (:meth:`from_dict` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> Constraints:
        raw = raw or {}
        return cls(
            max_price=raw.get("max_price"),
            min_price=raw.get("min_price"),
            currency=raw.get("currency"),
            category=raw.get("category"),
            uses=tuple(raw.get("uses") or ()),
            prefer_cheap=bool(raw.get("prefer_cheap")),
            features=tuple(raw.get("features") or ()),
        )

    def refined_by(self, later: Constraints) -> Constraints:
        """This request narrowed by a follow-up ("under 500 please"): what the later
        message states wins; a new category starts afresh except for the budget."""
        same = later.category is None or later.category == self.category
        return Constraints(
            max_price=later.max_price if later.budget else self.max_price,
            min_price=later.min_price if later.budget else self.min_price,
            currency=later.currency if later.budget else self.currency,
            category=later.category or self.category,
            uses=later.uses or (self.uses if same else ()),
            prefer_cheap=later.prefer_cheap or (self.prefer_cheap and same),
            features=later.features or (self.features if same else ()),
        )


def _amount(m: re.Match[str], n: str) -> tuple[float, str | None] | None:
    """The amount a match names, or None when it measures inches, hertz, gigabytes…"""
    rest = m.string[m.end() :]
    if not m.group(f"{n}word") and not m.group(f"{n}k") and re.match(rf"\s*{_UNITS}", rest, re.I):
        return None
    value = float(re.sub(r"[,.](?=\d{3}\b)", "", m.group(f"{n}num")))
    if m.group(f"{n}k"):
        value *= 1000
    symbol, word = m.group(f"{n}sym"), (m.group(f"{n}word") or "").lower()
    currency = _SYMBOLS.get(symbol or "") or _SYMBOLS.get(word) or _WORDS.get(word)
    return value, currency


def _is_money(m: re.Match[str], n: str) -> bool:
    return bool(m.group(f"{n}sym") or m.group(f"{n}word") or m.group(f"{n}k"))


def _after_model_name(m: re.Match[str]) -> bool:
    """ "Nova 8", "RTX 4060", "G15": a number glued to a name is not a price."""
    before = m.string[: m.start()]
    name = re.search(r"(\S+)\s?$", before)
    return bool(name and re.search(r"[A-Z0-9]", name.group(1))) and not m.group("asym")


def parse_budget(text: str, *, bare: bool = True) -> tuple[float | None, float | None, str | None]:
    """(min, max, currency) of the budget a message states; None where it states none.

    ``bare=False`` ignores a lone amount ("£30"), which only means a budget in a
    shopping request, not as the answer to some other question.
    """
    if zh.is_chinese(text):
        found = zh.parse_budget(text, bare=bare)
        if found != (None, None, None):
            return found
    text = re.sub(r"\ba (?=grand\b)", "1 ", text, flags=re.I)
    low = high = None
    currency = None
    for m in _RANGE.finditer(text):
        a, b = _amount(m, "a"), _amount(m, "b")
        if not a or not b or (_after_model_name(m) and not _is_money(m, "b")):
            continue
        if not (_is_money(m, "a") or _is_money(m, "b") or min(a[0], b[0]) >= 10):
            continue
        low, high = sorted((a[0], b[0]))
        currency = a[1] or b[1]
        return low, high, currency
    for m in [*_MAX.finditer(text), *_MAX_AFTER.finditer(text)]:
        a = _amount(m, "a")
        if a:
            high = a[0] if high is None else min(high, a[0])
            currency = currency or a[1]
    for m in _MIN.finditer(text):
        a = _amount(m, "a")
        if a and (_is_money(m, "a") or (a[0] >= 50 and not re.match(r"from\b", m[0], re.I))):
            low = a[0] if low is None else max(low, a[0])
            currency = currency or a[1]
    if high is None and low is None and bare:
        for m in _BARE.finditer(text):
            a = _amount(m, "a")
            if a and m.group("asym"):
                return None, a[0], a[1]
    return low, high, currency


def parse_category(text: str, categories: Iterable[str]) -> str | None:
    """The catalogue category the message asks for, by name, synonym or need.

    The first product word wins, unless it names the customer's own device ("my
    tv"): then a need ("better sound") or another product word decides; "for my
    phone" with nothing else asks for an accessory.
    """
    known = set(categories)
    if zh.is_chinese(text) and (chinese := zh.parse_category(text, known)):
        return chinese
    wanted: list[tuple[int, str]] = []
    owned: list[tuple[int, str, bool]] = []
    patterns = [
        (category, rf"\b{re.escape(word)}(?:e?s)?\b")
        for category, synonyms in CATEGORY_SYNONYMS.items()
        if category in known
        for word in (category, *synonyms)
    ]
    patterns += [
        (category, rf"\b{re.escape(category.removesuffix('s'))}s?\b")
        for category in known - CATEGORY_SYNONYMS.keys()
    ]
    for category, pattern in patterns:
        for m in re.finditer(pattern, text, re.I):
            mine = _OWNED.search(text[: m.start()])
            if mine:
                owned.append((m.start(), category, bool(mine.group("prep"))))
            else:
                wanted.append((m.start(), category))
    if wanted:
        return min(wanted)[1]
    needs = [
        (need.start(), category)
        for category, words in NEED_WORDS.items()
        if category in known
        for word in words
        if (need := re.search(rf"\b{word}\b", text, re.I))
    ]
    if needs:
        return min(needs)[1]
    if owned:
        first = min(owned)
        return "accessories" if first[2] and "accessories" in known else first[1]
    return None


def parse_features(text: str) -> tuple[str, ...]:
    """The attributes a request requires ("OLED", "noise cancelling")."""
    found = [f.name for f in FEATURES if f.asked.search(text)]
    if zh.is_chinese(text):
        found += [name for name in zh.parse_features(text) if name not in found]
        if "5G" in found and "5G" not in zh.parse_features(text):
            found.remove("5G")
    return tuple(found)


def parse_uses(text: str) -> tuple[str, ...]:
    found = [u.name for u in USES if u.asked.search(text)]
    if zh.is_chinese(text):
        found += [name for name in zh.parse_uses(text) if name not in found]
    return tuple(found)


def parse_constraints(text: str, categories: Iterable[str] = ()) -> Constraints:
    """Everything a request rules out. ``categories`` are the catalogue's category names."""
    low, high, currency = parse_budget(text)
    without_budget = _MAX_AFTER.sub(" ", _MAX.sub(" ", text))
    return Constraints(
        max_price=high,
        min_price=low,
        currency=currency,
        category=parse_category(text, categories),
        uses=parse_uses(text),
        prefer_cheap=bool(_CHEAP.search(_strip_budget_word(without_budget)))
        or (zh.is_chinese(text) and zh.prefers_cheap(text)),
        features=parse_features(text),
    )


def carried_budget(
    history: Iterable[str], categories: Iterable[str] = (), *, category: str | None = None
) -> Constraints | None:
    """The budget stated in an earlier message, for a request that states none.

    ``history`` is the customer's earlier messages, newest first. Only a stated
    budget counts ("my budget is 500", "nothing over £400"), never a bare amount;
    the newest one wins, and one stated for another category is not carried over.
    """
    known = list(categories)
    for text in history:
        low, high, currency = parse_budget(text, bare=False)
        if low is None and high is None:
            continue
        said_for = parse_category(text, known)
        if said_for and category and said_for != category:
            return None
        return Constraints(max_price=high, min_price=low, currency=currency)
    return None


def _strip_budget_word(text: str) -> str:
    return re.sub(r"\bbudget\s+(?:of|is)\b", " ", text, flags=re.I)


def evidence(use: str, text: str) -> list[str]:
    """The phrases of a product's text that serve ``use`` (or show a feature)."""
    rules: tuple[Use | Feature, ...] = (*USES, *FEATURES)
    rule = next((u for u in rules if u.name == use), None)
    if rule is None:
        return []
    found: dict[str, str] = {}
    for m in rule.evidence.finditer(text):
        found.setdefault(m.group(0).lower(), m.group(0))
    return list(found.values())


def money(amount: float, currency: str = "GBP") -> str:
    symbol = {v: k for k, v in _SYMBOLS.items()}.get(currency)
    return f"{symbol}{amount:,.0f}" if symbol else f"{amount:,.0f} {currency}"


def misses(c: Constraints, *, price: float, text: str, currency: str = "GBP") -> list[str]:
    """How a product falls outside the request, in words; empty when it fits.

    The category is not checked here: the recommender never leaves it.
    """
    out = []
    if c.max_price is not None and price > c.max_price:
        over = money(price - c.max_price, currency)
        out.append(f"{over} over your {money(c.max_price, currency)} budget")
    if c.min_price is not None and price < c.min_price:
        out.append(f"under your {money(c.min_price, currency)} minimum")
    out += [f"not made for {use}" for use in c.uses if not evidence(use, text)]
    out += [f"without {feature}" for feature in c.features if not evidence(feature, text)]
    return out


def reason(
    c: Constraints, *, price: float, text: str, summary: str = "", currency: str = "GBP"
) -> str:
    """One line citing the product's own attributes that answer the request.

    ``text`` is searched for evidence of each use; ``summary`` (the description)
    gives the opening clause when the request names no use.
    """
    price_part = money(price, currency)
    if c.max_price is not None and price <= c.max_price:
        price_part += f", within your {money(c.max_price, currency)} budget"
    features = []
    for use in c.uses:
        found = evidence(use, text)
        topic = [w for w in use.split() if len(w) > 3]
        specific = [f for f in found if not any(w in f.lower() for w in topic)] or found
        plain = [f for f in specific if not f.lower().startswith("for ")]
        if plain:
            features.append(f"{' and '.join(plain[:2])} for {use}")
        elif specific:
            features.append(specific[0])
    for feature in c.features:
        features += evidence(feature, text)[:1]
    if not features:
        features.append(_lead(summary or text))
    missed = misses(c, price=price, text=text, currency=currency)
    if missed:
        return f"{money(price, currency)}, {'; '.join(missed)}: {'; '.join(features)}"
    return f"{price_part}: {'; '.join(features)}"


def _lead(text: str) -> str:
    """The opening clause of a product description: what the product is."""
    first = re.split(r"[.:;]|,| with | for ", text, maxsplit=1)[0].strip()
    return first[:1].lower() + first[1:80] if first else text[:80]


def headline(c: Constraints, currency: str = "GBP") -> str:
    """ "laptops for gaming under £1,000": the request, to say honestly that nothing fits."""
    what = c.category or "products"
    if c.features:
        what += " with " + " and ".join(c.features)
    if c.uses:
        what += " for " + " and ".join(c.uses)
    if c.min_price is not None and c.max_price is not None:
        what += f" between {money(c.min_price, currency)} and {money(c.max_price, currency)}"
    elif c.max_price is not None:
        what += f" under {money(c.max_price, currency)}"
    elif c.min_price is not None:
        what += f" over {money(c.min_price, currency)}"
    return what
