"""Issue 18, finding 8 and leftovers, on the real servers: what a customer meets."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import say, send, tracker
from tests.unit.actions.test_next_steps import DEAD_ENDS, offered_buttons

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def card(messages: list[dict[str, Any]]) -> dict[str, Any]:
    cards = [m["custom"] for m in messages if m.get("custom")]
    assert len(cards) == 1, messages
    return dict(cards[0])


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in m.get("buttons") or []]


# --- a bare name after "What should I call you?" ---------------------------------------


@pytest.mark.parametrize(
    ("reply", "name"), [("sam", "Sam"), ("Priya", "Priya"), ("jean-luc", "Jean-Luc")]
)
def test_a_bare_name_answers_the_name_question(
    assistant: Supervisor, reply: str, name: str
) -> None:
    sender = f"e2e-name-{reply}"
    assert "What should I call you?" in texts(send(assistant, sender, "hello"))
    assert texts(send(assistant, sender, reply)).startswith(f"Nice to meet you, {name}!")
    assert tracker(assistant, sender)["slots"]["customer_name"] == name


def test_a_question_after_the_name_question_is_answered_not_taken_for_a_name(
    assistant: Supervisor,
) -> None:
    sender = "e2e-name-question"
    send(assistant, sender, "hi there")
    reply = texts(send(assistant, sender, "when does the riverside store open?"))
    assert "Nice to meet you" not in reply and "Voltline Riverside" in reply
    assert tracker(assistant, sender)["slots"]["customer_name"] is None


# --- other languages ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "local"),
    [
        ("Guten Tag, ich suche ein günstiges Handy. Können Sie mir helfen?", "Englisch"),
        ("Bonjour, est-ce que vous livrez le dimanche ?", "anglais"),
        ("Hola, ¿cuánto cuesta el envío a mi casa?", "inglés"),
        ("こんにちは、返品について教えてください", "英語"),
        ("مرحبا، أريد شراء هاتف جديد", "الإنجليزية"),
    ],
)
def test_another_language_gets_a_polite_note_not_irrelevant_buttons(
    assistant: Supervisor, message: str, local: str
) -> None:
    reply = send(assistant, f"e2e-lang-{abs(hash(message)) % 10**8}", message)
    said = texts(reply)  # REST sends each paragraph as a message: the local note, then English
    assert local in said and "Sorry, I can only chat in English" in said
    assert not buttons(reply)


def test_chinese_is_spoken_the_conversation_keeps_it_and_english_takes_it_back(
    assistant: Supervisor,
) -> None:
    """docs/languages.md: the language slot follows clear messages and keeps through short ones."""
    sender = "e2e-lang-zh"
    reply = texts(send(assistant, sender, "你好"))
    assert re.search(r"[\u4e00-\u9fff]", reply) and "Sorry, I can only chat" not in reply
    assert tracker(assistant, sender)["slots"]["language"] == "zh"
    send(assistant, sender, "ok")
    assert tracker(assistant, sender)["slots"]["language"] == "zh"
    send(assistant, sender, "hello, where is my order please?")
    assert tracker(assistant, sender)["slots"]["language"] == "en"


# --- every button leads somewhere -----------------------------------------------------


def every_button() -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for button in offered_buttons():
        seen.setdefault(button["payload"], button)
    return list(seen.values())


def assert_not_a_dead_end(reply: list[dict[str, Any]], what: str) -> None:
    assert reply, f"{what}: no reply"
    said = texts(reply)
    assert said.strip() or any(m.get("custom") for m in reply), f"{what}: {reply}"
    hits = [phrase for phrase in DEAD_ENDS if phrase in said]
    assert not hits, f"{what} led to {said!r}"


def test_every_button_the_assistant_offers_leads_to_a_useful_reply(assistant: Supervisor) -> None:
    for n, button in enumerate(every_button()):
        reply = send(assistant, f"e2e-button-{n}", button["payload"])
        assert_not_a_dead_end(reply, f"{button['title']} ({button['payload']})")


def test_a_clarifying_button_answers_the_message_it_clarifies(assistant: Supervisor) -> None:
    sender = "e2e-clarify"
    first = send(assistant, sender, "hmm the thing with sending stuff back, how does that go")
    offered = buttons(first) or [{"title": "A question about our store", "payload": "/ask_faq"}]
    for button in offered:
        sender = f"e2e-clarify-{button['payload'].strip('/')}"
        send(assistant, sender, "hmm the thing with sending stuff back, how does that go")
        assert_not_a_dead_end(send(assistant, sender, button["payload"]), button["title"])


# --- the demo page --------------------------------------------------------------------


def test_the_demo_page_shows_the_catalogue_prices(assistant: Supervisor) -> None:
    page = httpx.get(f"{assistant.settings.rasa_url}/webhooks/webchat/demo", timeout=30).text
    assert re.search(r"<h2>Nova 8</h2>.*?£599<", page) and re.search(
        r"<h2>Pulse ANC</h2>.*?£249<", page
    )
    assert "£549" not in page and "£129" not in page


# --- a card and a lead-in, details, compare, a carried budget -------------------------


def test_recommendations_are_a_card_with_a_lead_in_and_working_next_steps(
    assistant: Supervisor,
) -> None:
    sender = "e2e-recs-next"
    reply = send(assistant, sender, "could you suggest some headphones?")
    data = card(reply)["data"]
    items = data["items"]
    assert len(items) >= 2
    lead = texts(reply)
    assert lead and not any(i["name"] in lead for i in items), "the text repeats the card"
    offered = buttons(reply)
    titles = [b["title"] for b in offered]
    assert titles[: len(items)] == [f"Details: {i['name']}" for i in items]
    assert "Compare these" in titles and "Check financing" in titles

    details = texts(send(assistant, sender, offered[0]["payload"]))
    assert details.startswith(f"{items[0]['name']}: £{items[0]['price']:,.0f}.")
    compare_payload = next(b["payload"] for b in offered if b["title"] == "Compare these")
    comparison = texts(send(assistant, sender, compare_payload))
    assert comparison.startswith("Comparing ") and all(i["name"] in comparison for i in items)


def test_a_budget_from_an_earlier_turn_is_kept(assistant: Supervisor) -> None:
    sender = "e2e-recs-carry"
    send(assistant, sender, "my budget is 100")
    reply = send(assistant, sender, "show me headphones")
    data = card(reply)["data"]
    assert data["items"] and all(i["price"] <= 100 for i in data["items"]), data["items"]
    assert "budget you mentioned" in texts(reply)


# --- a closed store says when it opens ------------------------------------------------


def test_a_closed_store_says_when_it_next_opens(assistant: Supervisor) -> None:
    assistant.actions.env["TANDEM_STORE_CLOCK"] = "2026-11-29T19:00:00+00:00"  # a Sunday evening
    assistant.restart(assistant.actions)
    try:
        reply = say(assistant, "e2e-store-closed", "is the downtown store open?")
        assert "Voltline Downtown" in reply[0]
        assert "is closed now, opens tomorrow at 09:00" in reply[0]
        overview = say(assistant, "e2e-store-closed-all", "what are your opening hours?")
        assert "Voltline Riverside: 11:00-17:00 today (closed now, opens tomorrow at 10:00)" in (
            "\n".join(overview)
        )
    finally:
        del assistant.actions.env["TANDEM_STORE_CLOCK"]
        assistant.restart(assistant.actions)
