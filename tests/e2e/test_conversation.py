"""The real thing: Rasa and the action server as processes, a conversation over REST."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import rest_conversation_id, say, send, tracker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def test_conversation_goes_through_custom_actions_and_survives_a_restart(
    assistant: Supervisor,
) -> None:
    sender = "e2e-restart"
    first = say(assistant, sender, "hello")
    assert "What should I call you?" in first

    assert say(assistant, sender, "my name is ana") == [
        "Nice to meet you, Ana! How can I help you today?"
    ]
    hours = say(assistant, sender, "when does the downtown store open?")
    assert hours and hours[0].startswith("Voltline Downtown (12 Market Street)")

    assistant.restart_rasa()

    assert say(assistant, sender, "what's my name?") == ["Of course, you're Ana."]
    state = tracker(assistant, sender)
    assert state["slots"]["customer_name"] == "Ana"
    user_texts = [e["text"] for e in state["events"] if e["event"] == "user"]
    assert user_texts[:3] == ["hello", "my name is ana", "when does the downtown store open?"]
    assert sum(1 for e in state["events"] if e["event"] == "session_started") == 1

    db: Path = assistant.settings.tracker_db
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute(
            "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = 'user'",
            (rest_conversation_id(sender),),
        ).fetchone()
    assert stored == 4


def test_bad_input_gets_4xx_or_a_polite_reply_and_nothing_breaks(assistant: Supervisor) -> None:
    url = f"{assistant.settings.rasa_url}/webhooks/rest/webhook"
    post = httpx.Client(timeout=60).post
    assert post(url, content=b"{not json").status_code == 400
    assert post(url, content=b"\xff\xfe\xfa").status_code == 400
    missing_sender = post(url, json={"message": "hi"})
    assert missing_sender.status_code == 400
    assert '"sender" is missing' in missing_sender.json()["error"]
    too_long = post(url, json={"sender": "e2e-bad", "message": "x" * 100_000})
    assert too_long.status_code == 413
    empty = post(url, json={"sender": "e2e-bad", "message": ""})
    assert empty.status_code == 200
    assert "empty" in empty.json()[0]["text"]

    assert say(assistant, "e2e-bad", "am I talking to a bot?")[0].startswith("I'm")
    events = tracker(assistant, "e2e-bad")["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["am I talking to a bot?"]


def test_dead_action_server_gets_an_apology_then_recovers(assistant: Supervisor) -> None:
    assistant.actions.stop()
    try:
        reply = say(assistant, "e2e-dead", "when are you open?")
        assert len(reply) == 1
        assert reply[0].startswith("Sorry, something went wrong on our side")
    finally:
        assistant.actions.start()
        assistant.actions.wait_ready(time.monotonic() + 60)
    assert say(assistant, "e2e-dead", "when are you open?")[0].startswith("Our stores:")


def test_not_understood_twice_leads_to_the_offer_of_a_person(assistant: Supervisor) -> None:
    user = "e2e-fallback"
    first = send(assistant, user, "blorp fizzle wug snark")
    assert first[0]["text"] == "Sorry, I'm not sure I understood. Did you mean one of these?"
    assert len(first[0]["buttons"]) == 2
    assert all(b["payload"].startswith("/") for b in first[0]["buttons"])
    second = send(assistant, user, "zork quux plonk")
    assert second[0]["text"].startswith("I'm still not getting it")
    assert {b["payload"] for b in second[0]["buttons"]} == {"/ask_human", "/deny"}
    assert "colleague" in " ".join(say(assistant, user, "/ask_human"))
