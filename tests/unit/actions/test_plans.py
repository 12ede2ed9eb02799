from __future__ import annotations

from datetime import date

import jsonschema
import pytest

import actions.plans as plan_actions
from actions.plans import (
    MOBILE_SLOTS,
    SAVINGS_SLOTS,
    ActionMobilePlan,
    ActionSavingsPlan,
    ValidateMobilePlanForm,
    ValidateSavingsPlanForm,
    parse_target_date,
)
from generators.errors import ValidationFailed
from generators.schemas import json_schema
from tests.unit.actions.form_driver import Conversation


def mobile() -> Conversation:
    return Conversation(
        "mobile_plan_form", list(MOBILE_SLOTS), ValidateMobilePlanForm(), ActionMobilePlan()
    )


def savings() -> Conversation:
    return Conversation(
        "savings_plan_form", list(SAVINGS_SLOTS), ValidateSavingsPlanForm(), ActionSavingsPlan()
    )


def card(messages: list[dict]) -> dict:
    return next(m for m in messages if m.get("custom"))


async def test_mobile_journey_with_a_budget_correction_mid_form() -> None:
    chat = mobile()
    await chat.say("about 12 GB")
    await chat.say("500 minutes")
    reply = await chat.say("actually my budget is 30")
    assert chat.slots["plan_budget"] == 30
    assert "Got it: your budget 30." in chat.texts(reply)
    assert chat.requested == "plan_roaming_days"
    final = await chat.say("3 days a year... I mean 3 days a month")
    message = card(final)
    assert message["custom"]["type"] == "mobile_plan"
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("mobile_plan"))
    assert data["usage"] == {"data_gb": 12.0, "minutes": 500.0, "roaming_days": 3.0, "budget": 30.0}
    assert data["best"]["within_budget"] is True
    assert data["runner_up"] is not None
    assert message["text"] == "Here's the cheapest way to cover your usage."  # the card itemises


async def test_two_answers_in_one_message_fill_both_slots() -> None:
    chat = mobile()
    await chat.say("10 GB and 300 minutes")
    assert chat.slots["plan_data_gb"] == 10 and chat.slots["plan_minutes"] == 300
    assert chat.requested == "plan_roaming_days"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 hours", "sounds like call time"),
        ("-5", "can't be below 0"),
        ("a lot", "a bit vague"),
        ("1000000000000 GB", "more than I can work with"),
    ],
)
async def test_bad_data_answers_are_reasked(text: str, expected: str) -> None:
    chat = mobile()
    reply = await chat.say(text)
    assert expected in chat.texts(reply)
    assert chat.requested == "plan_data_gb"


async def test_an_answer_for_another_question_is_kept_and_the_question_asked_again() -> None:
    chat = mobile()
    reply = await chat.say("300 minutes")
    assert chat.slots["plan_minutes"] == 300
    assert chat.texts(reply) == "Got it: your call minutes 300. utter_ask_plan_data_gb"


async def test_megabytes_are_converted_and_none_is_zero() -> None:
    chat = mobile()
    await chat.say("500 MB")
    assert chat.slots["plan_data_gb"] == pytest.approx(0.5)
    await chat.say("none really")
    assert chat.slots["plan_minutes"] == 0


async def test_no_budget_still_gets_a_plan() -> None:
    chat = mobile()
    for text in ["5", "100", "no", "I don't know"]:
        final = await chat.say(text)
    assert card(final)["custom"]["data"]["best"]["plan_id"] == "basic"


async def test_savings_journey_shows_the_arithmetic_and_the_disclaimer() -> None:
    chat = savings()
    for text in ["£10,000", "in 5 years", "I've got 1000", "I'd wait it out", "a little"]:
        final = await chat.say(text)
    message = card(final)
    data = message["custom"]["data"]
    jsonschema.validate(data, json_schema("savings_plan"))
    assert data["goal_amount"] == 10_000 and data["current_savings"] == 1000
    assert data["risk_profile"] == "balanced"
    assert data["steps"] and "not financial advice" in data["disclaimer"]
    assert message["text"] == "Here's a savings plan for your goal, with how I worked it out."


async def test_savings_rejects_past_dates_and_vague_goals() -> None:
    chat = savings()
    assert "bit vague" in chat.texts(await chat.say("a lot of money"))
    await chat.say("5000")
    assert "isn't in the future" in chat.texts(await chat.say("by 2001"))
    assert chat.requested == "savings_date"


def test_target_dates() -> None:
    today = date(2026, 11, 28)
    assert parse_target_date("in 5 years", today=today).value == "2031-11-01"
    assert parse_target_date("18 months", today=today).value == "2028-05-01"
    assert parse_target_date("by June 2030", today=today).value == "2030-06-01"
    assert parse_target_date("2030-02-30", today=today).error.startswith("That date doesn't exist")
    assert "50 years" in parse_target_date("in 200 years", today=today).error


async def test_planner_failure_becomes_a_polite_message(monkeypatch) -> None:
    class Refusing:
        def plan(self, goal, *, language=None):
            raise ValidationFailed("nope", raw=goal)

    monkeypatch.setattr(plan_actions, "default_planner", lambda: Refusing())
    chat = savings()
    for text in ["10000", "in 5 years", "0", "sell", "never"]:
        final = await chat.say(text)
    assert "don't fit together" in chat.texts(final)
    assert all(chat.slots[s] is None for s in SAVINGS_SLOTS)
