"""Issue 18, finding 2 on the real servers: forms no longer trap customers.

Questions that mention plans are answered without starting the plan form;
inside a form a question is answered and the pending question asked again;
corrections in natural words change the answer they name, also right after the
result; units are kept; exits in natural words leave cleanly; and every turn
gets a bot message.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import send, tracker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

ASK = {
    "plan_data_gb": "How much mobile data",
    "plan_minutes": "minutes of calls",
    "plan_roaming_days": "days a month are you abroad",
    "plan_budget": "monthly budget",
    "savings_date": "By when?",
    "credit_term_months": "Over how many months",
}


def fresh(name: str) -> str:
    return f"e2e-forms-{name}-{secrets.token_hex(3)}"


def turn(assistant: Supervisor, user: str, text: str) -> list[dict[str, Any]]:
    """One customer message; it must get at least one bot message (sub-point 5)."""
    messages = send(assistant, user, text)
    assert messages and any((m.get("text") or "").strip() for m in messages), (text, messages)
    return messages


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def last_text(messages: list[dict[str, Any]]) -> str:
    return [m.get("text") or "" for m in messages if m.get("text")][-1]


def state(assistant: Supervisor, user: str) -> tuple[str | None, dict[str, Any]]:
    data = tracker(assistant, user)
    return (data.get("active_loop") or {}).get("name"), data["slots"]


def start_plan_form(assistant: Supervisor, user: str) -> None:
    assert ASK["plan_data_gb"] in texts(turn(assistant, user, "can u help me pick a phone plan"))
    assert state(assistant, user)[0] == "mobile_plan_form"


@pytest.mark.parametrize(
    "question",
    [
        "whats the difference between the basic and plus plans",
        "does plus include roaming in germany?",
        "how do i cancel my sim plan",
        "how much is the unlimited plan a month?",
        "is there a fee if I leave my tarif early",
    ],
)
def test_questions_that_mention_plans_do_not_start_the_plan_form(
    assistant: Supervisor, question: str
) -> None:
    user = fresh("planq")
    reply = texts(turn(assistant, user, question))
    assert ASK["plan_data_gb"] not in reply
    assert state(assistant, user)[0] is None


def test_a_wish_for_advice_starts_the_plan_form(assistant: Supervisor) -> None:
    start_plan_form(assistant, fresh("advice"))


def test_questions_inside_the_plan_form_are_answered_and_the_question_asked_again(
    assistant: Supervisor,
) -> None:
    user = fresh("digress")
    start_plan_form(assistant, user)
    assert ASK["plan_minutes"] in last_text(turn(assistant, user, "10gb"))

    reply = turn(assistant, user, "my nova 8 wont charge")
    assert ASK["plan_minutes"] in last_text(reply)
    form, slots = state(assistant, user)
    assert form == "mobile_plan_form"
    assert slots["plan_data_gb"] == 10 and slots["plan_minutes"] is None

    assert ASK["plan_roaming_days"] in last_text(turn(assistant, user, "300"))
    reply = turn(assistant, user, "how much is the Nova 8?")
    assert len(reply) >= 2 and ASK["plan_roaming_days"] in last_text(reply)
    assert state(assistant, user)[1]["plan_roaming_days"] is None

    assert ASK["plan_budget"] in last_text(turn(assistant, user, "none"))
    reply = turn(assistant, user, "whats the interest rate if i pay over 24 months")
    assert ASK["plan_budget"] in last_text(reply)
    assert state(assistant, user)[1]["plan_budget"] is None

    reply = turn(assistant, user, "when do u close on saturday")
    assert ASK["plan_budget"] in last_text(reply)
    assert state(assistant, user)[0] == "mobile_plan_form"

    result = turn(assistant, user, "twenty quid")
    [card] = [m["custom"] for m in result if m.get("custom")]
    assert card["data"]["usage"] == {
        "data_gb": 10.0,
        "minutes": 300.0,
        "roaming_days": 0.0,
        "budget": 20.0,
    }


def test_a_question_inside_the_savings_form_is_answered_and_the_form_resumed(
    assistant: Supervisor,
) -> None:
    user = fresh("savings")
    turn(assistant, user, "I want to start a savings plan")
    assert ASK["savings_date"] in last_text(turn(assistant, user, "5000"))
    reply = turn(assistant, user, "what are your opening hours on sunday?")
    assert ASK["savings_date"] in last_text(reply)
    form, slots = state(assistant, user)
    assert form == "savings_plan_form" and slots["savings_goal"] == 5000


def test_corrections_and_units_inside_the_plan_form(assistant: Supervisor) -> None:
    user = fresh("correct")
    start_plan_form(assistant, user)
    turn(assistant, user, "10 GB")
    reply = turn(assistant, user, "actually make that 20 GB")
    assert "20" in texts(reply) and ASK["plan_minutes"] in last_text(reply)
    assert state(assistant, user)[1]["plan_data_gb"] == 20

    turn(assistant, user, "unlimited")
    assert state(assistant, user)[1]["plan_minutes"] >= 10_000
    reply = turn(assistant, user, "no, I meant 300 minutes")
    assert state(assistant, user)[1]["plan_minutes"] == 300

    reply = turn(assistant, user, "5 days a year")
    assert "a year" in texts(reply) and ASK["plan_budget"] in last_text(reply)
    assert state(assistant, user)[1]["plan_roaming_days"] == 1

    result = turn(assistant, user, "£20 a month")
    [card] = [m["custom"] for m in result if m.get("custom")]
    assert card["data"]["usage"]["budget"] == 20.0
    assert card["data"]["usage"]["data_gb"] == 20.0

    revised = turn(assistant, user, "change the budget to 25")
    [card] = [m["custom"] for m in revised if m.get("custom")]
    assert card["data"]["usage"]["budget"] == 25.0
    assert card["data"]["usage"]["minutes"] == 300.0

    revised = turn(assistant, user, "actually make that 40gb")
    [card] = [m["custom"] for m in revised if m.get("custom")]
    assert card["data"]["usage"]["data_gb"] == 40.0
    assert card["data"]["usage"]["budget"] == 25.0


@pytest.mark.parametrize(
    ("opening", "answer", "exit_words"),
    [
        ("can u help me pick a phone plan", "8gb", "never mind"),
        ("can u help me pick a phone plan", "8gb", "forget it"),
        ("I want to start a savings plan", "£3000", "cancel that"),
        ("can I pay in instalments?", "1500", "stop"),
        ("can I pay in instalments?", "1500", "I don't want this anymore"),
    ],
)
def test_exits_in_natural_words_leave_the_form_and_forget_its_answers(
    assistant: Supervisor, opening: str, answer: str, exit_words: str
) -> None:
    user = fresh("exit")
    turn(assistant, user, opening)
    turn(assistant, user, answer)
    form, slots = state(assistant, user)
    assert form is not None
    filled = [
        name
        for name, value in slots.items()
        if value is not None and name.startswith(("plan_", "savings_", "credit_amount"))
    ]
    assert filled
    reply = texts(turn(assistant, user, exit_words))
    assert "stopped" in reply and "Anything else" in reply
    form, slots = state(assistant, user)
    assert form is None
    assert all(slots[name] is None for name in filled)
    assert "I'm" in texts(turn(assistant, user, "are you a bot?"))
