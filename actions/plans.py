"""Mobile-plan and savings-plan forms and their submissions.

Both results are pure arithmetic on the customer's answers (see
:mod:`generators.mobile_plans` and :mod:`generators.savings`); the replies show
the cost breakdown or the working so the customer can check it.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import VoltlineFormValidation
from actions.texts import say
from bot.sdk.forms import (
    Parsed,
    SlotSpec,
    apology_for,
    choice_parser,
    find_number,
    known,
    number_parser,
    remember,
    reset,
    unanswered,
)
from bot.sdk.i18n import language_of
from bot.sdk.runtime import get_runtime
from generators.errors import GeneratorError
from generators.mobile_plans import MobilePlanAdvisor, MobilePlanRecommendation
from generators.savings import SavingsPlan, SavingsPlanner
from generators.schemas import payload

logger = logging.getLogger(__name__)

UNLIMITED_DATA_GB = 2000.0
"""What "unlimited" data stands for: more than any plan but Unlimited covers."""
UNLIMITED_MINUTES = 50_000.0

_data_gb = number_parser(
    low=0,
    high=UNLIMITED_DATA_GB,
    example="10 GB",
    what="your data use",
    units={"mb": 1 / 1000, "tb": 1000},
    wrong_units={
        "minute": "That sounds like minutes. How many gigabytes (GB) of data do you use a month?",
        "hour": "That sounds like call time. How many gigabytes (GB) of data do you use a month?",
    },
    kind="data",
    monthly=True,
    unlimited=UNLIMITED_DATA_GB,
)
_NONE = re.compile(r"^\s*(no|none|nope|never|not really|nothing|zero)\b", re.I)


def _zero_or(parse: Callable[[str], Parsed]) -> Callable[[str], Parsed]:
    """Accept "none"/"never" as 0; a number wins ("no, I meant 300 minutes")."""
    return lambda text: (
        Parsed(value=0.0) if _NONE.search(text) and find_number(text) is None else parse(text)
    )


_PER = r"(?:\s*(?:a|an|per|each|every|/)\s*(?:year|week|day|month))?"
MOBILE_SLOTS: dict[str, SlotSpec] = {
    "plan_data_gb": SlotSpec(
        _zero_or(_data_gb),
        keywords=("data",),
        label="your data use (GB)",
        mention=rf"\d[\d,.]*\s*(?:gb|gigs?|gigabytes?|mb|tb)\b{_PER}|\bunlimited data\b",
    ),
    "plan_minutes": SlotSpec(
        _zero_or(
            number_parser(
                low=0,
                high=UNLIMITED_MINUTES,
                example="300 minutes",
                what="your call minutes",
                units={"hour": 60, "hr": 60},
                wrong_units={
                    "gb": "That sounds like data. How many minutes of calls do you make a month?",
                    "gig": "That sounds like data. How many minutes of calls do you make a month?",
                },
                kind="call time",
                monthly=True,
                unlimited=UNLIMITED_MINUTES,
            )
        ),
        keywords=("minutes", "calls"),
        label="your call minutes",
        mention=rf"\d[\d,.]*\s*(?:minutes?|mins?)\b{_PER}"
        r"|\bunlimited (?:minutes|calls)\b",
    ),
    "plan_roaming_days": SlotSpec(
        _zero_or(
            number_parser(
                low=0,
                high=31,
                example="5 days",
                what="the days abroad",
                units={"week": 7},
                integer=True,
                kind="days",
                monthly=True,
            )
        ),
        keywords=("roaming", "abroad"),
        label="your days abroad",
        mention=rf"\d+\s*(?:days?|weeks?)\b{_PER}",
    ),
    "plan_budget": SlotSpec(
        number_parser(
            low=1, high=1000, example="25", what="your monthly budget", kind="money", monthly=True
        ),
        keywords=("budget", "spend"),
        allow_unknown=True,
        label="your budget",
        mention=r"[£$€]\s*\d[\d,.]*(?:\s*(?:a|per)\s*(?:month|year))?"
        r"|\b[\w-]+\s+(?:pounds?|quid)\b(?:\s*(?:a|per)\s*(?:month|year))?",
    ),
}


class ValidateMobilePlanForm(VoltlineFormValidation):
    slots: ClassVar[dict[str, SlotSpec]] = MOBILE_SLOTS

    def name(self) -> str:
        return "validate_mobile_plan_form"


def mobile_summary(result: MobilePlanRecommendation, language: str | None = None) -> str:
    """The lead-in above the card: the card itemises the plan, so the text does not."""
    if result.over_budget_by is not None:
        return say(
            "results.mobile_plan.over_budget",
            language,
            "Here's the cheapest way to cover your usage, though it's over your budget.",
        )
    return say(
        "results.mobile_plan.lead_in", language, "Here's the cheapest way to cover your usage."
    )


def default_advisor() -> MobilePlanAdvisor:
    """The runtime's plan advisor, its catalogue read once; call it in a worker thread."""
    return cast(MobilePlanAdvisor, get_runtime().get_sync("mobile_plans"))


class ActionMobilePlan(Action):
    def name(self) -> str:
        return "action_mobile_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if unanswered(tracker, MOBILE_SLOTS):
            return []
        usage = {
            "data_gb": tracker.get_slot("plan_data_gb"),
            "minutes": tracker.get_slot("plan_minutes"),
            "roaming_days": tracker.get_slot("plan_roaming_days"),
            "budget": known(tracker.get_slot("plan_budget")),
        }
        try:
            advisor = await asyncio.to_thread(default_advisor)
            result = advisor.recommend(usage)
        except GeneratorError as e:
            logger.warning("Mobile plan advice failed: %s", e)
            dispatcher.utter_message(
                text=apology_for(e, what="a plan for you", language=language_of(tracker))
            )
            return reset(MOBILE_SLOTS)
        dispatcher.utter_message(
            text=mobile_summary(result, language_of(tracker)),
            json_message=payload("mobile_plan", result),
        )
        return [*reset(MOBILE_SLOTS), remember("mobile_plan_form", tracker, MOBILE_SLOTS)]


# --------------------------------------------------------------------------- savings

_MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): n for n, name in enumerate(calendar.month_abbr) if name}


def parse_target_date(text: str, *, today: date) -> Parsed:
    """ "in 5 years", "18 months", "by June 2030", "2030", "2030-06-01" → a date."""
    lowered = text.lower()
    if iso := re.search(r"\b(20\d\d)-(\d\d)-(\d\d)\b", lowered):
        try:
            return _future(date(int(iso[1]), int(iso[2]), int(iso[3])), today)
        except ValueError:
            return Parsed(
                error="That date doesn't exist. Please give it like 2030-06-01 or 'in 5 years'."
            )
    if rel := re.search(r"(\d+(?:\.\d+)?)\s*(year|yr|month)", lowered):
        months = round(float(rel[1]) * (12 if rel[2] in ("year", "yr") else 1))
        total = today.month - 1 + months
        year = today.year + total // 12
        return (
            _future(date(year, total % 12 + 1, 1), today) if year <= today.year + 60 else _too_far()
        )
    if named := re.search(r"\b(20\d\d|19\d\d)\b", lowered):
        month = next((n for name, n in _MONTHS.items() if re.search(rf"\b{name}\b", lowered)), 1)
        return _future(date(int(named[1]), month, 1), today)
    return Parsed(error="When do you need the money? For example 'in 5 years' or 'by June 2030'.")


def _too_far() -> Parsed:
    return Parsed(error="I can plan up to 50 years ahead. When do you need the money?")


def _future(when: date, today: date) -> Parsed:
    months = (when.year - today.year) * 12 + when.month - today.month
    if months < 1:
        return Parsed(error="That date isn't in the future. When do you need the money?")
    if months > 600:
        return _too_far()
    return Parsed(value=when.isoformat())


SAVINGS_SLOTS: dict[str, SlotSpec] = {
    "savings_goal": SlotSpec(
        number_parser(low=100, high=10_000_000, example="10000", what="the goal amount"),
        keywords=("goal", "target"),
        label="your goal",
    ),
    "savings_date": SlotSpec(lambda text: parse_target_date(text, today=date.today())),
    "savings_current": SlotSpec(
        _zero_or(
            number_parser(low=0, high=10_000_000, example="1000 (or 0)", what="your savings so far")
        ),
        keywords=("already have", "saved"),
        label="what you've saved so far",
    ),
    "savings_loss_reaction": SlotSpec(
        choice_parser(
            {
                "sell": (
                    "sell",
                    "get out",
                    "panic",
                    "cash out",
                    "withdraw",
                    "卖",
                    "割肉",
                    "取出",
                    "撤",
                ),
                "buy_more": (
                    "buy more",
                    "invest more",
                    "top up",
                    "opportunity",
                    "加仓",
                    "多买",
                    "再投",
                    "追加",
                    "抄底",
                    "买更多",
                    "多投",
                ),
                "wait": (
                    "wait",
                    "hold",
                    "nothing",
                    "keep",
                    "ride",
                    "stay",
                    "等",
                    "拿着",
                    "不动",
                    "持有",
                    "不管",
                    "放着",
                    "观望",
                ),
            },
            question="If your savings fell 20% in a year, would you sell, wait, or invest more?",
        ),
    ),
    "savings_experience": SlotSpec(
        choice_parser(
            {
                "none": (
                    "none",
                    "no",
                    "never",
                    "beginner",
                    "new",
                    "没投",
                    "从没",
                    "从来没",
                    "没有",
                    "新手",
                    "不懂",
                ),
                "experienced": (
                    "experienced",
                    "a lot",
                    "years",
                    "expert",
                    "regularly",
                    "经常",
                    "常常",
                    "很多年",
                    "老手",
                    "定投",
                    "一直在",
                ),
                "some": (
                    "some",
                    "a bit",
                    "little",
                    "once",
                    "few",
                    "一点",
                    "一些",
                    "偶尔",
                    "几次",
                    "投过",
                ),
            },
            question="Have you invested before: never, a little, or regularly?",
        ),
    ),
}


class ValidateSavingsPlanForm(VoltlineFormValidation):
    slots: ClassVar[dict[str, SlotSpec]] = SAVINGS_SLOTS

    def name(self) -> str:
        return "validate_savings_plan_form"


def savings_summary(plan: SavingsPlan, language: str | None = None) -> str:
    """The lead-in above the card: the card has the figures, the arithmetic and the caveat."""
    return say(
        "results.savings_plan.lead_in",
        language,
        "Here's a savings plan for your goal, with how I worked it out.",
    )


def default_planner() -> SavingsPlanner:
    return cast(SavingsPlanner, get_runtime().get_sync("savings_planner"))


class ActionSavingsPlan(Action):
    def name(self) -> str:
        return "action_savings_plan"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if unanswered(tracker, SAVINGS_SLOTS):
            return []
        goal = {
            "goal_amount": tracker.get_slot("savings_goal"),
            "target_date": tracker.get_slot("savings_date"),
            "current_savings": known(tracker.get_slot("savings_current")) or 0,
            "loss_reaction": tracker.get_slot("savings_loss_reaction"),
            "experience": tracker.get_slot("savings_experience"),
        }
        try:
            planner = await asyncio.to_thread(default_planner)
            plan = planner.plan(goal, language=language_of(tracker))
        except GeneratorError as e:
            logger.warning("Savings plan failed: %s", e)
            dispatcher.utter_message(
                text=apology_for(e, what="a savings plan", language=language_of(tracker))
            )
            return reset(SAVINGS_SLOTS)
        dispatcher.utter_message(
            text=savings_summary(plan, language_of(tracker)),
            json_message=payload("savings_plan", plan),
        )
        return [*reset(SAVINGS_SLOTS), remember("savings_plan_form", tracker, SAVINGS_SLOTS)]
