"""The savings plan: five questions, then the kit's planner on Harbor's own funds.

The questions are asked by ``savings_plan_form``; :class:`ValidateSavingsPlanForm`
reads each answer from the customer's words (corrections and digressions are
the kit's :class:`bot.sdk.forms.TextFormValidation`). The plan itself is
:class:`generators.savings.SavingsPlanner` with the bank's funds and risk bands
(``data/products/savings_funds.yml``) as its assumptions.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.bank import card, savings_products
from bot.sdk.forms import (
    Parsed,
    SlotSpec,
    TextFormValidation,
    apology_for,
    choice_parser,
    known,
    number_parser,
    remember,
    reset,
)
from generators.errors import GeneratorError
from generators.savings import SavingsPlan, SavingsPlanner

log = logging.getLogger(__name__)

FORM = "savings_plan_form"
DIGRESSIONS = frozenset(
    {"ask_fees", "ask_banking_question", "ask_opening_hours", "bot_challenge", "out_of_scope"}
)
"""Questions a rule answers in the middle of a form (data/rules.yml), which then asks again."""

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month_number(word: str) -> int | None:
    """1-12 for a month's name or its first three letters ("sept" too)."""
    full = "january february march april may june july august september october november december"
    if word[:3] not in _MONTHS or (len(word) > 4 and word not in full.split()):
        return None
    return _MONTHS.index(word[:3]) + 1


def months_ahead(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_horizon(text: str, *, today: date | None = None) -> Parsed:
    """When the money is needed: "in 5 years", "18 months", "by June 2031", "2030"."""
    today = today or date.today()
    words = text.lower()
    when: date | None = None
    if span := re.search(r"(\d+(?:\.\d+)?)\s*(y(?:ea)?rs?|months?|mths?)\b", words):
        per = 12 if span[2].startswith("y") else 1
        when = months_ahead(today, round(float(span[1]) * per))
    elif "next year" in words:
        when = date(today.year + 1, today.month, 1)
    elif year := re.search(r"\b(2\d{3})\b", words):
        month = next(
            (m for w in re.findall(r"[a-z]+", words) if (m := _month_number(w))), today.month
        )
        when = date(int(year[1]), month, 1)
    if when is None:
        return Parsed(error='By when? Something like "in 5 years" or "by June 2031" works.')
    ahead = (when.year - today.year) * 12 + when.month - today.month
    if ahead < 1:
        return Parsed(error="That's not in the future. By when would you like the money?")
    if ahead > 600:
        return Parsed(error="I can plan up to 50 years ahead. By when would you like the money?")
    return Parsed(value=when.isoformat())


def _nothing_is_zero(parse: Any) -> Any:
    def read(text: str) -> Parsed:
        if re.search(r"\b(nothing|none|nada|zero|not yet|no savings)\b", text.lower()):
            return Parsed(value=0.0)
        return parse(text)

    return read


SLOTS: dict[str, SlotSpec] = {
    "savings_goal": SlotSpec(
        number_parser(low=100, high=5_000_000, example="15000", what="your savings goal"),
        keywords=("goal", "target", "aim"),
        label="your goal £",
    ),
    "savings_date": SlotSpec(parse_horizon, keywords=("by", "deadline"), label="by"),
    "savings_current": SlotSpec(
        _nothing_is_zero(
            number_parser(low=0, high=5_000_000, example="2000 (or 0)", what="what you have saved")
        ),
        keywords=("saved", "put aside", "already"),
        label="already saved £",
    ),
    "savings_loss_reaction": SlotSpec(
        choice_parser(
            {
                "buy_more": ("more", "top up", "bargain", "buy"),
                "sell": ("sell", "pull out", "take .*out", "get out", "panic"),
                "wait": ("wait", "hold", "leave it", "ride", "sit tight", "nothing", "keep"),
            },
            question="Would you sell, wait it out, or put more in?",
        )
    ),
    "savings_experience": SlotSpec(
        choice_parser(
            {
                "experienced": ("regular", "often", "lots", "experienced", "every month"),
                "some": ("little", "bit", "some", "once", "few", "occasional"),
                "none": ("never", "no", "none", "first time", "not really"),
            },
            question="Have you invested before: never, a little, or regularly?",
        )
    ),
}


GOAL_FIELDS = {
    "goal_amount": "savings_goal",
    "target_date": "savings_date",
    "current_savings": "savings_current",
    "loss_reaction": "savings_loss_reaction",
    "experience": "savings_experience",
}
"""The planner's inputs and the slots that hold them."""


class ValidateSavingsPlanForm(TextFormValidation):
    slots: ClassVar[dict[str, SlotSpec]] = SLOTS
    digressions: ClassVar[frozenset[str]] = DIGRESSIONS

    def name(self) -> str:
        return "validate_savings_plan_form"


def summary(plan: SavingsPlan, band: str) -> str:
    """The plan in two sentences; the card (payload) carries the working."""
    mix = ", ".join(f"{share:.0%} {fund}" for fund, share in plan.allocation.items())
    return (
        f"Your answers put you in our {band} band: {mix}. To reach £{plan.goal_amount:,.0f} by "
        f"{plan.target_date:%B %Y} you'd put in £{plan.monthly_contribution:,.2f} a month "
        f"(assuming {plan.expected_annual_return:.1%} a year before charges). {plan.disclaimer}"
    )


class ActionSavingsPlan(Action):
    def name(self) -> str:
        return "action_savings_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if any(tracker.get_slot(slot) is None for slot in SLOTS):
            return []  # the form was left before its last question
        goal = {field: known(tracker.get_slot(slot)) for field, slot in GOAL_FIELDS.items()}
        goal["current_savings"] = goal["current_savings"] or 0
        try:
            products = savings_products()
            plan = SavingsPlanner(assumptions=products.assumptions).plan(goal)
        except GeneratorError as e:
            log.warning("savings plan failed: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="a savings plan"))
            return reset(SLOTS)
        band = products.band_names.get(plan.risk_profile, plan.risk_profile.value)
        dispatcher.utter_message(text=summary(plan, band), json_message=card("savings_plan", plan))
        return [*reset(SLOTS), remember(FORM, tracker, SLOTS)]
