"""Handoff as a customer meets it, on the real servers: the wait they are told, taking
the request back, a form interrupted by it, an upset customer, what the agent reads,
and the support hours.

Customers talk over REST; the agent works the console's HTTP API. The browser
side of the queue updates is in test_handoff_browser.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import rest_conversation_id, say, send, tracker
from tests.e2e.console_client import Console, create_agent, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def agent_login(assistant: Supervisor) -> tuple[str, str]:
    email, password = f"hedy-{secrets.token_hex(3)}@voltline.example", secrets.token_urlsafe(16)
    create_agent(assistant, email=email, name="Hedy", password=password)
    return email, password


@pytest.fixture
def console(assistant: Supervisor, agent_login: tuple[str, str]) -> Iterator[Console]:
    agent = Console(assistant.settings.handoff_url).login(*agent_login)
    yield agent
    agent.http.close()


def handoff_reply(messages: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """The bot's words and the handoff state it sent (REST returns them as two messages)."""
    found = [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "handoff"]
    assert found, messages
    return " ".join(m.get("text") or "" for m in messages).strip(), found[-1]


def bot_events(assistant: Supervisor, sender: str) -> list[dict[str, Any]]:
    return [e for e in tracker(assistant, sender)["events"] if e["event"] == "bot"]


def test_the_bot_tells_the_services_estimate_in_the_same_words_as_the_banner(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-wait-" + secrets.token_hex(4)
    text, custom = handoff_reply(send(assistant, sender, "can i talk to a real person please"))
    assert custom["state"] == "waiting"
    # the words the widget's banner shows are the ones in the bot's message
    assert f"{custom['place_text']} {custom['wait_text']}" in text
    if custom["expected_wait_min"] is None:
        assert "minute" not in text  # no made-up figure
    else:
        assert f"about {custom['expected_wait_min']} minute" in text
    assert custom["agents_online"] >= 1  # this module's agent has the console open
    handoff = console.handoff_for(rest_conversation_id(sender))
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/resolve")


@pytest.mark.parametrize("words", ["never mind", "forget it, I'll wait for the bot"])
def test_a_waiting_customer_cancels_and_the_bot_is_back(
    assistant: Supervisor, console: Console, words: str
) -> None:
    sender = "e2e-cancel-" + secrets.token_hex(4)
    assert say(assistant, sender, "my name is grace") == [
        "Nice to meet you, Grace! How can I help you today?"
    ]
    assert any("colleague" in t for t in say(assistant, sender, "I want to talk to a person"))
    handoff = console.handoff_for(rest_conversation_id(sender))
    # a message for the colleague that mentions cancelling stays in the queue
    assert send(assistant, sender, "can I cancel my order 5531?") == []
    console.wait_for_message(handoff["id"], "can I cancel my order 5531?")
    assert tracker(assistant, sender)["paused"] is True
    assert console.get(f"/handoffs/{handoff['id']}")["handoff"]["status"] == "waiting"

    send(assistant, sender, words)
    wait_for(
        lambda: tracker(assistant, sender)["paused"] is False,
        timeout_s=30,
        what="the cancelled conversation back with the bot",
    )
    said = [e.get("text") or "" for e in bot_events(assistant, sender)]
    assert any(t.startswith("OK, I've cancelled your request for a colleague.") for t in said)
    detail = wait_for(
        lambda: (
            (d := console.get(f"/handoffs/{handoff['id']}"))["handoff"]["status"] == "cancelled"
            and d
        ),
        timeout_s=15,
        what="the request shown as cancelled in the console",
    )
    assert words in [m["text"] for m in detail["messages"]]
    assert all(h["id"] != handoff["id"] for h in console.get("/queue"))
    # the bot answers again, with what it knew before
    assert say(assistant, sender, "what's my name?") == ["Of course, you're Grace."]


def test_asking_for_a_person_mid_form_keeps_the_answers_and_the_customer_can_carry_on(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-midform-" + secrets.token_hex(4)
    say(assistant, sender, "I need a new mobile plan")
    say(assistant, sender, "about 12 GB")
    assert tracker(assistant, sender)["slots"]["plan_data_gb"] == 12
    reply = " ".join(say(assistant, sender, "can I speak to a human please"))
    assert "colleague" in reply and "forgotten" not in reply
    state = tracker(assistant, sender)
    assert state["paused"] is True and state["slots"]["plan_data_gb"] == 12

    handoff = console.handoff_for(rest_conversation_id(sender))
    detail = console.get(f"/handoffs/{handoff['id']}")
    assert float(detail["context"]["slots"]["plan_data_gb"]) == 12
    assert "Interrupted: the mobile plan questions" in detail["summary"]
    assert "plan data gb: 12" in detail["summary"]
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/return")

    back = bot_events(assistant, sender)[-1]
    assert "back with" in back["text"]
    [button] = back["data"]["buttons"]
    assert button["payload"] == "/ask_plan_advice"
    # carrying on asks what is still missing, not the data question again
    carried_on = " ".join(say(assistant, sender, button["payload"]))
    assert "How much mobile data" not in carried_on
    assert tracker(assistant, sender)["slots"]["plan_data_gb"] == 12
    assert (tracker(assistant, sender)["active_loop"] or {}).get("name") == "mobile_plan_form"


def test_an_upset_customer_hears_an_apology_before_the_handoff(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-sorry-" + secrets.token_hex(4)
    reply = say(assistant, sender, "this is RIDICULOUS, my refund STILL hasn't come!!! useless")
    assert reply[0].startswith("I'm sorry"), reply
    assert any("colleague" in t for t in reply[1:]), reply
    handoff = console.handoff_for(rest_conversation_id(sender))
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/resolve")


def test_the_agent_reads_the_customers_problem_and_replies_that_use_it(
    assistant: Supervisor, console: Console
) -> None:
    sender = "e2e-summary-" + secrets.token_hex(4)
    say(assistant, sender, "hi")
    say(assistant, sender, "my nova 8 wont charge after 2 days, mail me at ada@example.com")
    say(assistant, sender, "I want to talk to a person")
    handoff = console.handoff_for(rest_conversation_id(sender))
    detail = console.get(f"/handoffs/{handoff['id']}")
    first = detail["summary"].splitlines()[0]
    assert first == (
        "Problem (in the customer's words): my nova 8 wont charge after 2 days, mail me at [email]"
    )
    assert "Request: I want to talk to a person" not in detail["summary"]
    assert "answer outcome" not in detail["summary"]
    assert any("my nova 8 wont charge" in s for s in detail["suggestions"])
    console.post(f"/handoffs/{handoff['id']}/claim")
    console.post(f"/handoffs/{handoff['id']}/resolve")


def test_outside_the_support_hours_no_colleague_is_promised(
    assistant: Supervisor, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The hours come from the support page (a copy that names the day after tomorrow,
    so the team is away whatever the time the test runs at)."""
    from bot.handoff.hours import OpenHours

    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    now = dt.datetime.now(dt.UTC)
    day = days[(now.astimezone(dt.timezone.utc).weekday() + 2) % 7]
    page = tmp_path_factory.mktemp("knowledge") / "support.md"
    page.write_text(
        f"# Customer support\n\nOur team answers {day}, 09:00-17:00.\n", encoding="utf-8"
    )
    service = assistant.handoff
    before = dict(service.env)
    service.env = {k: v for k, v in before.items() if k != "TANDEM_HANDOFF_OPEN_HOURS"} | {
        "TANDEM_HANDOFF_HOURS_FILE": str(page),
        "TANDEM_HANDOFF_TIMEZONE": "UTC",
    }
    assistant.restart(service)
    try:
        sender = "e2e-hours-" + secrets.token_hex(4)
        text, custom = handoff_reply(send(assistant, sender, "I want to talk to a person"))
        assert custom == {"type": "handoff", "state": "unavailable", "reason": "closed"}
        expected = OpenHours.parse(f"{day[:3].lower()} 09:00-17:00").describe_next(now)
        assert f"next available {expected}" in text
        assert "I've asked a colleague" not in text
        assert "e-mail address or phone number" in text
        assert tracker(assistant, sender)["paused"] is False
        confirmation = " ".join(say(assistant, sender, "grace@example.com"))
        assert "grace@example.com" in confirmation
    finally:
        service.env = before
        assistant.restart(service)
