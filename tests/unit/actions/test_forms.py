from __future__ import annotations

import pytest

from bot.sdk.forms import choice_parser, find_number, is_dont_know, number_parser


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1500", 1500),
        ("£1,500", 1500),
        ("about 2.5k", 2500),
        ("-50", -50),
        ("minus 50", 50),
        ("ten", 10),
        ("30 quid", 30),
        ("1 million", 1e6),
        # amounts as people say them
        ("2 grand", 2000),
        ("about 25 grand a year", 25000),
        ("fifteen hundred", 1500),
        ("two thousand pounds", 2000),
        ("a grand", 1000),
        ("a couple of grand", 2000),
        ("a few hundred", 300),
        ("no number here", None),
    ],
)
def test_find_number(text: str, value: float | None) -> None:
    assert find_number(text) == value


@pytest.mark.parametrize("text", ["I don't know", "dont know", "not sure", "no idea", "skip"])
def test_dont_know(text: str) -> None:
    assert is_dont_know(text)


def test_number_parser_converts_units_and_reasks_with_the_reason() -> None:
    months = number_parser(
        low=1, high=72, example="24 months", what="the term", units={"year": 12}, integer=True
    )
    assert months("2 years").value == 24
    assert months("18").value == 18
    assert "can't be below 1" in months("-3").error
    assert "more than I can work with" in months("1000000000000").error
    assert "a bit vague" in months("a lot").error
    gb = number_parser(
        low=0,
        high=2000,
        example="10",
        what="your data",
        wrong_units={"minute": "That sounds like minutes."},
    )
    assert gb("300 minutes").error == "That sounds like minutes."


def test_choice_parser() -> None:
    parse = choice_parser({"own": ("own",), "rent": ("rent",)}, question="Own or rent?")
    assert parse("I rent a flat").value == "rent"
    assert parse("a boat").error == "Sorry, I didn't get that. Own or rent?"


def _payload(action: str, *, slots: dict, text: str, active_loop: str | None, domain: dict) -> dict:
    """A whole action-server request, as Rasa sends it over HTTP."""
    return {
        "next_action": action,
        "sender_id": "web-42",
        "version": "3.6.21",
        "domain": domain,
        "tracker": {
            "sender_id": "web-42",
            "slots": slots,
            "latest_message": {
                "text": text,
                "intent": {"name": "deny", "confidence": 0.97},
                "entities": [],
            },
            "events": [{"event": "user", "text": text, "parse_data": {"intent": {"name": "deny"}}}],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        },
    }


async def test_abandoned_form_is_stopped_and_its_answers_cleared() -> None:
    from rasa_sdk.executor import ActionExecutor

    from actions.credit import CREDIT_SLOTS
    from tests.unit.actions.form_driver import domain_for

    executor = ActionExecutor()
    executor.register_package("actions")
    slots = {
        "credit_amount": 1500.0,
        "credit_term_months": 24,
        "requested_slot": "credit_monthly_income",
    }
    response = await executor.run(
        _payload(
            "action_abandon_form",
            slots=slots,
            text="stop, I've changed my mind",
            active_loop="credit_form",
            domain=domain_for("credit_form", list(CREDIT_SLOTS)),
        )
    )
    events = response.events
    assert {"event": "active_loop", "name": None} in [
        {k: e[k] for k in ("event", "name")} for e in events if e["event"] == "active_loop"
    ]
    cleared = {e["name"] for e in events if e["event"] == "slot" and e["value"] is None}
    assert cleared >= {"requested_slot", *CREDIT_SLOTS}
    assert "stopped" in response.responses[0]["text"]


async def test_submission_through_the_executor_carries_the_custom_payload() -> None:
    from rasa_sdk.executor import ActionExecutor

    from actions.plans import MOBILE_SLOTS
    from tests.unit.actions.form_driver import domain_for

    executor = ActionExecutor()
    executor.register_package("actions")
    slots = {
        "plan_data_gb": 40.0,
        "plan_minutes": 100.0,
        "plan_roaming_days": 0,
        "plan_budget": "unknown",
    }
    response = await executor.run(
        _payload(
            "action_mobile_plan",
            slots=slots,
            text="unsure",
            active_loop=None,
            domain=domain_for("mobile_plan_form", list(MOBILE_SLOTS)),
        )
    )
    [message] = response.responses
    assert message["custom"]["type"] == "mobile_plan"
    assert message["custom"]["data"]["best"]["monthly_total"] == 39.0
    assert message["custom"]["data"]["best"]["plan_name"] == "Plus"
    assert "£39" not in message["text"]  # the card itemises the cost, the text leads in


@pytest.mark.parametrize(
    ("intent", "rejected"), [("stop", True), ("ask_human", True), ("deny", False)]
)
async def test_stop_and_ask_human_pause_the_form_but_no_is_an_answer(
    intent: str, rejected: bool
) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.plans import MOBILE_SLOTS, ValidateMobilePlanForm
    from tests.unit.actions.form_driver import domain_for, tracker

    slots = {"plan_data_gb": 5.0, "plan_minutes": 100.0, "requested_slot": "plan_roaming_days"}
    events = await ValidateMobilePlanForm().run(
        CollectingDispatcher(),
        tracker("no", slots, intent=intent),
        domain_for("mobile_plan_form", list(MOBILE_SLOTS)),
    )
    if rejected:
        # Nothing extracted, nothing validated: the engine's form rejects itself and
        # the rule for the intent runs (tests/e2e/test_journeys.py shows it end to end).
        assert events == []
    else:
        assert {
            "event": "slot",
            "name": "plan_roaming_days",
            "value": 0.0,
            "timestamp": None,
        } in events


@pytest.mark.parametrize(
    ("text", "requested", "answered"),
    [
        ("不想说", "credit_monthly_income", True),  # NLU read it as "stop"
        ("I'd rather not say", "credit_monthly_income", True),
        ("skip", "credit_monthly_income", True),
        ("算了吧", "credit_monthly_income", False),  # leaving, not declining
        ("stop", "credit_monthly_income", False),
        ("never mind, not sure I want this at all", "credit_monthly_income", False),
        ("不想说，为什么要问这个？", "credit_monthly_income", False),  # noqa: RUF001
    ],
)
async def test_declining_a_question_that_takes_unknown_is_an_answer_not_a_stop(
    text: str, requested: str, answered: bool
) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    from actions.credit import CREDIT_SLOTS, ValidateCreditForm
    from tests.unit.actions.form_driver import domain_for, tracker

    slots = {"credit_amount": 2000.0, "credit_term_months": 24.0, "requested_slot": requested}
    events = await ValidateCreditForm().run(
        CollectingDispatcher(),
        tracker(text, slots, intent="stop"),
        domain_for("credit_form", list(CREDIT_SLOTS)),
    )
    filled = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    if answered:
        assert filled.get(requested) == "unknown", events
    else:
        assert events == []
