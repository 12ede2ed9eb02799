from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.profile import (
    ActionRecallName,
    ActionRememberName,
    asked_for_name,
    bare_name,
    name_from_text,
    normalize_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana", "Ana"),
        ("  ana-maria ", "Ana-Maria"),
        ("JEAN luc", "Jean Luc"),
        ("o'neil", "O'neil"),
        ("Zoë", "Zoë"),
        ("Ana!", "Ana"),
    ],
)
def test_normalize_name_tidies_real_names(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "r2d2", "ana_b", "x" * 41, "<script>"])
def test_normalize_name_rejects_what_is_not_a_name(raw: str | None) -> None:
    assert normalize_name(raw) is None


async def test_remember_name_sets_the_slot_and_confirms(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        text="my name is ana", intent="tell_name", entities=[{"entity": "name", "value": "ana"}]
    )
    events = await ActionRememberName().run(dispatcher, tracker, {})
    assert events == [{"event": "slot", "timestamp": None, "name": "customer_name", "value": "Ana"}]
    assert dispatcher.messages[0]["text"].startswith("Nice to meet you, Ana!")


async def test_remember_name_asks_again_without_a_usable_name(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        text="my name is 42", intent="tell_name", entities=[{"entity": "name", "value": "42"}]
    )
    assert await ActionRememberName().run(dispatcher, tracker, {}) == []
    assert "didn't catch your name" in dispatcher.messages[0]["text"]


async def test_recall_name_uses_the_slot(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    await ActionRecallName().run(dispatcher, tracker_factory(slots={"customer_name": "Ana"}), {})
    assert dispatcher.messages[0]["text"] == "Of course, you're Ana."


async def test_recall_name_admits_it_does_not_know(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    await ActionRecallName().run(dispatcher, tracker_factory(), {})
    assert "don't know your name" in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my name is ana", "ana"),
        ("Hi, I'm Jean-Luc", "Jean-Luc"),
        ("you can call me dev", "dev"),
        ("what's the weather", None),
        ("", None),
    ],
)
def test_name_from_text_finds_introductions(text: str, expected: str | None) -> None:
    assert name_from_text(text) == expected


async def test_remember_name_reads_the_text_when_the_extractor_missed_it(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(text="my name is ana", intent="tell_name")
    events = await ActionRememberName().run(dispatcher, tracker, {})
    assert events[0]["value"] == "Ana"


ASKED = [
    {"event": "user", "text": "hello"},
    {"event": "bot", "text": "Hi! I'm Volt.", "metadata": {"utter_action": "utter_greet"}},
    {"event": "bot", "text": "What should I call you?",
     "metadata": {"utter_action": "utter_ask_name"}},
]  # fmt: skip


def reply_to(events: list[dict], text: str, intent: str = "tell_name", **parse: object) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [], **parse}
    return Tracker(
        sender_id="t",
        slots={},
        latest_message=latest,
        events=[*events, {"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_asked_for_name_looks_at_the_bot_message_just_before() -> None:
    assert asked_for_name(reply_to(ASKED, "sam").events)
    later = [*ASKED, {"event": "user", "text": "x"}, {"event": "bot", "text": "Our stores: ..."}]
    assert not asked_for_name(reply_to(later, "sam").events)
    reasked = [{"event": "bot", "text": "Sorry, I didn't catch that. What should I call you?"}]
    assert asked_for_name(reply_to(reasked, "sam").events)
    assert not asked_for_name(reply_to([], "sam").events)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("tomasz", "Tomasz"), ("Aoife", "Aoife"), ("marie-claire", "Marie-Claire"),
     ("li wei", "Li Wei"), ("Zoë.", "Zoë"), ("kwame!", "Kwame")],
)  # fmt: skip
def test_bare_name_accepts_what_can_be_a_name(text: str, expected: str) -> None:
    assert bare_name(text) == expected


@pytest.mark.parametrize(
    "text",
    ["no", "no thanks", "why?", "laptop", "what are your opening hours", "ok", "skip",
     "i dont want to say", "42", "r2d2", "", "nobody", "a b c d"],
)  # fmt: skip
def test_bare_name_refuses_answers_words_and_questions(text: str) -> None:
    assert bare_name(text) is None


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [("tomasz", "tell_name", "Tomasz"), ("marie-claire", "nlu_fallback", "Marie-Claire"),
     ("Aoife", "out_of_scope", "Aoife")],
)  # fmt: skip
async def test_a_bare_name_after_the_question_is_remembered(
    text: str, intent: str, expected: str
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionRememberName().run(dispatcher, reply_to(ASKED, text, intent), {})
    assert events == [
        {"event": "slot", "timestamp": None, "name": "customer_name", "value": expected}
    ]
    assert dispatcher.messages[0]["text"].startswith(f"Nice to meet you, {expected}!")


async def test_a_non_name_after_the_question_is_not_taken_for_one() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionRememberName().run(dispatcher, reply_to(ASKED, "why?", "tell_name"), {})
    assert events == []
    assert "didn't catch your name" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[1]["response"] == "utter_ask_name"
    dispatcher = CollectingDispatcher()
    events = await ActionRememberName().run(
        dispatcher, reply_to(ASKED, "zzz ok", "nlu_fallback"), {}
    )
    assert events == [{"event": "followup", "timestamp": None, "name": "action_fallback_clarify"}]
    assert dispatcher.messages == []


async def test_a_message_in_another_language_is_no_name() -> None:
    dispatcher = CollectingDispatcher()
    tracker = reply_to(
        ASKED, "bonjour", "nlu_fallback", language={"code": "fr", "supported": False}
    )
    events = await ActionRememberName().run(dispatcher, tracker, {})
    assert events == [{"event": "followup", "timestamp": None, "name": "action_fallback_clarify"}]


async def test_a_lone_word_without_the_question_needs_an_introduction() -> None:
    dispatcher = CollectingDispatcher()
    tracker = reply_to([], "tomasz", entities=[{"entity": "name", "value": "tomasz"}])
    events = await ActionRememberName().run(dispatcher, tracker, {})
    assert events == [{"event": "followup", "timestamp": None, "name": "action_fallback_clarify"}]
    dispatcher = CollectingDispatcher()
    tracker = reply_to([], "I'm tomasz", entities=[{"entity": "name", "value": "tomasz"}])
    assert (await ActionRememberName().run(dispatcher, tracker, {}))[0]["value"] == "Tomasz"


async def test_the_name_button_asks_for_the_name() -> None:
    dispatcher = CollectingDispatcher()
    assert await ActionRememberName().run(dispatcher, reply_to([], "/tell_name"), {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_name"]


async def test_nonsense_read_as_a_name_goes_to_the_clarifying_fallback() -> None:
    """The classifier may call "blorp fizz" tell_name; with no name in it, it was not understood."""
    dispatcher = CollectingDispatcher()
    events = await ActionRememberName().run(dispatcher, reply_to([], "blorp fizz"), {})
    assert events == [{"event": "followup", "timestamp": None, "name": "action_fallback_clarify"}]
    assert dispatcher.messages == []
