"""CSAT: the rating question, its buttons, and how an answer is read - for both venvs.

The question is a bot message with a ``csat_prompt`` analytics record
(:mod:`bot.contract.analytics`) and five buttons whose payloads name the intent
:data:`RATE_INTENT` with the score as an entity, ``/rate_csat{"csat_score": 4}``:
a tap in the widget, Slack or Teams reaches Rasa as that payload. A customer may
also type the rating right after the question ("4", "5 stars", "great"); the
engine's :class:`bot.engine.csat_policy.CsatPolicy` and the kit's rating action
read it with :func:`parse_rating`. Anything else is not a rating and is handled
as usual, so nobody is trapped by the question.

Who sends the question: the assistant's ask action at the end of a conversation
(context ``conversation``) and the handoff service when a person gives the
conversation back (context ``handoff``). Either way the rating action sets the
slots :data:`~bot.contract.analytics.CSAT_SLOT` and
:data:`~bot.contract.analytics.CSAT_CONTEXT_SLOT`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.contract.analytics import (
    CSAT_CONTEXTS,
    CSAT_PROMPT,
    CSAT_SCORES,
    CSAT_SLOT,
    METADATA_KEY,
    record,
    records_in,
)

RATE_INTENT = "rate_csat"
"""The intent of a rating button's payload (and of typed ratings NLU recognises)."""
SCORE_LABELS = ("1", "2", "3", "4", "5")
CLOSING_INTENTS = frozenset({"goodbye", "thanks", "affirm", "deny", RATE_INTENT})
"""Messages after a question that do not make a new one welcome: "thanks", "bye", the rating."""

_PAYLOAD = re.compile(r"^\s*/" + RATE_INTENT + r"\s*(\{.*\})?\s*$", re.S)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_WORDS = {
    1: ("terrible", "awful", "horrible", "useless", "very bad", "very poor", "the worst"),
    2: ("bad", "poor", "not good", "not great", "disappointing"),
    3: ("average", "mediocre", "meh", "so so", "so-so", "okayish", "not bad"),
    4: ("good", "pretty good", "quite good", "nice", "helpful"),
    5: (
        "great",
        "excellent",
        "amazing",
        "perfect",
        "fantastic",
        "brilliant",
        "awesome",
        "superb",
        "very good",
        "very helpful",
        "outstanding",
    ),
}
_WORD_SCORES = {word: score for score, words in _WORDS.items() for word in words}
_LEAD = re.compile(
    r"^(?:(?:i'?d|i would|i will|i'?ll)\s+"
    r"(?:say|give\s+(?:you|it|that)(?:\s+a)?|rate\s+(?:you|it|that))"
    r"|i\s+(?:give|rate)\s+(?:you|it|that)(?:\s+a)?|it\s+was|that\s+was|you\s+were"
    r"|rating|my\s+rating(?:\s+is)?|score|a|an|really|very\s+much)\s*:?\s+"
)
_TAIL = re.compile(r"\s*(?:,?\s*(?:thanks|thank\s+you|thx|cheers|bye))+$")
_SCORE = re.compile(
    r"^(?P<n>[1-5]|one|two|three|four|five)"
    r"(?:\s*(?:/\s*5|out\s+of\s+(?:5|five)|stars?|points?))?$"
)
_STARS = re.compile(r"^[★⭐]{1,5}$")


def rating_payload(score: int) -> str:
    """What a rating button sends: ``/rate_csat{"csat_score": 4}``."""
    if score not in CSAT_SCORES:
        raise ValueError(f"a CSAT score is one of {CSAT_SCORES}, not {score!r}.")
    return f"/{RATE_INTENT}{json.dumps({CSAT_SLOT: score})}"


def rating_buttons(labels: Sequence[str] = SCORE_LABELS) -> list[dict[str, str]]:
    """Five buttons, worst first; ``labels`` are their titles ("1".."5" by default)."""
    if len(labels) != len(CSAT_SCORES):
        raise ValueError(f"give {len(CSAT_SCORES)} labels, one per score, not {len(labels)}.")
    return [
        {"title": str(label), "payload": rating_payload(score)}
        for score, label in zip(CSAT_SCORES, labels, strict=True)
    ]


def prompt_metadata(context: str) -> dict[str, Any]:
    """The bot message metadata that marks it as the CSAT question asked in ``context``."""
    return {METADATA_KEY: [record(CSAT_PROMPT, context=context)]}


def prompt_context(metadata: Any) -> str | None:
    """``context`` of the ``csat_prompt`` record in a bot event's metadata, else None.

    Accepts the record at the top level (events appended through Rasa's API) and
    one level down under ``"metadata"`` (Rasa keeps an action server message's
    ``metadata`` argument there).
    """
    if not isinstance(metadata, Mapping):
        return None
    for where in (metadata, metadata.get("metadata")):
        for item in records_in(where):
            if item.get("kind") == CSAT_PROMPT and item.get("context") in CSAT_CONTEXTS:
                return str(item["context"])
    return None


def parse_rating(text: str | None) -> int | None:
    """A 1-5 score in a short answer to the question, else None.

    Reads a button payload, a digit or number word ("4", "4/5", "five stars",
    "I'd give it a 4"), stars ("★★★★") and a few plain verdicts ("great" is 5,
    "terrible" 1). Longer messages are not ratings: "great, and how do I return
    a phone?" is a question, not a score.
    """
    if not text:
        return None
    payload = _PAYLOAD.match(text)
    if payload:
        return _score_from_entities(payload.group(1))
    words = re.sub(r"[.!?]+$", "", " ".join(text.lower().split())).strip()
    words = _TAIL.sub("", words).strip(" ,")
    for _ in range(3):
        stripped = _LEAD.sub("", words, count=1)
        if stripped == words:
            break
        words = stripped
    words = words.strip(" ,:")
    if _STARS.match(words):
        return len(words)
    match = _SCORE.match(words)
    if match:
        n = match.group("n")
        return int(n) if n.isdigit() else _NUMBER_WORDS[n]
    return _WORD_SCORES.get(words)


_SCORE_IN_SENTENCE = re.compile(
    r"\b(?P<n>[1-5]|one|two|three|four|five)\s*(?:/\s*5|out\s+of\s+(?:5|five)|stars?)\b"
)


def find_rating(text: str | None) -> int | None:
    """:func:`parse_rating`, or a score stated in a longer sentence ("5 stars, very helpful").

    For a message already known to be a rating (intent ``rate_csat``); use
    :func:`parse_rating` to decide whether a message is one.
    """
    score = parse_rating(text)
    if score is not None or not text:
        return score
    match = _SCORE_IN_SENTENCE.search(text.lower())
    if match is None:
        return None
    n = match.group("n")
    return int(n) if n.isdigit() else _NUMBER_WORDS[n]


def _score_from_entities(raw: str | None) -> int | None:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    score = value.get(CSAT_SLOT) if isinstance(value, dict) else None
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score)
    return score if isinstance(score, int) and score in CSAT_SCORES else None


def _intent(event: Mapping[str, Any]) -> str | None:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return name if isinstance(name, str) else None


def pending_prompt(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The context of a question the bot asked in the turn right before the latest user message.

    ``events`` are Rasa event dicts, oldest first, ending with (or after) the
    latest user message. None when the bot's last turn asked nothing.
    """
    index = len(events) - 1
    while index >= 0 and events[index].get("event") != "user":
        index -= 1
    for event in reversed(events[:index]):
        kind = event.get("event")
        if kind == "user":
            return None
        if kind == "bot":
            context = prompt_context(event.get("metadata"))
            if context:
                return context
    return None


def last_prompt_context(events: Iterable[Mapping[str, Any]]) -> str | None:
    """The context of the latest question asked in the conversation, answered or not."""
    context = None
    for event in events:
        if event.get("event") == "bot":
            context = prompt_context(event.get("metadata")) or context
    return context


def handed_back(events: Sequence[Mapping[str, Any]]) -> bool:
    """True when a person gave the conversation back since the customer's latest message."""
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "resume":
            return True
    return False


def asked_recently(
    events: Sequence[Mapping[str, Any]], *, closing_intents: Iterable[str] = CLOSING_INTENTS
) -> bool:
    """True when a question was asked and the customer has since only rated, thanked or said bye.

    Asking again then would be asking twice in a row; once the customer has
    asked for something else, a later goodbye may ask again.
    """
    closing = frozenset(closing_intents)
    for event in reversed(events):
        kind = event.get("event")
        if kind == "bot" and prompt_context(event.get("metadata")):
            return True
        if (
            kind == "user"
            and _intent(event) not in closing
            and parse_rating(event.get("text")) is None
        ):
            return False
    return False
