"""Voltline's CSAT actions on the kit's behaviour: ask once, record the rating and its context."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.csat import ActionAskCsat, ActionRecordCsat
from bot.contract.csat import parse_rating, prompt_context, prompt_metadata


def user(text: str, intent: str = "inform") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def tracker(events: list[dict[str, Any]], entities: list[dict[str, Any]] | None = None) -> Tracker:
    last = next(e for e in reversed(events) if e["event"] == "user")
    latest = {
        "text": last["text"],
        "intent": last["parse_data"]["intent"],
        "entities": entities or [],
    }
    return Tracker("c1", {}, latest, events, False, None, {}, "action_listen")


def run(action: Any, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_goodbye_asks_for_a_rating_with_buttons_and_the_prompt_record() -> None:
    messages, events = run(ActionAskCsat(), tracker([user("bye", "goodbye")]))
    assert events == []
    [question] = messages
    assert question["response"] == "utter_ask_csat"
    assert [parse_rating(b["payload"]) for b in question["buttons"]] == [1, 2, 3, 4, 5]
    assert prompt_context(question["metadata"]) == "conversation"


def test_after_a_person_gave_the_conversation_back_the_context_is_handoff() -> None:
    events = [user("I want a person", "ask_human"), {"event": "pause"}, {"event": "resume"}]
    [question], _ = run(ActionAskCsat(), tracker([*events, {"event": "bot", "text": "back"}]))
    assert prompt_context(question["metadata"]) == "handoff"


def test_the_question_is_not_asked_twice_in_a_row() -> None:
    asked = {"event": "bot", "text": "How did I do?", "metadata": prompt_metadata("conversation")}
    again = [user("bye", "goodbye"), asked, user("bye!", "goodbye")]
    assert run(ActionAskCsat(), tracker(again)) == ([], [])
    rated = [*again[:2], user("5"), {"event": "bot", "text": "thanks"}, user("bye", "goodbye")]
    assert run(ActionAskCsat(), tracker(rated)) == ([], [])
    moved_on = [*again[:2], user("when do you open?", "ask_store_hours"), user("bye", "goodbye")]
    assert len(run(ActionAskCsat(), tracker(moved_on))[0]) == 1


def test_a_typed_rating_after_the_question_is_recorded_with_its_context() -> None:
    asked = {"event": "bot", "text": "How did we do?", "metadata": prompt_metadata("handoff")}
    messages, events = run(ActionRecordCsat(), tracker([asked, user("great")]))
    assert [m["response"] for m in messages] == ["utter_csat_thanks"]
    assert [(e["name"], e["value"]) for e in events] == [
        ("csat_score", 5),
        ("csat_context", "handoff"),
    ]


def test_a_button_payload_is_recorded_and_a_low_score_gets_the_apology() -> None:
    payload = '/rate_csat{"csat_score": 2}'
    messages, events = run(ActionRecordCsat(), tracker([user(payload, "rate_csat")]))
    assert [m["response"] for m in messages] == ["utter_csat_thanks_low"]
    assert [(e["name"], e["value"]) for e in events] == [
        ("csat_score", 2),
        ("csat_context", "conversation"),
    ]


def test_the_score_entity_wins_and_a_message_without_a_score_changes_nothing() -> None:
    entity = [{"entity": "csat_score", "value": "3"}]
    _, events = run(ActionRecordCsat(), tracker([user("/rate_csat", "rate_csat")], entity))
    assert events[0]["value"] == 3
    messages, events = run(ActionRecordCsat(), tracker([user("I'd like to rate you", "rate_csat")]))
    assert events == [] and [m["response"] for m in messages] == ["utter_csat_not_a_rating"]
