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
