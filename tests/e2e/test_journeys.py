"""The structured journeys through the real engine: forms, cards, corrections, abandonment."""

from __future__ import annotations

from typing import Any

import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import send, tracker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def card(messages: list[dict[str, Any]]) -> dict[str, Any]:
    cards = [m["custom"] for m in messages if m.get("custom")]
    assert len(cards) == 1, messages
    return dict(cards[0])


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def test_mobile_plan_with_a_correction_mid_form(assistant: Supervisor) -> None:
    user = "e2e-mobile"
    opening = send(assistant, user, "I need a new mobile plan")
    assert "How much mobile data" in texts(opening)
    assert "minutes" in texts(send(assistant, user, "about 12 GB"))
    send(assistant, user, "500 minutes")
    corrected = send(assistant, user, "actually my budget is 30")
    assert "budget 30" in texts(corrected)
    result = send(assistant, user, "3 days a month")
    payload = card(result)
    assert payload["type"] == "mobile_plan"
    assert payload["data"]["usage"]["budget"] == 30.0
    assert payload["data"]["usage"]["data_gb"] == 12.0
    state = tracker(assistant, user)
    assert state["active_loop"] in ({}, None) or not state["active_loop"].get("name")


def test_credit_pre_check_to_a_scored_result(assistant: Supervisor) -> None:
    user = "e2e-credit"
    assert "indicative pre-check" in texts(send(assistant, user, "can I pay in instalments?"))
    for answer in [
        "2000",
        "24 months",
        "2500",
        "800",
        "3000",
        "6 years",
        "I own my home",
        "I've always paid on time",
        "none",
    ]:
        reply = send(assistant, user, answer)
    payload = card(reply)
    assert payload["type"] == "credit_score"
    data = payload["data"]
    assert "probability_of_default" not in data
    assert data["decision"] in {"pre_approved", "review", "declined"}
    assert "pre-check" in texts(reply).lower()
    assert data["financing"]["apr_percent"] == 9.9
    assert "9.9% APR representative" in texts(reply)
    assert f"£{data['financing']['monthly_payment']:,.2f} a month" in texts(reply)
    why = texts(send(assistant, user, "why did i get that result?"))
    assert "Your last pre-check" in why
    assert all(r["reason"] in why for r in data["reasons"])


def test_a_declined_customer_asks_why(assistant: Supervisor) -> None:
    user = "e2e-credit-declined"
    send(assistant, user, "can I pay in instalments?")
    for answer in [
        "9000",
        "3 years",
        "800",
        "I'm overdrawn by 50",
        "20",
        "6 months",
        "I rent",
        "I've been late a few times",
        "a bank loan",
    ]:
        reply = send(assistant, user, answer)
    data = card(reply)["data"]
    assert data["decision"] == "declined" and data["reasons"]
    assert "£288.20 a month" in texts(reply) and "9.9% APR" in texts(reply)
    why = texts(send(assistant, user, "why was i declined?"))
    assert "looked unlikely to qualify" in why
    assert all(r["reason"] in why for r in data["reasons"])


def test_a_term_too_long_for_the_amount_is_refused(assistant: Supervisor) -> None:
    user = "e2e-credit-terms"
    send(assistant, user, "can I pay in instalments?")
    send(assistant, user, "900")
    reply = texts(send(assistant, user, "36 months"))
    assert "only available above £1,000" in reply and "12 months" in reply
    assert tracker(assistant, user)["slots"]["credit_term_months"] is None


def test_stop_abandons_a_form_and_clears_its_answers(assistant: Supervisor) -> None:
    user = "e2e-abandon"
    send(assistant, user, "can I pay in instalments?")
    send(assistant, user, "1500")
    assert tracker(assistant, user)["slots"]["credit_amount"] == 1500
    send(assistant, user, "stop, forget it")
    state = tracker(assistant, user)
    assert not (state.get("active_loop") or {}).get("name")
    assert state["slots"]["credit_amount"] is None
    assert "I'm" in texts(send(assistant, user, "are you a bot?"))


def test_recommendations_come_as_a_card_with_reasons(assistant: Supervisor) -> None:
    reply = send(assistant, "e2e-recs", "can you recommend a laptop?")
    payload = card(reply)
    assert payload["type"] == "recommendations"
    items = payload["data"]["items"]
    assert items and all(item["reason"] for item in items)


def test_savings_plan_shows_the_arithmetic(assistant: Supervisor) -> None:
    user = "e2e-savings"
    assert "not financial advice" in texts(send(assistant, user, "I want to start a savings plan"))
    for answer in ["5000", "in 3 years", "500", "I'd wait it out"]:
        send(assistant, user, answer)
    reply = send(assistant, user, "a little")
    payload = card(reply)
    assert payload["type"] == "savings_plan"
    data = payload["data"]
    assert data["monthly_contribution"] > 0
    assert data["disclaimer"] and data["steps"]


def test_recommendations_keep_to_the_budget_and_say_when_nothing_fits(
    assistant: Supervisor,
) -> None:
    data = card(send(assistant, "e2e-recs-budget", "cheap phone, max 400 pounds"))["data"]
    assert data["items"] and all(i["price"] <= 400 and i["fits"] for i in data["items"])
    reply = send(assistant, "e2e-recs-nofit", "can you recommend a gaming laptop under 1000?")
    data = card(reply)["data"]
    assert data["note"].startswith("Nothing in our range fits laptops for gaming under £1,000")
    assert all(not i["fits"] for i in data["items"])
    assert "Nothing in our range fits" in texts(reply)
