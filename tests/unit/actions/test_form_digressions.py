"""Issue 18, finding 2: inside a form, non-answers are rejected, corrections update the
slot they name, exits leave cleanly, and a correction after the result redoes it."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.credit import CREDIT_SLOTS, ActionCreditPrecheck, ValidateCreditForm
from actions.forms import STOPPED
from actions.plans import MOBILE_SLOTS, ActionMobilePlan, ValidateMobilePlanForm
from actions.revise import ActionReviseAnswers
from bot.sdk.forms import LAST_ANSWERS_SLOT, NOT_AN_ANSWER
from bot.sdk.revise import NOTHING_TO_CHANGE
from tests.unit.actions.form_driver import Conversation, domain_for, tracker


def mobile(**answers: Any) -> Conversation:
    chat = Conversation(
        "mobile_plan_form", list(MOBILE_SLOTS), ValidateMobilePlanForm(), ActionMobilePlan()
    )
    chat.slots.update(answers)
    chat._ask_next()
    return chat


async def validate(text: str, slots: dict[str, Any], *, intent: str = "inform") -> list[dict]:
    return await ValidateMobilePlanForm().run(
        CollectingDispatcher(),
        tracker(text, slots, intent=intent),
        domain_for("mobile_plan_form", list(MOBILE_SLOTS)),
    )


@pytest.mark.parametrize(
    ("answers", "text"),
    [
        ({}, "my nova 8 wont charge"),
        ({}, "is the Nova8 any good?"),
        ({"plan_data_gb": 10.0, "plan_minutes": 300.0}, "how much is the Nova 8?"),
        ({"plan_data_gb": 10.0, "plan_minutes": 300.0}, "what about 5?"),
        (
            {"plan_data_gb": 10.0, "plan_minutes": 300.0, "plan_roaming_days": 0},
            "interest rate over 24 months",
        ),
        (
            {"plan_data_gb": 10.0, "plan_minutes": 300.0, "plan_roaming_days": 0},
            "whats the interest if I pay over 24 months",
        ),
    ],
)
async def test_a_question_read_as_an_answer_is_rejected_and_asked_again(
    answers: dict[str, Any], text: str
) -> None:
    chat = mobile(**answers)
    pending = chat.requested
    reply = chat.texts(await chat.say(text))
    assert chat.slots[pending] is None
    assert chat.requested == pending
    assert reply.endswith(f"utter_ask_{pending}")
    assert "Got it" not in reply


@pytest.mark.parametrize("intent", ["ask_faq", "ask_store_hours", "bot_challenge", "out_of_scope"])
async def test_a_digression_rejects_the_form_so_that_a_rule_answers_it(intent: str) -> None:
    slots = {"plan_data_gb": 10.0, "requested_slot": "plan_minutes"}
    assert await validate("how much is the nova 8", slots, intent=intent) == []


async def test_a_short_answer_that_nlu_took_for_a_question_is_still_an_answer() -> None:
    events = await validate("12gb", {"requested_slot": "plan_data_gb"}, intent="ask_faq")
    assert ("plan_data_gb", 12.0) in [(e["name"], e["value"]) for e in events]


async def test_the_form_resumed_after_a_digression_does_not_reread_the_question() -> None:
    slots = {"plan_data_gb": 10.0, "plan_minutes": 300.0, "requested_slot": "plan_roaming_days"}
    resumed = Tracker(
        sender_id="c1",
        slots=slots,
        latest_message={"text": "how much is the Nova 8?", "intent": {"name": "ask_faq"}},
        events=[
            {"event": "user", "text": "how much is the Nova 8?"},
            {"event": "action", "name": "action_answer_question"},
            {"event": "bot", "text": "The Nova 8 costs £599."},
            {"event": "slot", "name": "requested_slot", "value": "plan_roaming_days"},
            {"event": "action", "name": "mobile_plan_form"},
        ],
        paused=False,
        followup_action=None,
        active_loop={"name": "mobile_plan_form"},
        latest_action_name="mobile_plan_form",
    )
    events = await ValidateMobilePlanForm().run(
        CollectingDispatcher(), resumed, domain_for("mobile_plan_form", list(MOBILE_SLOTS))
    )
    assert events == []


@pytest.mark.parametrize(
    ("text", "intent", "slot", "value"),
    [
        ("actually make that 20 GB", "inform", "plan_data_gb", 20.0),
        ("actualy make it 20gb", "inform", "plan_data_gb", 20.0),
        ("no, I meant 300 minutes", "deny", "plan_minutes", 300.0),
        ("change the budget to 25", "inform", "plan_budget", 25.0),
        ("oh and my budget's £25 a month", "inform", "plan_budget", 25.0),
    ],
)
async def test_a_correction_in_natural_words_updates_the_slot_it_names(
    text: str, intent: str, slot: str, value: float
) -> None:
    chat = mobile(plan_data_gb=10.0, plan_minutes=150.0)
    assert chat.requested == "plan_roaming_days"
    reply = chat.texts(await chat.say(text, intent=intent))
    assert chat.slots[slot] == value
    assert chat.requested == "plan_roaming_days"
    assert reply.endswith("utter_ask_plan_roaming_days")


async def test_a_correction_of_the_pending_question_itself() -> None:
    chat = mobile(plan_data_gb=10.0)
    await chat.say("no, I meant 300 minutes", intent="deny")
    assert chat.slots["plan_minutes"] == 300.0


def credit() -> Conversation:
    return Conversation(
        "credit_form", list(CREDIT_SLOTS), ValidateCreditForm(), ActionCreditPrecheck()
    )


@pytest.mark.parametrize("text", ["actually make it 1000", "sorry, i meant 1000", "oops 1000"])
async def test_a_bare_correction_that_fits_only_the_last_answer_changes_it(text: str) -> None:
    chat = credit()
    await chat.say("1200")
    assert chat.requested == "credit_term_months"
    reply = chat.texts(await chat.say(text))
    assert chat.slots["credit_amount"] == 1000.0
    assert chat.slots.get("credit_term_months") is None
    assert reply.endswith("utter_ask_credit_term_months")


async def test_a_cue_with_a_value_that_fits_the_question_answers_the_question() -> None:
    chat = credit()
    await chat.say("1200")
    await chat.say("sorry, 24")
    assert chat.slots["credit_amount"] == 1200.0
    assert chat.slots["credit_term_months"] == 24


async def test_days_a_year_are_not_days_a_month() -> None:
    chat = mobile(plan_data_gb=10.0, plan_minutes=300.0)
    reply = chat.texts(await chat.say("5 days a year"))
    assert chat.slots["plan_roaming_days"] == 1
    assert "a year" in reply


@pytest.mark.parametrize("text", ["never mind", "I don't want this anymore", "ok forget it"])
@pytest.mark.parametrize("intent", ["inform", "deny", "nlu_fallback"])
async def test_an_exit_that_nlu_missed_leaves_the_form_and_forgets_it(
    text: str, intent: str
) -> None:
    dispatcher = CollectingDispatcher()
    slots = {"plan_data_gb": 10.0, "requested_slot": "plan_minutes"}
    events = await ValidateMobilePlanForm().run(
        dispatcher,
        tracker(text, slots, intent=intent),
        domain_for("mobile_plan_form", list(MOBILE_SLOTS)),
    )
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert cleared >= {"requested_slot", *MOBILE_SLOTS}
    assert [m["text"] for m in dispatcher.messages] == [STOPPED]


async def test_the_submission_stays_quiet_after_an_exit() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionMobilePlan().run(dispatcher, tracker("", {}), {})
    assert events == [] and dispatcher.messages == []


async def test_credit_questions_are_not_amounts() -> None:
    dispatcher = CollectingDispatcher()
    events = await ValidateCreditForm().run(
        dispatcher,
        tracker("what's the APR on 2000?", {"requested_slot": "credit_amount"}),
        domain_for("credit_form", list(CREDIT_SLOTS)),
    )
    assert ("credit_amount", None) in [(e["name"], e["value"]) for e in events]
    assert NOT_AN_ANSWER in dispatcher.messages[0]["text"]


def after_result(text: str, last: dict[str, Any] | None) -> Tracker:
    turn = tracker(text, {LAST_ANSWERS_SLOT: last})
    return turn


async def finished_plan() -> dict[str, Any]:
    chat = mobile()
    for answer in ["10 GB", "300", "0"]:
        await chat.say(answer)
    final = await chat.say("£30")
    assert any(m.get("custom") for m in final)
    return chat.slots[LAST_ANSWERS_SLOT]


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("actually make that 40 GB", "data_gb", 40.0),
        ("hmm, change the budget to 50", "budget", 50.0),
        ("oh wait, 4 days abroad", "roaming_days", 4),
    ],
)
async def test_a_correction_right_after_the_result_redoes_it(
    text: str, slot: str, value: float
) -> None:
    last = await finished_plan()
    dispatcher = CollectingDispatcher()
    events = await ActionReviseAnswers().run(dispatcher, after_result(text, last), {})
    [card] = [m for m in dispatcher.messages if m.get("custom")]
    assert card["custom"]["data"]["usage"][slot] == value
    assert dispatcher.messages[0]["text"].startswith("Got it:")
    remembered = next(e["value"] for e in events if e.get("name") == LAST_ANSWERS_SLOT)
    assert remembered["answers"][f"plan_{slot}"] == value


async def test_a_message_after_the_result_that_changes_nothing_asks_which_answer() -> None:
    last = await finished_plan()
    dispatcher = CollectingDispatcher()
    assert await ActionReviseAnswers().run(dispatcher, after_result("hmm ok", last), {}) == []
    assert dispatcher.messages[0]["text"] == NOTHING_TO_CHANGE


@pytest.mark.parametrize(
    ("intent", "text", "pauses"),
    [
        ("ask_store_hours", "when do you open on sunday?", True),
        ("ask_faq", "do you deliver on sundays?", True),
        ("stop", "stop asking me things", True),
        ("inform", "about 10 gb a month", False),
    ],
)
async def test_a_form_pauses_for_its_own_digressions_and_interruptions(
    intent: str, text: str, pauses: bool
) -> None:
    """Voltline's forms name their own question intents (``digressions``); the kit's
    default is only the generic ones, so another assistant's intents never leak in."""
    from bot.sdk.forms import DIGRESSIONS

    assert "ask_store_hours" not in DIGRESSIONS
    assert "ask_store_hours" in ValidateMobilePlanForm.digressions
    events = await validate(text, {}, intent=intent)
    assert (events == []) is pauses
