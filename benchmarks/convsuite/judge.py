"""One turn judged: the bot's REST reply and the tracker against the turn's expectations.

Pure functions, no network: :func:`judge_turn` takes what the runner observed
(:class:`Observation`) and returns a :class:`Verdict`. A turn is *helpful*
only when every expectation holds and the bot said something (or, when a
person has the conversation, stayed quiet as expected).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from benchmarks.convsuite.schema import Constraint, Expect, Turn

CATALOG = Path(__file__).resolve().parents[2] / "data" / "catalog" / "products.yml"
CONTACT_FORM = "contact_form"

# Words with which a reply says that what is shown falls outside the request,
# or that nothing fits: a product on such a line is "the closest", not a violation.
NO_FIT = re.compile(
    r"\b(nothing|closest|none|no \w+ (?:under|below|within|for|that)|over (?:your|the) budget|"
    r"above (?:your|the) budget|outside|(?:doesn'?t|does not|don'?t|do not|won'?t) (?:fit|match)|"
    r"(?:don'?t|do not) have|(?:couldn'?t|could not|can'?t|cannot) find|more than your|"
    r"over £|above £|slightly over|a bit over|stretch)\b"
    # Chinese: no word boundaries
    r"|没有符合|没有合适|最接近|不符合|超出[^。]*预算|超过[^。]*预算|找不到|没找到"
)


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    category: str
    price: float


def load_catalog(path: Path = CATALOG) -> tuple[Product, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Product(str(p["id"]), str(p["name"]), str(p["category"]), float(p["price"]))
        for p in raw["products"]
    )


@dataclass(frozen=True)
class Observation:
    """What one customer turn produced."""

    messages: Sequence[Mapping[str, Any]]  # Rasa's REST reply
    tracker: Mapping[str, Any]  # the conversation's tracker after the turn
    paused_before: bool = False  # a person had the conversation when the customer wrote
    latency_ms: float = 0.0


@dataclass(frozen=True)
class Verdict:
    helpful: bool
    failures: tuple[str, ...]
    silent: bool  # no bot message although the bot had the conversation
    fact_ok: bool | None  # None: not a knowledge question
    violations: tuple[str, ...]  # shown products that break the stated constraint
    reply_type: str
    shown: tuple[str, ...] = field(default=())  # product ids the reply showed


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, no thousands separators, single spaces."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return " ".join(text.split())


def says(text: str, phrase: str) -> bool:
    """``phrase`` in the normalised ``text``, starting at a word and not inside a number.

    "pen" is not found in "open", "hi" not in "this", "£2" not in "£29", "18" not
    in "180"; a stem still finds its endings ("store" in "stores", "apologi" in
    "apologise").
    """
    wanted = normalise(phrase)
    pattern = re.escape(wanted)
    if wanted[:1].isalnum():
        pattern = r"(?<![a-z0-9])" + pattern
    if wanted[-1:].isdigit():
        pattern += r"(?![0-9])"
    return re.search(pattern, text) is not None


def _strings_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings_in(v)


def reply_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """Everything the customer reads: message texts and the strings of cards."""
    parts = [str(m.get("text") or "") for m in messages]
    parts += [s for m in messages if m.get("custom") for s in _strings_in(m["custom"])]
    return "\n".join(p for p in parts if p)


def cards(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [m["custom"] for m in messages if isinstance(m.get("custom"), Mapping)]


def buttons(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [b for m in messages for b in (m.get("buttons") or []) if isinstance(b, Mapping)]


def is_silent(messages: Sequence[Mapping[str, Any]]) -> bool:
    return not any(
        str(m.get("text") or "").strip() or m.get("custom") or m.get("image") or m.get("buttons")
        for m in messages
    )


def _same(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or str(expected).lower() == str(actual).lower()
    if isinstance(expected, int | float):
        try:
            return abs(float(actual) - float(expected)) < 1e-6
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str):
        return isinstance(actual, str) and normalise(expected) == normalise(actual)
    return bool(expected == actual)


def _at(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def active_loop(tracker: Mapping[str, Any]) -> str | None:
    loop = tracker.get("active_loop") or {}
    name = loop.get("name") if isinstance(loop, Mapping) else None
    return str(name) if name else None


def handed_off(messages: Sequence[Mapping[str, Any]], tracker: Mapping[str, Any]) -> bool:
    """A person was asked for: the handoff card, a paused conversation, or contact details asked.

    A handoff card whose state is ``bot`` says the opposite: the conversation is back
    with the bot (the customer cancelled, or an agent gave it back)."""
    return (
        any(c.get("type") == "handoff" and c.get("state") != "bot" for c in cards(messages))
        or bool(tracker.get("paused"))
        or active_loop(tracker) == CONTACT_FORM
    )


# The bot's actions in a turn, most telling first, to the reply type used for latency.
_TYPE_RULES: tuple[tuple[str, str], ...] = (
    (r"handoff|leave_contact|contact_form", "handoff"),
    (r"recommend", "recommendation"),
    (r"order", "order"),
    (r"marketing|copy", "marketing"),
    (r"answer|fact|knowledge|product_info|product_detail", "knowledge"),
    (r"store_hours", "store"),
    (
        r"_form$|^validate_|precheck|action_mobile_plan|action_savings_plan|abandon|"
        r"_intro$|explain_credit",
        "form",
    ),
    (r"fallback|silence|clarify|rephrase", "fallback"),
    (r"^utter_|remember_name|recall_name", "smalltalk"),
)


def turn_actions(tracker: Mapping[str, Any]) -> list[str]:
    """The actions the bot ran after the customer's latest message."""
    events = list(tracker.get("events") or [])
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return [
        str(e.get("name"))
        for e in events[last_user + 1 :]
        if e.get("event") == "action" and e.get("name") not in (None, "action_listen")
    ]


def reply_type(tracker: Mapping[str, Any], *, paused_before: bool = False) -> str:
    if paused_before:
        return "paused"
    actions = turn_actions(tracker)
    for pattern, kind in _TYPE_RULES:
        if any(re.search(pattern, a) for a in actions):
            return kind
    return "other" if actions else "none"


def shown_products(
    messages: Sequence[Mapping[str, Any]], catalog: Sequence[Product]
) -> list[tuple[Product, bool]]:
    """Products the reply presents, each with whether it is presented as fitting.

    From the ``recommendations`` card when there is one (its ``fits`` flag);
    otherwise catalogue names found in the text, where a line that says the item
    is outside the request (:data:`NO_FIT`) presents it as "the closest".
    """
    by_id = {p.id: p for p in catalog}
    for card in cards(messages):
        if card.get("type") == "recommendations":
            items = _at(card, "data.items") or []
            shown = []
            for item in items:
                product = by_id.get(str(item.get("product_id"))) or Product(
                    str(item.get("product_id")),
                    str(item.get("name")),
                    str(item.get("category")),
                    float(item.get("price") or 0),
                )
                shown.append((product, item.get("fits", True) is not False))
            return shown
    found: list[tuple[Product, bool]] = []
    names = sorted(catalog, key=lambda p: len(p.name), reverse=True)
    for line in "\n".join(str(m.get("text") or "") for m in messages).splitlines():
        low = normalise(line)
        honest = bool(NO_FIT.search(low))
        for product in names:
            pattern = rf"(?<![\w-]){re.escape(normalise(product.name))}(?![\w-])"
            if re.search(pattern, low) and all(p.id != product.id for p, _ in found):
                found.append((product, not honest))
                low = re.sub(pattern, " ", low)
    return found


def breaks(product: Product, constraint: Constraint) -> list[str]:
    """How ``product`` breaks ``constraint``, in words (empty: it fits)."""
    why = []
    if constraint.max_price is not None and product.price > constraint.max_price + 1e-6:
        why.append(f"£{product.price:g} > max £{constraint.max_price:g}")
    if constraint.min_price is not None and product.price < constraint.min_price - 1e-6:
        why.append(f"£{product.price:g} < min £{constraint.min_price:g}")
    if constraint.categories and product.category not in constraint.categories:
        why.append(f"category {product.category} not in {list(constraint.categories)}")
    if constraint.ids and product.id not in constraint.ids:
        why.append(f"not one of {list(constraint.ids)} (the stated use)")
    return why


def fitting(catalog: Sequence[Product], constraint: Constraint) -> list[Product]:
    return [p for p in catalog if not breaks(p, constraint)]


def _check_constraint(
    constraint: Constraint, messages: Sequence[Mapping[str, Any]], catalog: Sequence[Product]
) -> tuple[list[str], list[str], list[str]]:
    """(failures, violations, shown ids) of a recommendation turn."""
    shown = shown_products(messages, catalog)
    violations = [
        f"{p.name}: {'; '.join(why)}"
        for p, as_fit in shown
        if as_fit and (why := breaks(p, constraint))
    ]
    failures = [f"shows {v}" for v in violations]
    if fitting(catalog, constraint):
        if not any(as_fit and not breaks(p, constraint) for p, as_fit in shown):
            failures.append("shows no product that fits although the catalogue has some")
    elif not violations and not NO_FIT.search(normalise(reply_text(messages))):
        failures.append("nothing in the catalogue fits, and the reply does not say so")
    return failures, violations, [p.id for p, _ in shown]


def _button_matches(button: Mapping[str, Any], wanted: str) -> bool:
    w = normalise(wanted)
    return w in normalise(str(button.get("payload") or "")) or w in normalise(
        str(button.get("title") or "")
    )


def judge_turn(turn: Turn, seen: Observation, catalog: Sequence[Product]) -> Verdict:
    """Every expectation of ``turn`` checked against what was observed."""
    e: Expect = turn.expect
    messages, tracker = seen.messages, seen.tracker
    text = normalise(reply_text(messages))
    silent_reply = is_silent(messages)
    failures: list[str] = []
    violations: list[str] = []
    shown: list[str] = []

    silent = silent_reply and not seen.paused_before and not e.silent
    if e.silent:
        if not silent_reply:
            failures.append("expected no bot message (a person has the conversation)")
    elif silent_reply:
        failures.append(
            "no bot message" + (" (a person had the conversation)" if seen.paused_before else "")
        )

    fact_ok: bool | None = None
    if e.fact:
        fact_ok = any(says(text, f) for f in e.fact)
        if not fact_ok:
            failures.append(f"fact missing: none of {list(e.fact)}")
    if e.contains_any and not any(says(text, s) for s in e.contains_any):
        failures.append(f"contains none of {list(e.contains_any)}")
    missing = [s for s in e.contains_all if not says(text, s)]
    if missing:
        failures.append(f"missing {missing}")
    present = [s for s in e.not_contains if says(text, s)]
    if present:
        failures.append(f"must not say {present}")
    if e.regex and not re.search(e.regex, text):
        failures.append(f"does not match /{e.regex}/")

    offered = buttons(messages)
    if e.buttons_any and not any(_button_matches(b, w) for b in offered for w in e.buttons_any):
        failures.append(f"no button like {list(e.buttons_any)}")
    bad = [w for w in e.no_buttons if any(_button_matches(b, w) for b in offered)]
    if bad:
        failures.append(f"offers button(s) {bad}")

    shown_cards = cards(messages)
    if e.card:
        typed = [c for c in shown_cards if c.get("type") == e.card.type]
        if not typed:
            failures.append(f"no {e.card.type} card")
        for path, want in e.card.fields.items():
            if typed and not any(_same(want, _at(c, path)) for c in typed):
                failures.append(f"card {path} is {_at(typed[0], path)!r}, expected {want!r}")
    unwanted = [t for t in e.no_card if any(c.get("type") == t for c in shown_cards)]
    if unwanted:
        failures.append(f"shows a {unwanted} card")

    slots = tracker.get("slots") or {}
    for name, want in e.slots.items():
        if not _same(want, slots.get(name)):
            failures.append(f"slot {name} is {slots.get(name)!r}, expected {want!r}")
    loop = active_loop(tracker)
    if e.active_loop_given and loop != e.active_loop:
        failures.append(f"active form is {loop!r}, expected {e.active_loop!r}")
    if loop and loop in e.not_active_loop:
        failures.append(f"started/kept the form {loop!r}")
    if e.handoff is not None and handed_off(messages, tracker) != e.handoff:
        failures.append("no handoff to a person" if e.handoff else "handed over to a person")

    if e.constraint:
        more, violations, shown = _check_constraint(e.constraint, messages, catalog)
        failures += more

    return Verdict(
        helpful=not failures,
        failures=tuple(failures),
        silent=silent,
        fact_ok=fact_ok,
        violations=tuple(violations),
        reply_type=reply_type(tracker, paused_before=seen.paused_before),
        shown=tuple(shown),
    )


def excerpt(messages: Sequence[Mapping[str, Any]], limit: int = 300) -> str:
    """The reply as one short line, for failure listings."""
    text = " | ".join(str(m.get("text") or "") for m in messages if m.get("text"))
    kinds = [str(c.get("type")) for c in cards(messages)]
    if kinds:
        text += f" [cards: {', '.join(kinds)}]"
    if buttons(messages):
        text += " [buttons: " + ", ".join(str(b.get("title")) for b in buttons(messages)) + "]"
    return text if len(text) <= limit else text[: limit - 1] + "…"
