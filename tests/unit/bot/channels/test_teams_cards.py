"""Adaptive Card rendering of every reply Tandem sends to Teams.

The structured payloads are real generator output (``generators/credit.py``,
``mobile_plans.py``, ``savings.py``, ``recommend.py``), shortened.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.channels.cards import (
    CARD_CONTENT_TYPE,
    Rendered,
    agent_text,
    buttons_card,
    escape_markdown,
    image_card,
    render_custom,
)

# fmt: off
CREDIT_SCORE: dict[str, Any] = {"type": "credit_score", "schema_version": 2, "data": {"score": 528, "decision": "pre_approved", "reasons": [{"feature": "duration_in_month", "reason": "The length of the repayment term", "points_lost": 15.1}, {"feature": "credit_amount", "reason": "The amount you want to borrow", "points_lost": 1.8}], "points": {"status_of_existing_checking_account": 51.2, "duration_in_month": 62.6, "credit_history": 51.2}, "unknown_inputs": ["credit history", "current account balance"], "scaling": "600 points at 50:1 good:bad odds, 20 points to double the odds", "disclaimer": "This is an indicative pre-check, not a credit decision. A lender will run a full assessment, including a credit reference check, before offering finance.", "model_version": "german-credit-woe-lr-1", "financing": {"currency": "GBP", "amount": 1200.0, "term_months": 24, "apr_percent": 9.9, "monthly_payment": 55.08, "total_payable": 1321.92, "representative_example": "Representative example: borrowing \u00a31,200.00 over 24 months at 9.9% APR representative costs \u00a355.08 a month; total amount payable \u00a31,321.92, of which \u00a3121.92 is interest."}}}  # noqa: E501
MOBILE_PLAN: dict[str, Any] = {"type": "mobile_plan", "schema_version": 1, "data": {"usage": {"data_gb": 12.0, "minutes": 300.0, "roaming_days": 3.0, "budget": 20.0}, "currency": "GBP", "best": {"plan_id": "plus", "plan_name": "Plus", "line_items": [{"id": "plus", "name": "Plus", "quantity": 1, "monthly_cost": 29.0}], "monthly_total": 29.0, "covers": {"data_gb": 30.0, "minutes": None, "roaming_days": None}, "within_budget": False}, "runner_up": {"plan_id": "basic", "plan_name": "Basic", "line_items": [{"id": "basic", "name": "Basic", "quantity": 1, "monthly_cost": 15.0}, {"id": "data_5gb", "name": "Data Boost 5 GB", "quantity": 2, "monthly_cost": 10.0}, {"id": "roam_day", "name": "EU Roam Day Pass", "quantity": 3, "monthly_cost": 6.0}], "monthly_total": 31.0, "covers": {"data_gb": 15.0, "minutes": None, "roaming_days": 3.0}, "within_budget": False}, "over_budget_by": 9.0}}  # noqa: E501
SAVINGS_PLAN: dict[str, Any] = {"type": "savings_plan", "schema_version": 1, "data": {"goal_amount": 5000.0, "target_date": "2030-01-01", "months": 48, "current_savings": 0.0, "risk_score": 2, "risk_profile": "cautious", "allocation": {"stocks": 0.2, "bonds": 0.5, "cash": 0.3}, "expected_annual_return": 0.033, "monthly_contribution": 97.69, "projected_value": 5000.45, "steps": ["Risk score 2/8 → cautious profile (20% stocks, 50% bonds, 30% cash).", "Expected return = 20%*6.0% + 50%*3.0% + 30%*2.0% = 3.30% a year = 0.2709% a month.", "Months to 2030-01-01: 48."], "assumptions": ["stocks return 6.0% a year, nominal, before fees", "bonds return 3.0% a year, nominal, before fees"], "disclaimer": "This plan is an illustration, not financial advice. Returns are assumptions, not promises: investments can fall as well as rise and you may get back less than you put in."}}  # noqa: E501
RECOMMENDATIONS: dict[str, Any] = {"type": "recommendations", "schema_version": 1, "data": {"customer_id": None, "items": [{"product_id": "wireless-pad", "name": "Wireless Charging Pad", "category": "accessories", "price": 35.0, "score": 0.5193, "source": "hybrid", "reason": "Because you looked at Nova 8"}, {"product_id": "nova-7a", "name": "Nova 7a", "category": "phones", "price": 329.0, "score": 0.3122, "source": "hybrid", "reason": "Because you looked at Nova 8"}], "currency": "GBP"}}  # noqa: E501
# fmt: on

ELEMENTS = {"TextBlock", "FactSet", "ColumnSet", "Column", "Container", "Image"}
ACTIONS = {"Action.Submit", "Action.OpenUrl"}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def card_of(rendered: Rendered) -> dict[str, Any]:
    [attachment] = rendered.attachments
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    kinds = {e["type"] for e in walk(card["body"])}
    assert kinds <= ELEMENTS, f"elements Teams would not draw: {kinds - ELEMENTS}"
    assert {a["type"] for a in card.get("actions", [])} <= ACTIONS
    json.dumps(card)  # plain JSON all the way down
    return card


def texts(card: dict[str, Any]) -> list[str]:
    return [e["text"] for e in walk(card["body"]) if e["type"] == "TextBlock"]


def facts(card: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in walk(card["body"]):
        if element["type"] == "FactSet":
            found.update({f["title"]: f["value"] for f in element["facts"]})
    return found


def rows(card: dict[str, Any]) -> list[list[str]]:
    return [
        [block["text"] for column in e["columns"] for block in column["items"]]
        for e in walk(card["body"])
        if e["type"] == "ColumnSet"
    ]


def test_buttons_become_submit_actions_whose_data_carries_the_payload() -> None:
    card = buttons_card(
        "Which one?",
        [
            {"title": "Mobile plans", "payload": "/ask_mobile_plan"},
            {"title": "Savings", "payload": '/ask_savings{"goal": 5000}'},
            {"title": "Our shop", "url": "https://voltline.example"},
        ],
    )
    content = card_of(Rendered(attachments=[card]))
    assert texts(content) == ["Which one?"]
    assert content["actions"] == [
        {"type": "Action.Submit", "title": "Mobile plans", "data": {"payload": "/ask_mobile_plan"}},
        {
            "type": "Action.Submit",
            "title": "Savings",
            "data": {"payload": '/ask_savings{"goal": 5000}'},
        },
        {"type": "Action.OpenUrl", "title": "Our shop", "url": "https://voltline.example"},
    ]


def test_an_image_is_an_image_element() -> None:
    content = card_of(Rendered(attachments=[image_card("https://x.example/a.png")]))
    assert content["body"] == [
        {"type": "Image", "url": "https://x.example/a.png", "size": "Stretch"}
    ]


def test_credit_score_card() -> None:
    rendered = render_custom(CREDIT_SCORE, text="Good news: you look likely to qualify.")
    assert rendered.text == "Good news: you look likely to qualify."
    card = card_of(rendered)
    assert facts(card) == {
        "Score": "528 / 1000",
        "Outcome": "Pre approved",
        "Monthly payment": "£55.08",
        "Term": "24 months",
        "Representative APR": "9.9%",
        "Total payable": "£1,321.92",
    }
    assert CREDIT_SCORE["data"]["financing"]["representative_example"] in texts(card)
    assert not any("default" in t.lower() for t in texts(card))
    assert ["The length of the repayment term", "-15.1 pts"] in rows(card)
    assert ["The amount you want to borrow", "-1.8 pts"] in rows(card)
    assert "Not answered (counted as neutral): credit history, current account balance" in texts(
        card
    )
    assert CREDIT_SCORE["data"]["disclaimer"] in texts(card)


def test_mobile_plan_card() -> None:
    card = card_of(render_custom(MOBILE_PLAN))
    shown = texts(card)
    assert shown[0] == "Your plan: Plus, £29.00"
    assert ["Plus", "x 1", "£29.00"] in rows(card)
    assert ["Data Boost 5 GB", "x 2", "£10.00"] in rows(card)
    assert ["Total per month", "", "£31.00"] in rows(card)
    assert "£9.00 over your budget." in shown
    assert "Runner-up: Basic" in shown
    assert facts(card)["Minutes"] == "unlimited"


def test_savings_plan_card() -> None:
    card = card_of(render_custom(SAVINGS_PLAN))
    assert facts(card) == {
        "Goal": "5,000.00 by 2030-01-01",
        "Monthly contribution": "97.69",
        "Months": "48",
        "Risk profile": "Cautious (2/8)",
        "Expected return": "3.3% a year",
        "Projected value": "5,000.45",
    }
    assert rows(card) == [["Stocks", "20%"], ["Bonds", "50%"], ["Cash", "30%"]]
    assert "3. Months to 2030-01-01: 48." in texts(card)


def test_recommendations_card() -> None:
    card = card_of(render_custom(RECOMMENDATIONS))
    assert rows(card) == [
        ["Wireless Charging Pad", "Because you looked at Nova 8", "£35.00"],
        ["Nova 7a", "Because you looked at Nova 8", "£329.00"],
    ]


def test_no_recommendations_still_renders() -> None:
    empty = copy.deepcopy(RECOMMENDATIONS)
    empty["data"]["items"] = []
    assert texts(card_of(render_custom(empty))) == ["No recommendations yet"]


def test_an_agent_message_shows_the_agent_name() -> None:
    rendered = render_custom({"type": "agent_message", "agent": "Ana_B"}, text="Hi, I'm on it.")
    assert rendered == Rendered(text="**Ana\\_B:** Hi, I'm on it.")


@pytest.mark.parametrize(
    ("payload", "text", "shown"),
    [
        (
            {"type": "handoff", "state": "waiting", "position": 2},
            "You're number 2.",
            "You're number 2.",
        ),
        (
            {"type": "handoff", "agent": "Ben"},
            None,
            "Ben from our team has joined the conversation.",
        ),
        ({"type": "handoff"}, None, "You are being connected with a member of our team."),
    ],
)
def test_handoff_payloads_become_text(payload: dict, text: str | None, shown: str) -> None:
    assert render_custom(payload, text=text) == Rendered(text=shown)


def test_escape_markdown_leaves_plain_names_alone() -> None:
    assert escape_markdown("Ana Lopez") == "Ana Lopez"
    assert agent_text("hello", {"agent": "  "}) == "hello"


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "weather", "data": {"t": 21}},
        {"type": "credit_score", "schema_version": 3, "data": CREDIT_SCORE["data"]},
        {"type": "credit_score", "schema_version": 1, "data": CREDIT_SCORE["data"]},
        {"type": "credit_score", "schema_version": 2, "data": {"score": 1}},
        {"type": "mobile_plan", "schema_version": 1, "data": "oops"},
        {
            "type": "savings_plan",
            "schema_version": 1,
            "data": {**SAVINGS_PLAN["data"], "months": "many"},
        },
        ["not", "an", "object"],
        {"marketing_copy": {"variants": ["```nested fence```"]}},
    ],
)
def test_anything_else_becomes_a_code_block_and_never_raises(payload: Any) -> None:
    rendered = render_custom(payload, text="Summary")
    assert rendered.attachments == []
    assert rendered.text.startswith("Summary\n\n```json\n") and rendered.text.endswith("\n```")
    assert rendered.text.count("```") == 2


def test_huge_payloads_are_cut() -> None:
    rendered = render_custom({"type": "log", "lines": ["x" * 100] * 100})
    assert len(rendered.text) < 3200 and rendered.text.endswith("...\n```")


def test_marketing_copy_card_lists_every_variant() -> None:
    payload = {
        "type": "marketing_copy",
        "schema_version": 1,
        "data": {
            "brief": {"product": "Nova 8", "audience": "students", "tone": "playful"},
            "variants": [{"text": "Small *phone*, big days.", "source": "model"},
                         {"text": "Charge once, study all week.", "source": "template"}],
        },
    }  # fmt: skip
    rendered = render_custom(payload, text="Here are 2 versions for Nova 8")
    [attachment] = rendered.attachments
    texts = [n["text"] for n in walk(attachment["content"]) if n["type"] == "TextBlock"]
    assert texts[0] == "Copy for Nova 8"
    assert texts[1:] == [
        "**1.** Small \\*phone\\*, big days\\.",
        "**2.** Charge once, study all week\\.",
    ]


def test_recommendations_outside_the_request_are_labelled() -> None:
    outside = copy.deepcopy(RECOMMENDATIONS)
    outside["data"]["note"] = "Nothing in our range fits laptops for gaming under £1,000."
    outside["data"]["items"][1].update(
        fits=False, misses=["£299 over your £1,000 budget"], reason="£1,299, £299 over budget"
    )
    card = card_of(render_custom(outside))
    assert texts(card)[1] == "Nothing in our range fits laptops for gaming under £1,000."
    assert rows(card)[0][0] == "Wireless Charging Pad"
    assert rows(card)[1][0] == "Nova 7a (outside your request)"
