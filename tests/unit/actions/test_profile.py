from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.profile import ActionRecallName, ActionRememberName, name_from_text, normalize_name


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
    tracker = tracker_factory(intent="tell_name", entities=[{"entity": "name", "value": "42"}])
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
