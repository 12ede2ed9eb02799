"""The customer's name: tidied before it is stored, recalled on request.

Right after "What should I call you?" a bare reply ("sam", "Ana Maria",
"jean-luc") is the answer, although nothing else marks it as a name; anywhere
else a lone word is a name only if it is introduced ("I'm sam"). A bare reply
that is a common word or answer ("no", "laptop", "why?") is never taken for a
name, and one that is not understood at all goes to the clarifying fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.texts import say
from bot.sdk.buttons import is_bare_payload
from bot.sdk.i18n import language_of

MAX_NAME_CHARS = 40
_NAME_PART = re.compile(r"^[^\W\d_]+(?:['-][^\W\d_]+)*$")
# When the entity extractor misses a name (names are an open class and lower-case
# "ana" looks like any word), the usual ways of saying it still give it away.
_INTRODUCING = r"\b(?:my name is|my name's|name's|the name is|i am|i'm|im|call me|it's|this is)"
_INTRODUCTION = re.compile(
    _INTRODUCING + r"\s+([^\W\d_]+(?:['-][^\W\d_]+)*)",
    re.IGNORECASE,
)


ASK_NAME_RESPONSE = "utter_ask_name"
ASK_NAME_QUESTION = "What should I call you?"
MAX_BARE_NAME_WORDS = 3
# Replies to "What should I call you?" that are not names: answers, greetings,
# questions and the shop's own words. Lower case; compared word by word.
_NOT_NAME_WORDS = """
    a about account actually afternoon agent all already also am an and anonymous any
    anything are ask assistant bad basic be because better bot broken but buy by bye call
    can cancel card case charger cheap check cheers cool could customer data day delivery
    deny details do does don dont evening ever everything fine financing for forget found
    from get give go good goodbye great guest hello help hey hi hiya home hours how human
    i idk if in info is it just know later laptop let like loan lol maybe me mine mobile
    money more morning much my name need never nevermind next night no nobody none nope
    not nothing now of off ok okay on one open or order other our out payment person
    phone plan please plus pls price privacy question really refund rather return returns
    right robot sale same see shop should skip so some someone something sorry speak
    staff start still stop store sure tablet talk tell thank thanks that the their them
    then there they thing this thx time to today tomorrow too tv unlimited up us want
    warranty was we well what when where which who why will with without won work would
    wrong ya yeah yep yes yo you your yours
"""
NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())


# A reply to the name question that is no name goes where it would have gone.
NOT_UNDERSTOOD = {"nlu_fallback": "action_fallback_clarify", "out_of_scope": "utter_out_of_scope"}


def foreign(parse_data: Mapping[str, Any]) -> bool:
    """Whether the engine found the message in a language the assistant does not speak."""
    language = parse_data.get("language")
    return isinstance(language, Mapping) and language.get("supported") is False


def asked_for_name(events: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the bot's last message before the customer's latest one asked for the name."""
    seen_user = False
    for event in reversed(list(events)):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif kind == "bot" and seen_user:
            metadata = event.get("metadata") or {}
            text = str(event.get("text") or "")
            return metadata.get("utter_action") == ASK_NAME_RESPONSE or text.rstrip().endswith(
                ASK_NAME_QUESTION
            )
    return False


def bare_name(text: str | None) -> str | None:
    """ "sam" → "Sam" when the whole reply can be a name; None for "no", "why?", "laptop"."""
    cleaned = (text or "").strip().rstrip(".!").strip()
    words = cleaned.split()
    if not words or len(words) > MAX_BARE_NAME_WORDS or "?" in cleaned:
        return None
    if any(word.lower().strip(",") in NOT_NAMES for word in words):
        return None
    return normalize_name(cleaned)


def name_from_text(text: str | None) -> str | None:
    """``"hi, my name is ana"`` → ``"ana"``; None when no introduction is found."""
    match = _INTRODUCTION.search(text or "")
    return match.group(1) if match else None


def normalize_name(raw: str | None) -> str | None:
    """``"  ana-maria  "`` → ``"Ana-Maria"``; ``None`` for anything that is not a name."""
    if not raw:
        return None
    parts = raw.strip().strip(".,!?").split()
    if not parts or len(" ".join(parts)) > MAX_NAME_CHARS:
        return None
    if not all(_NAME_PART.match(part) for part in parts):
        return None
    return " ".join(
        "-".join(piece[:1].upper() + piece[1:].lower() for piece in part.split("-"))
        for part in parts
    )


class ActionRememberName(Action):
    def name(self) -> str:
        return "action_remember_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        latest = tracker.latest_message or {}
        text = latest.get("text")
        if is_bare_payload(text):  # the "Telling me your name" button: ask for it
            dispatcher.utter_message(response=ASK_NAME_RESPONSE)
            return []
        asked = asked_for_name(tracker.events)
        raw = next(tracker.get_latest_entity_values("name"), None)
        name = normalize_name(name_from_text(text))
        if name is None and raw and (asked or not bare_name(text)):
            name = normalize_name(raw)  # a lone word needs the question to be a name
        if name is None and asked and not foreign(latest):
            name = bare_name(text)
        if name is None:
            intent = (latest.get("intent") or {}).get("name")
            if intent in NOT_UNDERSTOOD:
                return [FollowupAction(NOT_UNDERSTOOD[intent])]
            if not asked and not re.search(_INTRODUCING, text or "", re.IGNORECASE):
                # "blorp fizz" read as a name with no name in it: not understood
                return [FollowupAction("action_fallback_clarify")]
            dispatcher.utter_message(
                text=say("profile.missed", language_of(tracker), "Sorry, I didn't catch your name.")
            )
            dispatcher.utter_message(response=ASK_NAME_RESPONSE)
            return []
        dispatcher.utter_message(
            text=say(
                "profile.nice_to_meet",
                language_of(tracker),
                "Nice to meet you, {name}! How can I help you today?",
                name=name,
            )
        )
        return [SlotSet("customer_name", name)]


class ActionRecallName(Action):
    def name(self) -> str:
        return "action_recall_name"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        name = tracker.get_slot("customer_name")
        language = language_of(tracker)
        if name:
            dispatcher.utter_message(
                text=say("profile.known", language, "Of course, you're {name}.", name=name)
            )
        else:
            dispatcher.utter_message(
                text=say("profile.unknown", language, "I don't know your name yet.")
            )
            dispatcher.utter_message(response=ASK_NAME_RESPONSE)
        return []
