"""Conversation files: the schema, loaded and checked with errors that name the place.

A file holds a default ``category`` and a list of ``conversations``; each
conversation has an ``id`` (unique in the suite) and ``turns`` (or, for a
one-turn conversation, ``user`` and ``expect`` directly). Each turn is what
the customer writes and what a helpful reply must do (:class:`Expect`).
Files under a ``heldout`` folder form the held-out split. The full
description is docs/conversations.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SUITE_DIR = Path(__file__).resolve().parents[2] / "tests" / "conversations"
HELDOUT_DIR_NAME = "heldout"

CATEGORIES = (
    "smalltalk",
    "knowledge",
    "product_facts",
    "recommendation",
    "plan_advice",
    "savings_plan",
    "credit",
    "order_status",
    "marketing_refusal",
    "handoff",
    "languages",
    "silence",
    "chinese",
)
CONSTRAINT_KEYS = frozenset({"max_price", "min_price", "category", "ids"})
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class SuiteError(ValueError):
    """A conversation file does not follow the schema; the message names file, id and turn."""


@dataclass(frozen=True)
class Constraint:
    """What every recommended product must satisfy (docs/conversations.md)."""

    max_price: float | None = None
    min_price: float | None = None
    categories: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()  # the products that fit a stated use ("gaming"), if any


@dataclass(frozen=True)
class CardSpec:
    type: str
    fields: Mapping[str, Any] = field(default_factory=dict)  # dotted path under the card → value


@dataclass(frozen=True)
class Expect:
    """What a helpful reply to one turn does. Every given check must hold."""

    fact: tuple[str, ...] = ()
    contains_any: tuple[str, ...] = ()
    contains_all: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    regex: str | None = None
    buttons_any: tuple[str, ...] = ()
    no_buttons: tuple[str, ...] = ()
    card: CardSpec | None = None
    no_card: tuple[str, ...] = ()
    slots: Mapping[str, Any] = field(default_factory=dict)
    active_loop: str | None = None
    active_loop_given: bool = False  # "active_loop: null" (no form) differs from not given
    not_active_loop: tuple[str, ...] = ()
    handoff: bool | None = None
    silent: bool = False
    constraint: Constraint | None = None


@dataclass(frozen=True)
class Turn:
    user: str
    expect: Expect
    digression: bool = False  # a question asked while a form waits for an answer


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    turns: tuple[Turn, ...]
    heldout: bool
    source: str
    tags: tuple[str, ...] = ()


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(i, str) and i.strip() for i in items)
    ):
        raise SuiteError(f"{where}: '{key}' must be a non-empty string or list of strings.")
    return tuple(items)


def _constraint(value: Any, where: str) -> Constraint:
    if not isinstance(value, dict) or not value:
        raise SuiteError(f"{where}: 'constraint' must be a mapping, e.g. {{max_price: 1000}}.")
    unknown = set(value) - CONSTRAINT_KEYS
    if unknown:
        raise SuiteError(
            f"{where}: unknown constraint key(s) {sorted(unknown)}; use {sorted(CONSTRAINT_KEYS)}."
        )
    prices: dict[str, float | None] = {}
    for key in ("max_price", "min_price"):
        number = value.get(key)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            raise SuiteError(f"{where}: constraint '{key}' must be a number, not {number!r}.")
        prices[key] = float(number) if number is not None else None
    categories = _strings(value["category"], where, "category") if "category" in value else ()
    ids = _strings(value["ids"], where, "ids") if "ids" in value else ()
    return Constraint(prices["max_price"], prices["min_price"], categories, ids)


def _card(value: Any, where: str) -> CardSpec:
    if isinstance(value, str) and value.strip():
        return CardSpec(type=value)
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        fields = value.get("fields") or {}
        extra = set(value) - {"type", "fields"}
        if not isinstance(fields, dict) or extra:
            raise SuiteError(f"{where}: 'card' takes 'type' and an optional 'fields' mapping.")
        return CardSpec(type=value["type"], fields=dict(fields))
    raise SuiteError(f"{where}: 'card' must be a card type or {{type: ..., fields: {{...}}}}.")


EXPECT_KEYS = frozenset(
    {
        "fact",
        "contains_any",
        "contains_all",
        "not_contains",
        "regex",
        "buttons_any",
        "no_buttons",
        "card",
        "no_card",
        "slots",
        "active_loop",
        "not_active_loop",
        "handoff",
        "silent",
        "constraint",
    }
)


def parse_expect(value: Any, where: str) -> Expect:
    """One turn's ``expect`` mapping; at least one check is required."""
    if not isinstance(value, dict) or not value:
        raise SuiteError(
            f"{where}: 'expect' must be a non-empty mapping of checks "
            f"({', '.join(sorted(EXPECT_KEYS))})."
        )
    unknown = set(value) - EXPECT_KEYS
    if unknown:
        raise SuiteError(
            f"{where}: unknown expectation(s) {sorted(unknown)}; known: {sorted(EXPECT_KEYS)}."
        )
    kwargs: dict[str, Any] = {}
    for key in (
        "fact",
        "contains_any",
        "contains_all",
        "not_contains",
        "buttons_any",
        "no_buttons",
        "no_card",
        "not_active_loop",
    ):
        if key in value:
            kwargs[key] = _strings(value[key], where, key)
    if "regex" in value:
        try:
            re.compile(value["regex"])
        except (re.error, TypeError) as e:
            raise SuiteError(f"{where}: 'regex' {value['regex']!r} does not compile: {e}.") from e
        kwargs["regex"] = value["regex"]
    if "card" in value:
        kwargs["card"] = _card(value["card"], where)
    if "slots" in value:
        if not isinstance(value["slots"], dict) or not value["slots"]:
            raise SuiteError(f"{where}: 'slots' must be a mapping of slot name to value.")
        kwargs["slots"] = dict(value["slots"])
    if "active_loop" in value:
        loop = value["active_loop"]
        if loop is not None and not isinstance(loop, str):
            raise SuiteError(f"{where}: 'active_loop' must be a form name or null.")
        kwargs["active_loop"], kwargs["active_loop_given"] = loop, True
    for key in ("handoff", "silent"):
        if key in value:
            if not isinstance(value[key], bool):
                raise SuiteError(f"{where}: '{key}' must be true or false.")
            kwargs[key] = value[key]
    if kwargs.get("silent") is False:
        raise SuiteError(f"{where}: 'silent: false' is the default; leave it out.")
    if "constraint" in value:
        kwargs["constraint"] = _constraint(value["constraint"], where)
    return Expect(**kwargs)


def _turn(value: Any, where: str) -> Turn:
    if not isinstance(value, dict):
        raise SuiteError(f"{where}: a turn must be a mapping with 'user' and 'expect'.")
    unknown = set(value) - {"user", "expect", "digression"}
    if unknown:
        raise SuiteError(f"{where}: unknown turn key(s) {sorted(unknown)}.")
    user = value.get("user")
    if not isinstance(user, str) or not user.strip():
        hint = (
            ' (YAML reads unquoted numbers and yes/no/on/off as values: quote them, user: "500")'
            if isinstance(user, bool | int | float)
            else ""
        )
        raise SuiteError(
            f"{where}: 'user' must be the customer's message (a non-empty string){hint}."
        )
    digression = value.get("digression", False)
    if not isinstance(digression, bool):
        raise SuiteError(f"{where}: 'digression' must be true or false.")
    return Turn(user=user, expect=parse_expect(value.get("expect"), where), digression=digression)


def parse_conversation(
    value: Any, *, default_category: str | None, heldout: bool, source: str, index: int
) -> Conversation:
    where = f"{source}: conversation #{index + 1}"
    if not isinstance(value, dict):
        raise SuiteError(f"{where}: must be a mapping with 'id' and 'turns'.")
    cid = value.get("id")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise SuiteError(f"{where}: 'id' must be lower-case letters, digits, '-', '_' or '.'.")
    where = f"{source}: {cid}"
    unknown = set(value) - {"id", "category", "tags", "turns", "user", "expect", "digression"}
    if unknown:
        raise SuiteError(f"{where}: unknown key(s) {sorted(unknown)}.")
    category = value.get("category", default_category)
    if category not in CATEGORIES:
        raise SuiteError(f"{where}: category {category!r} is not one of {list(CATEGORIES)}.")
    if "turns" in value and "user" in value:
        raise SuiteError(f"{where}: give either 'turns' or a single 'user'/'expect', not both.")
    raw_turns = value.get("turns")
    if raw_turns is None:
        raw_turns = [{k: value[k] for k in ("user", "expect", "digression") if k in value}]
    if not isinstance(raw_turns, list) or not raw_turns:
        raise SuiteError(f"{where}: 'turns' must be a non-empty list.")
    turns = tuple(_turn(t, f"{where}: turn {i + 1}") for i, t in enumerate(raw_turns))
    tags = value.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise SuiteError(f"{where}: 'tags' must be a list of strings.")
    return Conversation(cid, category, turns, heldout, source, tuple(tags))


def load_file(
    path: Path, *, heldout: bool | None = None, root: Path | None = None
) -> list[Conversation]:
    relative = path.relative_to(root) if root else path
    source = str(relative)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise SuiteError(f"{source}: not valid YAML: {e}") from e
    if not isinstance(document, dict) or not isinstance(document.get("conversations"), list):
        raise SuiteError(f"{source}: the file must be a mapping with a 'conversations' list.")
    unknown = set(document) - {"category", "conversations"}
    if unknown:
        raise SuiteError(f"{source}: unknown top-level key(s) {sorted(unknown)}.")
    held = heldout if heldout is not None else HELDOUT_DIR_NAME in relative.parts[:-1]
    return [
        parse_conversation(
            c, default_category=document.get("category"), heldout=held, source=source, index=i
        )
        for i, c in enumerate(document["conversations"])
    ]


def load_suite(directory: Path = SUITE_DIR) -> list[Conversation]:
    """Every conversation under ``directory`` (``heldout/`` included); ids must be unique."""
    files = sorted(directory.rglob("*.yml"))
    if not files:
        raise SuiteError(f"No conversation files (*.yml) under {directory}.")
    conversations = [c for f in files for c in load_file(f, root=directory)]
    check_unique(conversations)
    return conversations


def check_unique(conversations: Iterable[Conversation]) -> None:
    seen: dict[str, str] = {}
    for c in conversations:
        if c.id in seen:
            raise SuiteError(f"{c.source}: id {c.id!r} is already used in {seen[c.id]}.")
        seen[c.id] = c.source
