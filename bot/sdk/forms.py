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

What is the business's own is a class attribute a subclass sets: the words
said when a form is abandoned (``stopped``) and the product names that must not
be read as numbers (:meth:`TextFormValidation.product_names`).
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot.sdk.form_text import (
    NO_PRODUCT_NAMES,
    ProductNames,
    focus,
    is_exit,
    is_question,
    per_month,
    unit_after,
)
from bot.sdk.form_zh import english_answer
from bot.sdk.i18n import DEFAULT_LANGUAGE, Catalog, language_of, project_catalog
from generators.errors import GeneratorError, ValidationFailed

UNKNOWN = "unknown"
"""Slot value for "I don't know": fills the slot so the form moves on."""


@dataclass(frozen=True)
class Parsed:
    value: Any = None
    error: str | None = None
    note: str | None = None
    """Said when the value is kept: how a unit was converted ("5 days a year is ...")."""
    note_values: Mapping[str, Any] = field(default_factory=dict)
    """The note's figures for its words in another language (``forms.note``):
    ``stated`` and ``period`` ("year", "week", "day") of a monthly conversion."""


_DONT_KNOW = re.compile(
    r"\b((i\s*)?(do\s*n[o']?t|dont)\s*know|not\s+sure|no\s+idea|unsure|skip|idk|rather\s+not\s+say)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?P<sign>[-\u2212\u2013]\s*)?[£$€]?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"\s*(?P<mult>k\b|thousand|grand\b|hundred|m\b|million|bn|billion)?",
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
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "eleven": 11,
    "thirteen": 13,
    "fourteen": 14,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "a tenner": 10,
    "a fiver": 5,
}
_MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "grand": 1e3,
    "hundred": 1e2,
    "m": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
}
_SCALE = re.compile(r"\s*(?:of\s+)?(?P<scale>hundred|thousand|grand|k|million)\b", re.IGNORECASE)
"""A scale after a number word: "two thousand", "fifteen hundred", "three grand"."""
_A_SCALE = re.compile(
    r"\b(?P<count>a\s+couple(?:\s+of)?|a\s+few|a|one)\s+(?P<scale>hundred|thousand|grand)\b",
    re.IGNORECASE,
)
"""A count said in words before a scale: "a grand", "a couple of grand"."""
_A_COUNTS = {"a": 1, "one": 1, "a couple": 2, "a couple of": 2, "a few": 3}
_CORRECTION_CUE = re.compile(
    r"\b(?:actually|make (?:it|that)|change (?:it|that) to|i meant|i mean|sorry|no wait|"
    r"oops|correction|typo)\b",
    re.I,
)
"""Words that say a message fixes an earlier answer: "actually make it 1000"."""
_VAGUE = re.compile(r"\b(a lot|lots|loads|plenty|many|much|some|a few|few|a bit|little)\b", re.I)


_WORDS_OR_HAN = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9']+")
"""A message's length in words, each Chinese character counted as one."""


def is_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text))


_NUMBER_WORDS = re.compile(
    r"\b(?:(?P<tens>twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s-]+"
    r"(?P<ones>one|two|three|four|five|six|seven|eight|nine)|"
    + "|".join(sorted((re.escape(w) for w in _WORD_NUMBERS), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    value: float
    start: int
    end: int


def find_quantity(text: str) -> Quantity | None:
    """The first number in ``text`` and where it is: "£1,500", "2.5k", "-50", "twenty-five"."""
    match = _NUMBER.search(text)
    if match:
        value = float(match["num"].replace(",", ""))
        if match["mult"]:
            value *= _MULTIPLIERS[match["mult"].lower()]
        return Quantity(-value if match["sign"] else value, match.start(), match.end())
    words = _NUMBER_WORDS.search(text)
    counted = _A_SCALE.search(text)
    if counted is not None and (words is None or counted.start() <= words.start()):
        count = _A_COUNTS[" ".join(counted["count"].lower().split())]
        factor = _MULTIPLIERS[counted["scale"].lower()]
        return Quantity(float(count * factor), counted.start(), counted.end())
    if words is None:
        return None
    if words["tens"]:
        value = _WORD_NUMBERS[words["tens"].lower()] + _WORD_NUMBERS[words["ones"].lower()]
    else:
        value = _WORD_NUMBERS[words[0].lower()]
    amount, end = float(value), words.end()
    scale = _SCALE.match(text, end) if value else None
    if scale is not None:
        amount *= _MULTIPLIERS[scale["scale"].lower()]
        end = scale.end()
    return Quantity(amount, words.start(), end)


def find_number(text: str) -> float | None:
    """The first number in ``text``: "£1,500", "2.5k", "-50", "ten"; None if there is none."""
    quantity = find_quantity(text)
    return None if quantity is None else quantity.value


def number_parser(
    *,
    low: float,
    high: float,
    example: str,
    what: str,
    units: dict[str, float] | None = None,
    wrong_units: dict[str, str] | None = None,
    integer: bool = False,
    kind: str | None = None,
    monthly: bool = False,
    unlimited: float | None = None,
) -> Callable[[str], Parsed]:
    """A parser for an amount in ``[low, high]``.

    ``units`` maps a unit word to its factor into the slot's unit (for months:
    ``{"year": 12}``); ``wrong_units`` maps a word that signals a mix-up to the
    re-ask ("minutes" when asking for gigabytes). ``kind`` names what the slot
    holds (a key of :data:`bot.sdk.form_text.UNIT_PATTERNS`): a number whose unit
    says it is something else ("24 months" for a budget) is not an answer.
    ``monthly`` converts "a year"/"a week"/"a day" into a month; ``unlimited``
    is the value "unlimited" stands for.
    """

    def parse(text: str) -> Parsed:
        lowered = text.lower()
        for word, message in (wrong_units or {}).items():
            if re.search(rf"\b{word}", lowered):
                return Parsed(error=message)
        quantity = find_quantity(text)
        if quantity is None:
            if unlimited is not None and re.search(r"\b(unlimited|no limit|as much as)", lowered):
                return Parsed(value=unlimited)
            hint = "That's a bit vague for me. " if _VAGUE.search(text) else ""
            return Parsed(error=f"{hint}Please give {what} as a number, for example {example}.")
        unit = unit_after(text, quantity.end)
        if kind is not None and unit is not None and unit != kind:
            return Parsed(
                error=f"That sounds like {unit}, not {what}. "
                f"Please give {what} as a number, for example {example}."
            )
        value = quantity.value
        for word, factor in (units or {}).items():
            if re.search(rf"\d\s*{word}|\b{word}", lowered):
                value *= factor
                break
        note = None
        note_values: dict[str, Any] = {}
        if monthly:
            factor, period = per_month(text[quantity.end :])
            if factor != 1.0:
                stated = value
                value *= factor
                value = math.ceil(value) if integer else round(value, 1)
                note = f"{stated:g} a {period} is about {value:g} a month, so I'll use {value:g}."
                word = str(period)
                note_values = {"stated": f"{stated:g}", "period": _PERIOD_WORDS.get(word, word)}
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
        return Parsed(value=round(value) if integer else value, note=note, note_values=note_values)

    return parse


_PERIOD_WORDS = {"yr": "year", "annum": "year", "wk": "week"}


def _word_start(word: str) -> str:
    """A choice word at a word's start; a Chinese one anywhere (Chinese has no spaces)."""
    return rf"\b{word}" if word[:1].isascii() else re.escape(word)


def choice_parser(options: dict[str, tuple[str, ...]], *, question: str) -> Callable[[str], Parsed]:
    """Maps words to one of ``options``; the first option whose keyword appears wins."""

    def parse(text: str) -> Parsed:
        lowered = text.lower()
        for value, words in options.items():
            if value == lowered.strip() or any(re.search(_word_start(w), lowered) for w in words):
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
    mention: str = ""
    """A regex for a value that names this slot by its unit: "20 GB", "£25", "300 mins"."""


def localized(
    tracker: Tracker,
    key: str,
    english: str,
    /,
    catalog_factory: Callable[[], Catalog] = project_catalog,
    **values: Any,
) -> str:
    """``english`` in an English conversation, else the catalog's ``key`` (``english`` if
    it has none); the catalog is read only for another language."""
    language = language_of(tracker)
    if language == DEFAULT_LANGUAGE:
        return english
    return catalog_factory().get(key, language, english, **values)


def _shown(value: Any) -> str:
    return f"{value:,g}" if isinstance(value, float | int) else str(value)


DIGRESSIONS = frozenset({"ask_faq", "bot_challenge", "out_of_scope"})
"""The default question intents that a rule answers inside a form before the form
asks its question again; an assistant names its own in ``digressions``."""

NOT_AN_ANSWER = "Sorry, that doesn't look like an answer to my question."
STOPPED = "No problem, I've stopped and forgotten those answers. Anything else I can help with?"
"""What a form says when it is abandoned, unless a subclass sets ``stopped``."""


class TextFormValidation(FormValidationAction):
    """Fills and validates a form's slots from free text; subclasses declare ``slots``."""

    slots: ClassVar[dict[str, SlotSpec]]
    interruptions: ClassVar[frozenset[str]] = frozenset({"stop", "ask_human"})
    """Intents besides the digressions that pause the form so a rule can act on them
    ("stop" abandons it, "ask_human" hands over).

    "deny" is not one of them: "no" is a valid answer to several questions.
    """
    digressions: ClassVar[frozenset[str]] = DIGRESSIONS
    """Question intents answered inside the form by a rule, after which the form asks
    its question again; a bare answer ("2", "yes") classified as one is still an answer."""
    stopped: ClassVar[str] = STOPPED
    """Said when the customer leaves the form ("never mind"); its answers are forgotten."""
    catalog_factory: Callable[[], Catalog] = staticmethod(project_catalog)
    """Where the texts of a conversation in another language come from (``forms.*``)."""

    def say(self, tracker: Tracker, key: str, english: str, /, **values: Any) -> str:
        """``english``, or ``key``'s text in the conversation's language."""
        return localized(tracker, key, english, self.catalog_factory, **values)

    def reask(self, tracker: Tracker, slot: str, english: str) -> str:
        """A slot's re-ask: ``english`` (the parser's words), or the catalog's
        ``forms.reask.<slot>`` (else ``forms.reask``) in another language."""
        if language_of(tracker) == DEFAULT_LANGUAGE:
            return english
        catalog = self.catalog_factory()
        key = f"forms.reask.{slot}"
        return self.say(
            tracker, key if catalog.template(key, language_of(tracker)) else "forms.reask", english
        )

    def label(self, tracker: Tracker, slot: str) -> str:
        spec = self.slots[slot]
        return self.say(tracker, f"forms.label.{slot}", spec.label or slot.replace("_", " "))

    def product_names(self) -> ProductNames:
        """Product names that contain numbers ("Nova 8"); override when there is a catalogue."""
        return NO_PRODUCT_NAMES

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
        if self.resuming(tracker):
            return []
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        text = message.get("text") or ""
        pausing = self.interruptions | self.digressions
        answers = (intent in self.digressions and self.is_bare_answer(tracker, text)) or (
            intent == "stop" and self.declines_to_say(tracker, text)
        )
        if intent in pausing and not answers:
            return []
        if intent not in pausing and is_exit(text):
            return self.leave(dispatcher, tracker, domain)
        return await super().run(dispatcher, tracker, domain)

    def resuming(self, tracker: Tracker) -> bool:
        """Whether the form runs again after a rule answered a digression.

        The customer's message was answered already; reading it again as an
        answer is what turned "how much is the Nova 8?" into 8 roaming days.
        """
        if not tracker.get_slot("requested_slot"):
            return False
        form = self.form_name()
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                return False
            if event.get("event") == "action" and event.get("name") not in (
                "action_listen",
                "action_extract_slots",
                form,
                self.name(),
                None,
            ):
                return True
        return False

    def is_bare_answer(self, tracker: Tracker, text: str) -> bool:
        """A short reply that answers the pending question, whatever NLU thought of it."""
        spec = self.slots.get(tracker.get_slot("requested_slot") or "")
        if spec is None or is_question(text) or len(text.split()) > 3:
            return False
        return spec.parse(self.readable(tracker, text)).error is None

    def declines_to_say(self, tracker: Tracker, text: str) -> bool:
        """ "I'd rather not say", "跳过", "不想说" to a question that takes "unknown": an
        answer, even where NLU read it as "stop" (which would abandon the form).

        Only a short message that is all decline: "never mind, not sure I want this"
        still leaves."""
        spec = self.slots.get(tracker.get_slot("requested_slot") or "")
        return (
            spec is not None
            and spec.allow_unknown
            and len(_WORDS_OR_HAN.findall(text)) <= 6
            and not is_question(text)
            and is_dont_know(self.readable(tracker, text))
        )

    def leave(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """ "never mind" worded so that NLU missed it: stop the form and forget its answers.

        Ending the loop here is Rasa's documented way for a validation action to
        end a form early; the submission action then sees unanswered questions
        and stays quiet (:func:`unanswered`).
        """
        dispatcher.utter_message(text=self.say(tracker, "forms.stopped", self.stopped))
        return [SlotSet("requested_slot", None), *reset(self.slots), ActiveLoop(None)]

    def readable(self, tracker: Tracker, text: str) -> str:
        """The part of ``text`` that answers, with product names blanked out."""
        message = tracker.latest_message or {}
        spans = [
            (e["start"], e["end"])
            for e in message.get("entities") or []
            if e.get("entity") in ("product", "plan")
            and isinstance(e.get("start"), int)
            and message.get("text") == text
        ]
        return focus(english_answer(self.product_names().mask(text, spans)))

    def corrections(self, text: str, requested: str | None) -> dict[str, tuple[int, str]]:
        """Slots other than the requested one that ``text`` names with a value.

        Returns ``{slot: (where the mention starts, the value text)}``; "my
        budget is 30", "30 minutes" and "20 GB" all count as a mention.
        """
        found = {}
        lowered = text.lower()
        for slot, spec in self.slots.items():
            if slot == requested:
                continue
            mention = re.search(spec.mention, lowered) if spec.mention else None
            if mention and spec.parse(mention.group(0)).error is None:
                found[slot] = (mention.start(), mention.group(0))
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

    def last_answered(self, tracker: Tracker, requested: str | None) -> str | None:
        """The form's slot answered most recently, other than the one asked now."""
        for event in reversed(tracker.events):
            if event.get("event") == "active_loop" and event.get("name") is None:
                return None  # the form started after this
            name = event.get("name")
            if (
                event.get("event") == "slot"
                and name in self.slots
                and name != requested
                and event.get("value") not in (None, UNKNOWN)
            ):
                return str(name)
        return None

    def correction_of_last_answer(
        self, tracker: Tracker, raw: str, text: str, requested: str
    ) -> str | None:
        """The slot a bare correction fixes: "actually make it 1000" asked for a term.

        Only when the message says it corrects something, the value does not fit
        the question asked now, and it does fit the answer given just before.
        ``raw`` is the message as written, ``text`` its answering part.
        """
        cue = _CORRECTION_CUE.search(english_answer(raw))
        if not cue or self.slots[requested].parse(text).error is None:
            return None
        previous = self.last_answered(tracker, requested)
        if previous is None or self.slots[previous].parse(text).error is not None:
            return None
        return previous

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        raw = (tracker.latest_message or {}).get("text") or ""
        if not raw:
            return []
        text = self.readable(tracker, raw)
        requested = tracker.get_slot("requested_slot")
        mentions = self.corrections(text, requested)
        if not mentions and requested in self.slots:
            previous = self.correction_of_last_answer(tracker, raw, text, requested)
            if previous is not None:
                return [SlotSet(previous, text)]
        values = {slot: value for slot, (_, value) in mentions.items()}
        if requested in self.slots:
            head = text[: min((start for start, _ in mentions.values()), default=len(text))]
            spec = self.slots[requested]
            if not mentions or (head.strip() and spec.parse(head).error is None):
                values[requested] = head if mentions else text
        return [SlotSet(slot, value) for slot, value in values.items()]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        values: dict[str, Any] = {}
        requested = tracker.get_slot("requested_slot")
        question = is_question((tracker.latest_message or {}).get("text") or "")
        for slot, raw in tracker.slots_to_validate().items():
            spec = self.slots.get(slot)
            if spec is None or not isinstance(raw, str) or raw == UNKNOWN:
                continue
            if is_dont_know(raw) and not question:
                if spec.allow_unknown:
                    values[slot] = UNKNOWN
                else:
                    dispatcher.utter_message(
                        text=self.say(tracker, "forms.unknown_reply", spec.unknown_reply)
                    )
                    values[slot] = None
                continue
            parsed = spec.parse(raw)
            # A question may name its answer with its unit ("is 10 GB enough?");
            # a bare number in a question ("what about 5?") is not an answer.
            named = bool(spec.mention and re.search(spec.mention, raw.lower()))
            if parsed.error is None and question and slot == requested and not named:
                parsed = Parsed(error=NOT_AN_ANSWER)
            if parsed.error == NOT_AN_ANSWER:
                dispatcher.utter_message(
                    text=self.say(tracker, "forms.not_an_answer", NOT_AN_ANSWER)
                )
            elif parsed.error:
                dispatcher.utter_message(text=self.reask(tracker, slot, parsed.error))
            elif slot != requested:
                label, shown = self.label(tracker, slot), _shown(parsed.value)
                dispatcher.utter_message(
                    text=self.say(
                        tracker,
                        "forms.got_it",
                        f"Got it: {label} {shown}.",
                        label=label,
                        value=shown,
                    )
                )
            if parsed.note:
                shown = _shown(parsed.value)
                words = dict(parsed.note_values)
                if "period" in words:
                    period = str(words["period"])
                    words["period"] = self.say(tracker, f"forms.period.{period}", period)
                key = "forms.note_converted" if words else "forms.note"
                dispatcher.utter_message(
                    text=self.say(tracker, key, parsed.note, value=shown, **words)
                )
            values[slot] = parsed.value
        tracker.slots.update(values)
        return [SlotSet(slot, value) for slot, value in values.items()]


def known(value: Any) -> Any:
    """A slot value with the "I don't know" sentinel turned into ``None``."""
    return None if value == UNKNOWN else value


def apology_for(
    error: GeneratorError,
    *,
    what: str,
    language: str | None = None,
    catalog_factory: Callable[[], Catalog] = project_catalog,
) -> str:
    """What the customer reads when a generator refuses or breaks (details go to the log).

    In another language than English the catalog's ``forms.apology.*`` texts, which
    name no ``what``, are said instead.
    """
    if isinstance(error, ValidationFailed):
        key, english = (
            "forms.apology.mismatch",
            f"Sorry, some of your answers don't fit together, so I couldn't work out {what}. "
            "Could we go through the questions again?",
        )
    else:
        key, english = (
            "forms.apology.unavailable",
            f"Sorry, I can't work out {what} right now. "
            "A member of our team can help: just ask for a person.",
        )
    if not language or language == DEFAULT_LANGUAGE:
        return english
    return catalog_factory().get(key, language, english)


def reset(slots: Iterable[str]) -> list[EventType]:
    """Clear a form's slots after submission, so the next run starts fresh."""
    return [SlotSet(slot, None) for slot in slots]


LAST_ANSWERS_SLOT = "form_last_answers"
"""The last completed form's answers, for a correction right after its result."""


def remember(form: str, tracker: Tracker, slots: Iterable[str]) -> EventType:
    """Keep a submitted form's answers, so "actually make that 20 GB" can redo it."""
    return SlotSet(
        LAST_ANSWERS_SLOT, {"form": form, "answers": {s: tracker.get_slot(s) for s in slots}}
    )


def unanswered(tracker: Tracker, slots: Iterable[str]) -> bool:
    """Whether a form was left before its questions were answered (then nothing is submitted)."""
    return any(tracker.get_slot(slot) is None for slot in slots)


class ActionAbandonForm(Action, ABC):
    """Stops the active form and clears its answers, so a later run starts afresh.

    Used by the rules for "stop"/"no" inside a structured form, instead of
    ``action_deactivate_loop``, which would leave half the answers behind.
    Abstract (rasa-sdk registers only concrete actions): an assistant subclasses
    it with ``name()`` returning ``"action_abandon_form"`` and, if it likes, its
    own ``stopped`` words.
    """

    stopped: ClassVar[str] = STOPPED

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain, usually ``action_abandon_form``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        form = (tracker.active_loop or {}).get("name")
        required = (domain.get("forms") or {}).get(form, {}).get("required_slots", [])
        dispatcher.utter_message(text=localized(tracker, "forms.stopped", self.stopped))
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset(required)]
