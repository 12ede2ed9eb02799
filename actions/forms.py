"""Forms that read their answers from the customer's own words.

Slots of the structured forms use ``custom`` mappings: the engine fills
nothing, and :class:`TextFormValidation` reads the latest message itself. The
requested slot gets the whole message; any other slot named in it with a value
("actually my budget is 30") is a correction and wins, so a customer can fix an
earlier answer without the form taking the sentence as the current answer.
Each slot has a parser that turns text into a value or into a re-ask that says
what was wrong ("I need a positive amount, like 1500"). Parsing here does not
depend on NLU entities, whose names may change; entity values, when present,
arrive in the same text anyway.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from generators.errors import GeneratorError, ValidationFailed

UNKNOWN = "unknown"
"""Slot value for "I don't know": fills the slot so the form moves on."""


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    error: str | None = None


_DONT_KNOW = re.compile(
    r"\b((i\s*)?(do\s*n[o']?t|dont)\s*know|not\s+sure|no\s+idea|unsure|skip|idk|rather\s+not\s+say)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?P<sign>[-\u2212\u2013]\s*)?[£$€]?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s*(?P<mult>k\b|thousand|m\b|million|bn|billion)?",
    re.IGNORECASE,
)
_WORD_NUMBERS = {
    "zero": 0,
    "none": 0,
    "nothing": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
}
_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}
_VAGUE = re.compile(r"\b(a lot|lots|loads|plenty|many|much|some|a few|few|a bit|little)\b", re.I)


def is_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text))


def find_number(text: str) -> float | None:
    """The first number in ``text``: "£1,500", "2.5k", "-50", "ten"; None if there is none."""
    match = _NUMBER.search(text)
    if match:
        value = float(match["num"].replace(",", ""))
        if match["mult"]:
            value *= _MULTIPLIERS[match["mult"].lower()]
        return -value if match["sign"] else value
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _WORD_NUMBERS:
            return float(_WORD_NUMBERS[word])
    return None


def number_parser(
    *,
    low: float,
    high: float,
    example: str,
    what: str,
    units: dict[str, float] | None = None,
    wrong_units: dict[str, str] | None = None,
    integer: bool = False,
) -> Callable[[str], Parsed]:
    """A parser for an amount in ``[low, high]``.

    ``units`` maps a unit word to its factor into the slot's unit (for months:
    ``{"year": 12}``); ``wrong_units`` maps a word that signals a mix-up to the
    re-ask ("minutes" when asking for gigabytes).
    """

    def parse(text: str) -> Parsed:
        lowered = text.lower()
        for word, message in (wrong_units or {}).items():
            if re.search(rf"\b{word}", lowered):
                return Parsed(error=message)
        value = find_number(text)
        if value is None:
            hint = "That's a bit vague for me. " if _VAGUE.search(text) else ""
            return Parsed(error=f"{hint}Please give {what} as a number, for example {example}.")
        for word, factor in (units or {}).items():
            if re.search(rf"\d\s*{word}|\b{word}", lowered):
                value *= factor
                break
        if value < low:
            return Parsed(
                error=f"{what.capitalize()} can't be below {low:g}. "
                f"Please give a number like {example}."
            )
        if value > high:
            return Parsed(
                error=f"{what.capitalize()} of {value:,.0f} is more than I can work with "
                f"(up to {high:,.0f}). Please check the number."
            )
        return Parsed(value=round(value) if integer else value)

    return parse


def choice_parser(options: dict[str, tuple[str, ...]], *, question: str) -> Callable[[str], Parsed]:
    """Maps words to one of ``options``; the first option whose keyword appears wins."""

    def parse(text: str) -> Parsed:
        lowered = text.lower()
        for value, words in options.items():
            if value == lowered.strip() or any(re.search(rf"\b{w}", lowered) for w in words):
                return Parsed(value=value)
        return Parsed(error=f"Sorry, I didn't get that. {question}")

    return parse


@dataclass(frozen=True)
class SlotSpec:
    parse: Callable[[str], Parsed]
    keywords: tuple[str, ...] = ()
    """Words that name the slot in a correction: "my budget is 30"."""
    allow_unknown: bool = False
    unknown_reply: str = "I can't go on without this one, sorry."
    label: str = ""
    """How a confirmation names a slot filled out of turn: "Got it: your budget 30"."""


class TextFormValidation(FormValidationAction):
    """Fills and validates a form's slots from free text; subclasses declare ``slots``."""

    slots: ClassVar[dict[str, SlotSpec]]
    interruptions: ClassVar[frozenset[str]] = frozenset({"stop", "ask_human"})
    """Intents that pause the form so a rule can answer them ("stop" abandons it).

    "deny" is not one of them: "no" is a valid answer to several questions.
    """

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``; abstract so the action server skips this base class."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # Nothing extracted and nothing validated makes the engine's form reject
        # itself, which is what lets the rules for these intents run. (An
        # ActionExecutionRejected event from here would not: Rasa 3.6 then keeps
        # the form active without asking, and predicts the form again, forever.)
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if intent in self.interruptions:
            return []
        return await super().run(dispatcher, tracker, domain)

    def corrections(self, text: str, requested: str | None) -> dict[str, tuple[int, str]]:
        """Slots other than the requested one that ``text`` names with a value.

        Returns ``{slot: (where the mention starts, the value text)}``; both
        "my budget is 30" and "30 minutes" count as a mention.
        """
        found = {}
        lowered = text.lower()
        for slot, spec in self.slots.items():
            if slot == requested:
                continue
            for word in spec.keywords:
                after = re.search(
                    rf"\b{word}\b(?:\s+(?:is|was|of|to|should be|are|=|:))?\s*(.+)", lowered
                )
                before = re.search(rf"([-\u2212£$€]?\d[\d,.]*\s*[a-z]*)\s+{word}\b", lowered)
                for match in (after, before):
                    if match and spec.parse(match.group(1)).error is None:
                        found[slot] = (match.start(), match.group(1))
                        break
                if slot in found:
                    break
        return found

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        if not text:
            return []
        requested = tracker.get_slot("requested_slot")
        mentions = self.corrections(text, requested)
        values = {slot: raw for slot, (_, raw) in mentions.items()}
        if requested in self.slots:
            head = text[: min((start for start, _ in mentions.values()), default=len(text))]
            spec = self.slots[requested]
            if not mentions or (head.strip() and spec.parse(head).error is None):
                values[requested] = head if mentions else text
        return [SlotSet(slot, raw) for slot, raw in values.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        values: dict[str, Any] = {}
        requested = tracker.get_slot("requested_slot")
        for slot, raw in tracker.slots_to_validate().items():
            spec = self.slots.get(slot)
            if spec is None or not isinstance(raw, str) or raw == UNKNOWN:
                continue
            if is_dont_know(raw):
                if spec.allow_unknown:
                    values[slot] = UNKNOWN
                else:
                    dispatcher.utter_message(text=spec.unknown_reply)
                    values[slot] = None
                continue
            parsed = spec.parse(raw)
            if parsed.error:
                dispatcher.utter_message(text=parsed.error)
            elif slot != requested:
                label = spec.label or slot.replace("_", " ")
                shown = (
                    f"{parsed.value:,g}" if isinstance(parsed.value, float | int) else parsed.value
                )
                dispatcher.utter_message(text=f"Got it: {label} {shown}.")
            values[slot] = parsed.value
        tracker.slots.update(values)
        return [SlotSet(slot, value) for slot, value in values.items()]


def known(value: Any) -> Any:
    """A slot value with the "I don't know" sentinel turned into ``None``."""
    return None if value == UNKNOWN else value


def apology_for(error: GeneratorError, *, what: str) -> str:
    """What the customer reads when a generator refuses or breaks (details go to the log)."""
    if isinstance(error, ValidationFailed):
        return (
            f"Sorry, some of your answers don't fit together, so I couldn't work out {what}. "
            "Could we go through the questions again?"
        )
    return (
        f"Sorry, I can't work out {what} right now. "
        "A member of our team can help: just ask for a person."
    )


def reset(slots: Iterable[str]) -> list[EventType]:
    """Clear a form's slots after submission, so the next run starts fresh."""
    return [SlotSet(slot, None) for slot in slots]


class ActionAbandonForm(Action):
    """Stops the active form and clears its answers, so a later run starts afresh.

    Used by the rules for "stop"/"no" inside a structured form, instead of
    ``action_deactivate_loop``, which would leave half the answers behind.
    """

    def name(self) -> str:
        return "action_abandon_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name")
        required = (domain.get("forms") or {}).get(form, {}).get("required_slots", [])
        dispatcher.utter_message(
            text="No problem, I've stopped and forgotten those answers. "
            "Anything else I can help with?"
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset(required)]
