"""The conversation suite's judge: each expectation type on made-up replies and trackers."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.convsuite.judge import (
    Observation,
    Product,
    judge_turn,
    normalise,
    reply_type,
    says,
    shown_products,
)
from benchmarks.convsuite.schema import Turn as SuiteTurn
from benchmarks.convsuite.schema import parse_expect

CATALOG = (
    Product("studybook-13", "StudyBook 13", "laptops", 449),
    Product("aerobook-14", "AeroBook 14", "laptops", 1099),
    Product("forge-g15", "Forge G15", "laptops", 1299),
    Product("nova-8", "Nova 8", "phones", 599),
    Product("nova-8-mini", "Nova 8 Mini", "phones", 549),
)


def turn(expect: dict[str, Any], *, user: str = "hi") -> SuiteTurn:
    return SuiteTurn(user=user, expect=parse_expect(expect, "test"))


def text(*texts: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"recipient_id": "x", "text": t, **extra} for t in texts]


def tracker(
    *,
    slots: dict[str, Any] | None = None,
    loop: str | None = None,
    paused: bool = False,
    actions: tuple[str, ...] = (),
) -> dict[str, Any]:
    events: list[dict[str, Any]] = [{"event": "user", "text": "hi"}]
    events += [{"event": "action", "name": a} for a in (*actions, "action_listen")]
    return {
        "slots": slots or {},
        "active_loop": {"name": loop} if loop else {},
        "paused": paused,
        "events": events,
    }


def judge(
    expect: dict[str, Any], messages: list[dict[str, Any]], state: dict[str, Any] | None = None
) -> Any:
    return judge_turn(turn(expect), Observation(messages, state or tracker()), CATALOG)


def recommendations(*items: tuple[str, float, str, bool]) -> dict[str, Any]:
    return {
        "recipient_id": "x",
        "text": "Here's what I'd suggest",
        "custom": {
            "type": "recommendations",
            "data": {
                "items": [
                    {"product_id": pid, "name": pid, "price": price, "category": cat, "fits": fits}
                    for pid, price, cat, fits in items
                ]
            },
        },
    }


def test_normalise_ignores_case_apostrophes_and_thousands_separators() -> None:
    assert normalise("It\u2019s £1,099\n  TODAY") == "it's £1099 today"


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("pen", "open now", False),
        ("pen", "works with a pen", True),
        ("hi", "this one", False),
        ("£2", "£29 a month", False),
        ("£2", "£2 a day", True),
        ("18", "180 days", False),
        ("18", "aged 18 or over", True),
        ("store", "our stores", True),
        ("apologi", "i apologise", True),
    ],
)
def test_phrases_start_at_a_word_and_numbers_are_whole(phrase: str, text: str, found: bool) -> None:
    assert says(normalise(text), phrase) is found


def test_fact_any_phrasing_counts_and_is_reported() -> None:
    ok = judge({"fact": ["30 days", "thirty days"]}, text("You have Thirty days to return it."))
    assert ok.helpful and ok.fact_ok is True
    miss = judge({"fact": ["30 days"]}, text("Returns are easy."))
    assert not miss.helpful and miss.fact_ok is False
    assert "fact missing" in miss.failures[0]


def test_a_turn_without_fact_is_not_a_knowledge_question() -> None:
    assert judge({"contains_any": ["hi"]}, text("hi")).fact_ok is None


def test_contains_all_not_contains_and_regex() -> None:
    reply = text("Black, silver and blue, from £599.")
    assert judge({"contains_all": ["black", "blue"]}, reply).helpful
    assert not judge({"contains_all": ["black", "gold"]}, reply).helpful
    assert not judge({"not_contains": ["£599"]}, reply).helpful
    assert judge({"regex": r"£\d+"}, reply).helpful
    assert not judge({"regex": r"\d{1,2}:\d{2}"}, reply).helpful


def test_card_strings_count_as_reply_text() -> None:
    reply = [{"recipient_id": "x", "custom": {"type": "answer", "data": {"text": "Free over £50"}}}]
    assert judge({"fact": ["over £50"]}, reply).helpful


def test_silence_is_unhelpful_and_counted_unless_a_person_has_the_conversation() -> None:
    silent = judge({"contains_any": ["help"]}, [])
    assert silent.silent and not silent.helpful
    paused = judge_turn(
        turn({"silent": True}), Observation([], tracker(paused=True), paused_before=True), CATALOG
    )
    assert paused.helpful and not paused.silent and paused.reply_type == "paused"
    spoke = judge_turn(
        turn({"silent": True}), Observation(text("hello"), tracker(), paused_before=True), CATALOG
    )
    assert not spoke.helpful


def test_no_reply_while_a_person_has_it_is_unhelpful_but_not_a_silent_turn() -> None:
    verdict = judge_turn(
        turn({"contains_any": ["cancel"]}), Observation([], tracker(), paused_before=True), CATALOG
    )
    assert not verdict.helpful and not verdict.silent


def test_buttons_match_payload_or_title() -> None:
    reply = text("Pick one", buttons=[{"title": "Check financing", "payload": "/ask_credit_check"}])
    assert judge({"buttons_any": ["financ"]}, reply).helpful
    assert judge({"buttons_any": ["/ask_credit"]}, reply).helpful
    assert not judge({"buttons_any": ["compare"]}, reply).helpful
    assert not judge({"no_buttons": ["financing"]}, reply).helpful
    assert judge({"no_buttons": ["marketing"]}, reply).helpful


def test_card_type_and_fields() -> None:
    card = {
        "type": "mobile_plan",
        "data": {"usage": {"data_gb": 10.0}, "best": {"plan_name": "Plus"}},
    }
    reply = [{"recipient_id": "x", "text": "Plus", "custom": card}]
    assert judge({"card": "mobile_plan"}, reply).helpful
    assert judge(
        {"card": {"type": "mobile_plan", "fields": {"data.usage.data_gb": 10}}}, reply
    ).helpful
    wrong = judge(
        {"card": {"type": "mobile_plan", "fields": {"data.best.plan_name": "Basic"}}}, reply
    )
    assert not wrong.helpful and "data.best.plan_name" in wrong.failures[0]
    assert not judge({"card": "credit_score"}, reply).helpful
    assert not judge({"no_card": ["mobile_plan"]}, reply).helpful


def test_slots_compare_numbers_numerically_strings_loosely_and_null() -> None:
    state = tracker(slots={"plan_data_gb": 20.0, "customer_name": "sam", "plan_minutes": None})
    assert judge({"slots": {"plan_data_gb": 20}}, text("ok"), state).helpful
    assert judge({"slots": {"customer_name": "Sam"}}, text("ok"), state).helpful
    assert judge({"slots": {"plan_minutes": None}}, text("ok"), state).helpful
    wrong = judge({"slots": {"plan_data_gb": 10}}, text("ok"), state)
    assert not wrong.helpful and "plan_data_gb" in wrong.failures[0]


def test_active_loop_null_given_differs_from_not_given() -> None:
    in_form = tracker(loop="mobile_plan_form")
    assert judge({"active_loop": "mobile_plan_form"}, text("q"), in_form).helpful
    assert not judge({"active_loop": None}, text("q"), in_form).helpful
    assert judge({"active_loop": None}, text("q"), tracker()).helpful
    assert not judge({"not_active_loop": ["mobile_plan_form"]}, text("q"), in_form).helpful


def test_handoff_by_card_pause_or_contact_form() -> None:
    card = [{"recipient_id": "x", "text": "A colleague", "custom": {"type": "handoff"}}]
    assert judge({"handoff": True}, card).helpful
    assert judge({"handoff": True}, text("wait"), tracker(paused=True)).helpful
    assert judge({"handoff": True}, text("e-mail?"), tracker(loop="contact_form")).helpful
    assert not judge({"handoff": True}, text("Sure, what do you need?")).helpful
    assert not judge({"handoff": False}, card).helpful
    # the card that says the conversation is back with the bot (a cancelled request)
    back = [
        {"recipient_id": "x", "text": "Cancelled", "custom": {"type": "handoff", "state": "bot"}}
    ]
    assert judge({"handoff": False}, back).helpful
    assert not judge({"handoff": True}, back).helpful


def test_constraint_from_the_card_respects_the_fits_flag() -> None:
    expect = {"constraint": {"max_price": 1000, "category": "laptops"}}
    good = judge(expect, [recommendations(("studybook-13", 449, "laptops", True))])
    assert good.helpful and not good.violations and good.shown == ("studybook-13",)
    bad = judge(expect, [recommendations(("forge-g15", 1299, "laptops", True))])
    assert bad.violations and not bad.helpful
    closest = judge(
        expect,
        [
            recommendations(
                ("studybook-13", 449, "laptops", True), ("forge-g15", 1299, "laptops", False)
            )
        ],
    )
    assert closest.helpful and not closest.violations


def test_constraint_needs_a_fitting_product_when_the_catalogue_has_one() -> None:
    verdict = judge(
        {"constraint": {"max_price": 500, "category": "laptops"}}, text("Anything else?")
    )
    assert not verdict.helpful and "fits" in verdict.failures[0]


def test_constraint_with_no_fit_in_the_catalogue_needs_an_honest_reply() -> None:
    expect = {"constraint": {"max_price": 1000, "category": "laptops", "ids": ["forge-g15"]}}
    honest = judge(expect, [recommendations(("forge-g15", 1299, "laptops", False))])
    assert not honest.violations
    assert not honest.helpful, "the card says 'closest', but no text says nothing fits"
    honest_text = judge(
        expect, text("Nothing under £1,000 fits gaming; the closest is the Forge G15 at £1,299.")
    )
    assert honest_text.helpful and not honest_text.violations
    dishonest = judge(expect, text("Try the AeroBook 14 (£1,099)."))
    assert dishonest.violations and not dishonest.helpful
    chinese = judge(expect, text("我们的商品里没有符合“£1,000 以下的适合游戏的笔记本电脑”的。"))
    assert chinese.helpful and not chinese.violations
    assert not judge(expect, text("这是我的首选推荐。")).helpful


def test_products_named_in_text_longest_name_first() -> None:
    found = shown_products(text("The Nova 8 Mini is smaller than the Nova 8."), CATALOG)
    assert [p.id for p, _ in found] == ["nova-8-mini", "nova-8"]


def test_reply_type_from_the_actions_of_the_turn() -> None:
    assert reply_type(tracker(actions=("action_answer_question",))) == "knowledge"
    assert reply_type(tracker(actions=("action_recommend_products",))) == "recommendation"
    assert reply_type(tracker(actions=("mobile_plan_form",))) == "form"
    assert reply_type(tracker(actions=("action_abandon_form", "action_handoff"))) == "handoff"
    assert reply_type(tracker(actions=("utter_greet", "utter_ask_name"))) == "smalltalk"
    assert reply_type(tracker(actions=("action_fallback_clarify",))) == "fallback"
    assert reply_type(tracker()) == "none"


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ({}, "non-empty mapping"),
        ({"contians_any": ["x"]}, "unknown expectation"),
        ({"contains_any": []}, "non-empty string or list"),
        ({"contains_any": [3]}, "non-empty string or list"),
        ({"regex": "(["}, "does not compile"),
        ({"card": 5}, "'card' must be"),
        ({"card": {"type": "x", "colour": 1}}, "'card' takes"),
        ({"slots": []}, "'slots' must be a mapping"),
        ({"active_loop": 3}, "form name or null"),
        ({"handoff": "yes"}, "true or false"),
        ({"silent": False}, "default"),
        ({"constraint": {"max_price": "1000"}}, "must be a number"),
        ({"constraint": {"budget": 5}}, "unknown constraint key"),
        ({"constraint": {}}, "must be a mapping"),
    ],
)
def test_malformed_expectations_say_what_is_wrong(expect: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_expect(expect, "file.yml: conv: turn 1")
