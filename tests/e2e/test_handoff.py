"""Human handoff across the real processes: Rasa, the action server, the handoff service.

The customer talks over REST here (the browser version is test_handoff_browser.py);
the agent works the console's HTTP API as its page does. Rasa's tracker is the
record both sides are checked against.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import rest_conversation_id, say, send, tracker
from tests.e2e.console_client import Console, create_agent, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def agent_login(assistant: Supervisor) -> tuple[str, str]:
    email, password = "grace@voltline.example", secrets.token_urlsafe(16)
    create_agent(assistant, email=email, name="Grace", password=password)
    return email, password


@pytest.fixture
def console(assistant: Supervisor, agent_login: tuple[str, str]) -> Iterator[Console]:
    agent = Console(assistant.settings.handoff_url).login(*agent_login)
    yield agent
    agent.http.close()


def conversation(events: list[dict[str, Any]], since: int = 0) -> list[tuple[str, str]]:
    """(who, text) of the user and bot messages in a tracker's events, from ``since``."""
    out = []
    for event in events[since:]:
        if event["event"] == "user":
            out.append(("customer", event["text"]))
        elif event["event"] == "bot":
            who = "agent" if (event.get("metadata") or {}).get("agent") else "bot"
            out.append((who, event.get("text") or ""))
    return out


def hand_over(assistant: Supervisor, sender: str) -> None:
    reply = say(assistant, sender, "I want to talk to a person")
    assert any("colleague" in text for text in reply), reply
    assert tracker(assistant, sender)["paused"] is True


def test_an_agent_takes_over_and_hands_back_with_the_context_intact(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-handoff-" + secrets.token_hex(4)
    say(assistant, sender, "hello")
    assert say(assistant, sender, "my name is ada") == [
        "Nice to meet you, Ada! How can I help you today?"
    ]
    hand_over(assistant, sender)

    handoff = console.handoff_for(rest_conversation_id(sender))
    assert (handoff["status"], handoff["reason"], handoff["channel"]) == (
        "waiting", "customer_request", "rest",
    )  # fmt: skip
    console.post(f"/handoffs/{handoff['id']}/claim")

    # While paused the bot stays silent; the agent sees the message.
    assert send(assistant, sender, "my order 1234 hasn't arrived") == []
    console.wait_for_message(handoff["id"], "my order 1234 hasn't arrived")
    detail = console.get(f"/handoffs/{handoff['id']}")
    assert detail["summary"], "the console shows a summary of the conversation"
    assert detail["suggestions"], "and suggested replies"

    console.post(f"/handoffs/{handoff['id']}/reply", {"text": "Sorry about that, Ada. Checking."})
    events = tracker(assistant, sender)["events"]
    assert ("agent", "Sorry about that, Ada. Checking.") in conversation(events)

    console.post(f"/handoffs/{handoff['id']}/return")
    state = tracker(assistant, sender)
    assert state["paused"] is False
    assert state["slots"]["customer_name"] == "Ada"
    assert say(assistant, sender, "what's my name?") == ["Of course, you're Ada."]


def test_200_messages_while_paused_arrive_in_order_in_console_and_tracker(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-order-" + secrets.token_hex(4)
    hand_over(assistant, sender)
    handoff = console.handoff_for(rest_conversation_id(sender))
    console.post(f"/handoffs/{handoff['id']}/claim")
    start = len(tracker(assistant, sender)["events"])

    expected: list[tuple[str, str]] = []
    for i in range(200):
        text = f"customer message {i:03d}"
        assert send(assistant, sender, text) == []
        expected.append(("customer", text))
        if i % 10 == 9:
            reply = f"agent reply after {i:03d}"
            console.post(f"/handoffs/{handoff['id']}/reply", {"text": reply})
            expected.append(("agent", reply))

    in_tracker = conversation(tracker(assistant, sender)["events"], start)
    assert in_tracker == expected

    wanted = set(expected)

    def console_sequence() -> list[tuple[str, str]]:
        shown = [(m["sender"], m["text"]) for m in console.messages(handoff["id"])]
        return [m for m in shown if m in wanted]

    wait_for(
        lambda: len(console_sequence()) >= len(expected),
        timeout_s=30,
        what="all 220 messages in the console",
    )
    assert console_sequence() == expected
    console.post(f"/handoffs/{handoff['id']}/resolve")


def test_a_handoff_service_restart_loses_nothing(assistant: Supervisor, console: Console) -> None:
    sender = "e2e-svc-restart-" + secrets.token_hex(4)
    hand_over(assistant, sender)
    handoff = console.handoff_for(rest_conversation_id(sender))
    console.post(f"/handoffs/{handoff['id']}/claim")

    assistant.handoff.stop()
    try:
        for text in ("are you there?", "hello??", "still waiting"):
            assert send(assistant, sender, text) == []
    finally:
        assistant.restart(assistant.handoff)
    for text in ("are you there?", "hello??", "still waiting"):
        console.wait_for_message(handoff["id"], text)
    console.post(f"/handoffs/{handoff['id']}/resolve")


def test_an_engine_restart_keeps_a_paused_conversation_paused(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-engine-restart-" + secrets.token_hex(4)
    hand_over(assistant, sender)
    handoff = console.handoff_for(rest_conversation_id(sender))

    assistant.restart_rasa()

    assert tracker(assistant, sender)["paused"] is True
    assert send(assistant, sender, "hello? did you restart?") == []
    console.wait_for_message(handoff["id"], "hello? did you restart?")
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/return")
    assert tracker(assistant, sender)["paused"] is False


def test_an_upset_customer_is_handed_over_mid_form_with_the_reason(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-upset-" + secrets.token_hex(4)
    say(assistant, sender, "which mobile plan is right for me?")
    reply = say(assistant, sender, "this is RIDICULOUS, I've asked three times already!!!")
    assert any("colleague" in text for text in reply), reply
    state = tracker(assistant, sender)
    assert state["paused"] is True
    assert state["active_loop"] in ({}, None) or not state["active_loop"].get("name")
    handoff = console.handoff_for(rest_conversation_id(sender))
    assert handoff["reason"] == "frustration"
    assert handoff["priority"] == 8
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/resolve")


def test_customers_cannot_reach_the_console_or_the_engine_api(assistant: Supervisor) -> None:
    base = assistant.settings.handoff_url
    assert httpx.get(f"{base}/console/api/queue", timeout=10).status_code == 401
    page = httpx.get(f"{base}/console/", timeout=10)
    assert page.status_code == 303 and page.headers["location"].endswith("/console/login")
    forged = httpx.post(
        f"{base}/api/handoffs",
        json={"conversation_id": "x", "channel": "rest", "reason": "customer_request"},
        headers={"Authorization": "Bearer not-the-token"},
        timeout=10,
    )
    assert forged.status_code == 401


def test_out_of_hours_the_customer_leaves_contact_details_as_a_ticket(
    assistant: Supervisor,
) -> None:
    import datetime as dt
    import sqlite3

    # Open only on the day after tomorrow: closed now, whatever the day.
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (dt.datetime.now(dt.timezone.utc).weekday() + 2) % 7
    ]
    service = assistant.handoff
    always = dict(service.env)
    service.env = {**always, "TANDEM_HANDOFF_OPEN_HOURS": f"{day} 09:00-17:00"}
    assistant.restart(service)
    try:
        sender = "e2e-closed-" + secrets.token_hex(4)
        reply = " ".join(say(assistant, sender, "I want to talk to a person"))
        assert "0800 555 0199" in reply
        assert "e-mail address or phone number" in reply
        assert tracker(assistant, sender)["paused"] is False
        assert say(assistant, sender, "tomorrow maybe") != []  # not a contact: asked again
        confirmation = " ".join(say(assistant, sender, "it's ada@example.com"))
        assert "ada@example.com" in confirmation
    finally:
        service.env = always
        assistant.restart(service)
    db = assistant.settings.state_dir / "handoff.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT contact, note FROM tickets WHERE conversation_id = ?",
            (rest_conversation_id(sender),),
        ).fetchall()
    assert len(rows) == 1 and rows[0][0] == "ada@example.com"
    assert "customer_request" in rows[0][1]


def test_after_the_agent_returns_the_conversation_the_customer_is_asked_to_rate_it(
    assistant: Supervisor, console: Console
) -> None:
    """CSAT (issue 21): the handoff-context question, answered by typing a digit."""
    from bot.contract.csat import prompt_context

    sender = "e2e-csat-" + secrets.token_hex(4)
    say(assistant, sender, "hello")
    hand_over(assistant, sender)
    handoff = console.handoff_for(rest_conversation_id(sender))
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/reply", {"text": "All sorted, anything else?"})
    console.post(f"/handoffs/{handoff['id']}/return")

    events = tracker(assistant, sender)["events"]
    questions = [e for e in events if e["event"] == "bot" and prompt_context(e.get("metadata"))]
    assert [prompt_context(q["metadata"]) for q in questions] == ["handoff"]
    assert [b["title"] for b in questions[0]["data"]["buttons"]] == ["1", "2", "3", "4", "5"]

    assert say(assistant, sender, "5") == ["Thanks for rating us, that helps us improve!"]
    slots = tracker(assistant, sender)["slots"]
    assert (slots["csat_score"], slots["csat_context"]) == (5, "handoff")
    # and a goodbye right after does not ask again
    reply = say(assistant, sender, "bye")
    assert reply and not any("how did I do" in text for text in reply), reply
