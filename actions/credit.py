"""Credit pre-check: the form that collects the scorecard's inputs, and its submission.

The reply says plainly that this is an indicative pre-check; a customer who is
declined or referred is offered a person straight away.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date
from typing import Any, ClassVar, cast

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import VoltlineFormValidation
from actions.texts import say
from bot.sdk.forms import (
    Parsed,
    SlotSpec,
    apology_for,
    choice_parser,
    known,
    number_parser,
    remember,
    reset,
    unanswered,
)
from bot.sdk.i18n import DEFAULT_LANGUAGE, language_of
from bot.sdk.runtime import get_runtime
from generators.credit import CreditScore, Decision, Scorecard
from generators.errors import GeneratorError
from generators.financing import FinancingOffer, FinancingTerms
from generators.schemas import payload

logger = logging.getLogger(__name__)

_NO_ACCOUNT = re.compile(
    r"\b(no|don'?t have an?|haven'?t got an?)\s+(current |checking |bank )?account\b", re.I
)
_OVERDRAWN = re.compile(r"\b(overdrawn|minus|in the red|overdraft)\b", re.I)
_NOT_WORKING = re.compile(
    r"\b(unemployed|not working|no job|out of work|between jobs|retired|student|"
    r"just started|started (?:this|last) (?:week|month)|brand new job)\b",
    re.I,
)
_SINCE_YEAR = re.compile(r"\bsince\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_NO_SAVINGS = re.compile(
    r"\b(no savings|no money saved|nothing saved|don'?t have any|haven'?t got any|"
    r"not a penny|nil|zilch)\b",
    re.I,
)

_checking_amount = number_parser(
    low=-100_000, high=10_000_000, example="250 or -50", what="the balance"
)
_employment_years = number_parser(
    low=0,
    high=60,
    example="3 years",
    what="the time in your job",
    units={"month": 1 / 12, "week": 1 / 52},
)


def parse_checking(text: str) -> Parsed:
    if _NO_ACCOUNT.search(text):
        return Parsed(value="no_account")
    parsed = _checking_amount(text)
    if parsed.value is not None and _OVERDRAWN.search(text):
        return Parsed(value=-abs(parsed.value))
    return parsed


def parse_employment(text: str) -> Parsed:
    if _NOT_WORKING.search(text):
        return Parsed(value=0.0)
    since = _SINCE_YEAR.search(text)
    if since is not None:
        years = date.today().year - int(since["year"])
        if 0 <= years <= 60:
            return Parsed(value=float(years))
    return _employment_years(text)


_savings_amount = number_parser(low=0, high=100_000_000, example="500 (or 0)", what="your savings")


def parse_savings(text: str) -> Parsed:
    """Savings as a number; "no savings" and "don't have any" are 0."""
    parsed = _savings_amount(text)
    if parsed.value is None and _NO_SAVINGS.search(text):
        return Parsed(value=0.0)
    return parsed


_HISTORY_CHOICES = choice_parser(
    {
        "past_delays": (
            "late",
            "delay",
            "missed",
            "behind",
            "逾期",
            "晚还",
            "迟还",
            "拖欠过",
            "没按时",
        ),
        "critical": (
            "default",
            "arrears",
            "other loans",
            "other credit",
            "several loans",
            "ccj",
            "county court",
            "bankrupt",
            "iva",
            "debt management",
            "其他贷款",
            "别的贷款",
            "好几笔",
            "欠款",
            "违约",
        ),
        "none_or_all_paid": (
            "never",
            "first",
            "no credit",
            "all paid",
            "paid off",
            "none",
            "没借过",
            "从没借",
            "从来没借",
            "第一次",
            "都还清",
            "还清了",
        ),
        "paid_on_time": (
            "on time",
            "fine",
            "good",
            "always",
            "yes",
            "paying",
            "按时",
            "准时",
            "一直",
            "挺好",
            "正常",
        ),
    },
    question="Have you paid past credit on time, been late before, or never borrowed?",
)
# "never missed a payment", "not once late": lateness denied is paying on time, though
# "missed" and "never" alone name other answers.
_NEVER_LATE = re.compile(
    r"\b(?:never|not once|not ever|no|zero|0)\s+(?:\w+\s+){0,3}?"
    r"(?:late|missed|miss|behind|delay(?:ed|s)?)\b"
    r"|\b(?:never|not once)\s+(?:been\s+)?(?:late|behind)\b"
)


def parse_history(text: str) -> Parsed:
    """How past credit went; a denied lateness ("never missed one") is paid on time."""
    if _NEVER_LATE.search(text.lower()):
        return Parsed(value="paid_on_time")
    return _HISTORY_CHOICES(text)


PRODUCT_PURPOSE = {
    "phones": "electronics",
    "laptops": "electronics",
    "tvs": "electronics",
    "headphones": "electronics",
    "tablets": "electronics",
    "audio": "electronics",
    "wearables": "electronics",
    "accessories": "electronics",
    "appliances": "appliances",
}

CREDIT_SLOTS: dict[str, SlotSpec] = {
    "credit_amount": SlotSpec(
        number_parser(low=50, high=100_000, example="1500", what="the amount"),
        keywords=("amount", "borrow"),
        label="the amount",
    ),
    "credit_term_months": SlotSpec(
        number_parser(
            low=1,
            high=72,
            example="24 months",
            what="the term",
            integer=True,
            units={"year": 12, "yr": 12},
        ),
        keywords=("term", "repay over", "pay it back over"),
        label="the term (months)",
    ),
    "credit_monthly_income": SlotSpec(
        number_parser(
            low=1,
            high=1_000_000,
            example="2200",
            what="your monthly income",
            units={"a year": 1 / 12, "per year": 1 / 12, "annual": 1 / 12},
        ),
        keywords=("income", "salary", "earn"),
        allow_unknown=True,
        label="your monthly income",
    ),
    "credit_checking_balance": SlotSpec(
        parse_checking, keywords=("current account", "checking account"), allow_unknown=True
    ),
    "credit_savings": SlotSpec(
        parse_savings,
        keywords=("savings",),
        allow_unknown=True,
        label="your savings",
    ),
    "credit_employment_years": SlotSpec(
        parse_employment, keywords=("job", "employed for"), allow_unknown=True
    ),
    "credit_housing": SlotSpec(
        choice_parser(
            {
                "own": (
                    "own",
                    "mortgage",
                    "homeowner",
                    "自己的房",
                    "自有",
                    "自己买",
                    "房贷",
                    "买了房",
                ),
                "rent": (
                    "rent",
                    "tenant",
                    "lease",
                    "council",
                    "housing association",
                    "landlord",
                    "租",
                ),
                "free": (
                    "free",
                    "parents",
                    "family",
                    "with friends",
                    "mum",
                    "mom",
                    "dad",
                    "nan",
                    "grandparents",
                    "父母",
                    "家里",
                    "爸妈",
                    "家人",
                    "亲戚",
                    "朋友",
                    "宿舍",
                    "不用付房租",
                    "免租",
                ),
            },
            question="Do you own your home, rent, or live rent-free (for example with family)?",
        ),
        keywords=("housing",),
        allow_unknown=True,
    ),
    "credit_history": SlotSpec(parse_history, keywords=("history",), allow_unknown=True),
    "credit_other_installments": SlotSpec(
        choice_parser(
            {
                "none": ("no", "none", "nothing", "nope", "没有", "没", "无"),
                "bank": (
                    "bank",
                    "loan",
                    "finance",
                    "credit card",
                    "car finance",
                    "overdraft",
                    "银行",
                    "贷款",
                    "信用卡",
                ),
                "stores": (
                    "store",
                    "shop",
                    "catalogue",
                    "buy now",
                    "klarna",
                    "clearpay",
                    "laybuy",
                    "pay in 3",
                    "pay later",
                    "商店",
                    "商场",
                    "店里",
                    "花呗",
                    "分期商城",
                ),
            },
            question="Are you paying off other instalment plans: with a bank, a store, or none?",
        ),
        keywords=("instalment", "installment"),
        allow_unknown=True,
    ),
}


LAST_RESULT_SLOT = "credit_last_result"
"""The last pre-check's payload, so "why was I declined?" is answered from it."""


class ValidateCreditForm(VoltlineFormValidation):
    """Parses the answers, then holds the amount and term to the product's financing terms."""

    slots: ClassVar[dict[str, SlotSpec]] = CREDIT_SLOTS

    def name(self) -> str:
        return "validate_credit_form"

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        changed = {e["name"] for e in events if e.get("event") == "slot"}
        amount = known(tracker.slots.get("credit_amount"))
        months = known(tracker.slots.get("credit_term_months"))
        if amount is None or not changed & {"credit_amount", "credit_term_months"}:
            return events
        terms = await asyncio.to_thread(default_terms)
        if amount <= terms.minimum_amount:
            english = terms.term_refusal(amount, months or 0) or ""
            minimum, asked = terms.money(terms.minimum_amount), terms.money(amount)
            text = self.say(tracker, "forms.credit.minimum", english, minimum=minimum, amount=asked)
            dispatcher.utter_message(text=text)
            return [*events, SlotSet("credit_amount", None)]
        if months is not None and (refusal := terms.term_refusal(amount, months)):
            options = "、".join(str(t) for t in terms.allowed_terms(amount))
            text = self.say(
                tracker, "forms.credit.term", refusal, amount=terms.money(amount), options=options
            )
            dispatcher.utter_message(text=text)
            return [*events, SlotSet("credit_term_months", None)]
        return events


def application_from_slots(tracker: Tracker) -> dict[str, Any]:
    """Form answers → scorecard input; "I don't know" becomes a neutral missing value.

    A plain dict, so the scorecard's own validation reports anything missing.
    """
    slot = lambda name: known(tracker.get_slot(name))  # noqa: E731
    checking = slot("credit_checking_balance")
    return dict(
        credit_amount=slot("credit_amount"),
        duration_months=slot("credit_term_months"),
        monthly_income=slot("credit_monthly_income"),
        has_checking_account=checking != "no_account",
        checking_balance=None if checking == "no_account" else checking,
        savings_balance=slot("credit_savings"),
        employment_years=slot("credit_employment_years"),
        housing=slot("credit_housing"),
        credit_history=slot("credit_history"),
        other_installments=slot("credit_other_installments"),
        purpose=PRODUCT_PURPOSE.get(tracker.get_slot("product_category") or ""),
    )


_HEADLINES = {
    Decision.PRE_APPROVED: "Good news: you look likely to qualify for financing.",
    Decision.REVIEW: "Your application would need a closer look by our finance team.",
    Decision.DECLINED: "Based on these answers, financing looks unlikely at the moment.",
}


def headline(result: CreditScore, language: str | None = None) -> str:
    """The decision and the indicative score, in one line."""
    decision = say(f"results.credit.{result.decision.value}", language, _HEADLINES[result.decision])
    score = say(
        "results.credit.score",
        language,
        " Indicative score: {score} out of 1000.",
        score=result.score,
    )
    return f"{decision}{score}"


def reasons_text(result: CreditScore, language: str | None = None) -> str:
    if not result.reasons:
        return say("results.credit.no_factors", language, "None of your answers lowered the score.")
    return "\n".join(
        [say("results.credit.factors", language, "The main factors that lowered your score:")]
        + [f"• {r.reason}" for r in result.reasons]
    )


def representative_example(offer: FinancingOffer, language: str | None = None) -> str:
    """The offer's representative example, worded in ``language`` from its figures."""
    if not language or language == DEFAULT_LANGUAGE:
        return offer.representative_example

    def money(value: float) -> str:
        symbol = _SYMBOLS.get(offer.currency)
        return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {offer.currency}"

    interest = offer.total_payable - offer.amount
    cost = (
        say("results.credit.example_interest", language, "", interest=money(interest))
        if interest > 0.005
        else say("results.credit.example_no_interest", language, "")
    )
    return say(
        "results.credit.example",
        language,
        offer.representative_example,
        amount=money(offer.amount),
        months=offer.term_months,
        apr=f"{offer.apr_percent:g}",
        monthly=money(offer.monthly_payment),
        total=money(offer.total_payable),
        cost=cost,
    )


_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def summary(result: CreditScore, language: str | None = None) -> str:
    """The plain-text version of the card, for channels that can't render it."""
    lines = [headline(result, language)]
    if result.financing:
        lines.append(representative_example(result.financing, language))
    if result.reasons and result.decision is not Decision.PRE_APPROVED:
        lines.append(reasons_text(result, language))
    lines.append(result.disclaimer)
    return "\n".join(lines)


def default_scorecard() -> Scorecard:
    """The runtime's scorecard, loaded once; call it in a worker thread."""
    return cast(Scorecard, get_runtime().get_sync("scorecard"))


def default_terms() -> FinancingTerms:
    """The runtime's financing terms, loaded once; call it in a worker thread."""
    return cast(FinancingTerms, get_runtime().get_sync("financing_terms"))


class ActionCreditPrecheck(Action):
    def name(self) -> str:
        return "action_credit_precheck"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if unanswered(tracker, CREDIT_SLOTS):
            return []
        try:
            application = application_from_slots(tracker)
            amount, terms = application["credit_amount"], await asyncio.to_thread(default_terms)
            scorecard = await asyncio.to_thread(default_scorecard)
            result = scorecard.score(
                application,
                offered_terms=terms.allowed_terms(amount) if amount else None,
                language=language_of(tracker),
            )
            offer = terms.offer(amount, application["duration_months"])
            if offer is not None:  # the card shows the example as the text says it
                example = representative_example(offer, language_of(tracker))
                offer = offer.model_copy(update={"representative_example": example})
            result = result.model_copy(update={"financing": offer})
        except GeneratorError as e:
            logger.warning("Credit pre-check failed: %s", e)
            dispatcher.utter_message(
                text=apology_for(e, what="your pre-check", language=language_of(tracker))
            )
            return reset(CREDIT_SLOTS)
        card = payload("credit_score", result)
        language = language_of(tracker)
        dispatcher.utter_message(text=summary(result, language), json_message=card)
        remembered = SlotSet(LAST_RESULT_SLOT, card["data"])
        answers = remember("credit_form", tracker, CREDIT_SLOTS)
        if result.decision is not Decision.PRE_APPROVED:
            dispatcher.utter_message(
                text=say(
                    "results.credit.talk_it_through",
                    language,
                    "Would you like to talk it through with a person from our finance team?",
                ),
                buttons=[
                    {
                        "title": say(
                            "results.credit.yes_person", language, "Yes, talk to a person"
                        ),
                        "payload": "/ask_human",
                    },
                    {
                        "title": say("results.credit.no_thanks", language, "No, thanks"),
                        "payload": "/deny",
                    },
                ],
            )
            # If they say yes, the agents' queue shows why (actions/handoff.py).
            return [
                *reset(CREDIT_SLOTS),
                remembered,
                answers,
                SlotSet("handoff_reason", "credit_declined"),
            ]
        return [*reset(CREDIT_SLOTS), remembered, answers]


_OUTCOMES = {
    Decision.PRE_APPROVED: "looked likely to qualify",
    Decision.REVIEW: "needed a closer look by our finance team",
    Decision.DECLINED: "looked unlikely to qualify",
}


class ActionExplainCreditResult(Action):
    """Answers "why was I declined?" from the last pre-check's own reasons."""

    def name(self) -> str:
        return "action_explain_credit_result"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        last = tracker.get_slot(LAST_RESULT_SLOT)
        try:
            result = CreditScore.model_validate(last) if last else None
        except ValueError:
            logger.warning("Ignoring an unreadable last credit result: %r", last)
            result = None
        language = language_of(tracker)
        if result is None:
            dispatcher.utter_message(
                text=say(
                    "results.credit.none_yet",
                    language,
                    "I haven't run a financing pre-check with you yet, so there's no result to "
                    'explain. Say "check financing" and I\'ll start one.',
                )
            )
            return []
        outcome = say(
            f"results.credit.last.{result.decision.value}",
            language,
            "Your last pre-check {outcome} (indicative score {score} out of 1000).",
            outcome=_OUTCOMES[result.decision],
            score=result.score,
        )
        lines = [outcome, reasons_text(result, language)]
        if result.financing:
            lines.append(representative_example(result.financing, language))
        lines.append(result.disclaimer)
        dispatcher.utter_message(text="\n".join(lines))
        return []
