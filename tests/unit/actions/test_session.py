# ruff: noqa: RUF001  (Chinese texts, on purpose)
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart


async def test_returning_customer_is_welcomed_and_slots_carried_over(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"customer_name": "Ana", "store": None})
    events = await ActionSessionStart().run(dispatcher, tracker, {})
    assert [e["event"] for e in events] == ["session_started", "slot", "action"]
    assert events[1]["name"] == "customer_name" and events[1]["value"] == "Ana"
    assert events[2]["name"] == "action_listen"
    assert dispatcher.messages[0]["text"].startswith("Welcome back, Ana!")


async def test_new_customer_gets_no_welcome_back(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, tracker_factory(), {})
    assert [e["event"] for e in events] == ["session_started", "action"]
    assert dispatcher.messages == []


async def test_a_returning_chinese_customer_is_welcomed_in_chinese(tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"customer_name": "小王", "language": "zh"})
    events = await ActionSessionStart().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["text"] == "欢迎回来，小王！今天有什么可以帮您？"
    assert {"event": "slot", "name": "language", "value": "zh", "timestamp": None} in [
        {**e, "timestamp": None} for e in events
    ]


async def test_a_new_customer_starts_in_the_language_their_channel_reports(
    tracker_factory,
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(slots={"session_started_metadata": {"language": "zh-CN"}})
    events = await ActionSessionStart().run(dispatcher, tracker, {})
    assert [(e.get("name"), e.get("value")) for e in events if e["event"] == "slot"] == [
        ("language", "zh")
    ]
    unknown = tracker_factory(slots={"session_started_metadata": {"locale": "fr_FR"}})
    events = await ActionSessionStart().run(CollectingDispatcher(), unknown, {})
    assert not [e for e in events if e["event"] == "slot" and e["name"] == "language"]
