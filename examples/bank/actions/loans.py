"""The personal-loan pre-check: seven questions, the kit's scorecard, Harbor's own terms.

The score is :class:`generators.credit.Scorecard` (the kit's model); what the bank
decides from it is its own: the cut-offs and the largest amount come from
``data/products/lending_policy.yml`` and the terms and rates from
``data/products/loan_terms.json`` (:class:`generators.financing.FinancingTerms`).
A decline or a referral offers a colleague.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.bank import LendingPolicy, card, lending_policy, loan_terms
from actions.savings import DIGRESSIONS
from bot.sdk.forms import (
    Parsed,
    SlotSpec,
    TextFormValidation,
    apology_for,
    choice_parser,
    find_number,
    known,
    number_parser,
    remember,
    reset,
)
from generators.credit import DEFAULT_ARTIFACT, CreditScore, Decision, Scorecard
from generators.errors import GeneratorError, ModelLoadError

log = logging.getLogger(__name__)

FORM = "loan_precheck_form"
DECISION_SLOT = "loan_decision"
"""The last pre-check's band: after a decline or a referral, "yes" means a colleague."""


def parse_amount(text: str) -> Parsed:
    """An amount the bank lends: above the smallest plan's floor, up to the policy's cap."""
    terms, policy = loan_terms(), lending_policy()
    parsed = number_parser(
        low=0, high=policy.max_amount, example="7500", what="the amount to borrow"
    )(text)
    if parsed.error is None and parsed.value <= terms.minimum_amount:
        return Parsed(
            error=f"Our personal loans start above {terms.money(terms.minimum_amount)}. "
            "How much would you like to borrow?"
        )
    return parsed


def parse_term(text: str) -> Parsed:
    """A term in months ("3 years" is 36) that the loan terms offer at all."""
    number = find_number(text)
    if number is None:
        return Parsed(error="Please give the term in months or years, for example 36 months.")
    months = round(number * 12) if re.search(r"\by(ea)?rs?\b", text.lower()) else round(number)
    offered = sorted({p.term_months for p in loan_terms().plans})
    if months not in offered:
        listed = ", ".join(str(m) for m in offered)
        return Parsed(error=f"We offer terms of {listed} months. Which would suit you?")
    return Parsed(value=months)


_YEARS_IN_JOB = number_parser(
    low=0, high=60, example="3 years", what="the years in your job", units={"month": 1 / 12}
)


def parse_job_years(text: str) -> Parsed:
    """Years in the current job; not working is 0."""
    if re.search(r"\b(not working|unemployed|between jobs|no job|retired)\b", text.lower()):
        return Parsed(value=0.0)
    return _YEARS_IN_JOB(text)


SLOTS: dict[str, SlotSpec] = {
    "loan_amount": SlotSpec(parse_amount, keywords=("amount", "borrow", "loan of"), label="£"),
    "loan_term_months": SlotSpec(
        parse_term, keywords=("term", "over", "repay over"), label="term (months)"
    ),
    "loan_purpose": SlotSpec(
        choice_parser(
            {
                "car_used": ("used car", "second.hand", "secondhand"),
                "car_new": ("car", "vehicle", "van", "motor"),
                "repairs": (
                    "home improvement",
                    "kitchen",
                    "bathroom",
                    "roof",
                    "repair",
                    "extension",
                ),
                "furniture": ("furniture", "sofa", "bed", "furnish"),
                "education": ("education", "course", "studies", "university", "tuition"),
                "business": ("business", "shop", "company", "start.?up"),
                "other": ("debt", "consolidat", "wedding", "holiday", "other", "something else"),
            },
            question="Is it for a car, home improvements, furniture, education, a business, "
            "or something else?",
        ),
        allow_unknown=True,
    ),
    "loan_monthly_income": SlotSpec(
        number_parser(
            low=0, high=200_000, example="2200", what="your monthly income", monthly=True
        ),
        keywords=("income", "earn", "salary", "take home"),
        allow_unknown=True,
        label="monthly income £",
    ),
    "loan_employment_years": SlotSpec(parse_job_years, allow_unknown=True),
    "loan_housing": SlotSpec(
        choice_parser(
            {
                "free": ("parents", "family", "rent.?free", "for free", "with my"),
                "rent": ("rent", "tenant", "lease", "flat share"),
                "own": ("own", "mortgage", "homeowner", "bought"),
            },
            question="Do you own your home, rent, or live rent-free?",
        ),
        allow_unknown=True,
    ),
    "loan_history": SlotSpec(
        choice_parser(
            {
                "paid_on_time": (
                    "on time",
                    "always paid",
                    r"never (?:been |was )?late",
                    "never missed",
                ),
                "past_delays": ("late", "missed", "behind", "arrears", "default"),
                "critical": ("elsewhere", "other loan", "other credit", "credit cards"),
                "none_or_all_paid": ("never", "first", "paid off", "no credit", "nothing"),
            },
            question="Always paid on time, been late before, never borrowed, or other loans "
            "elsewhere?",
        ),
        allow_unknown=True,
    ),
}


class ValidateLoanPrecheckForm(TextFormValidation):
    slots: ClassVar[dict[str, SlotSpec]] = SLOTS
    digressions: ClassVar[frozenset[str]] = DIGRESSIONS

    def name(self) -> str:
        return "validate_loan_precheck_form"

    async def validate_loan_term_months(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """A term the amount allows: 48 months for £2,000 is refused with the options."""
        amount = tracker.get_slot("loan_amount")
        if isinstance(value, int) and isinstance(amount, int | float):
            refusal = loan_terms().term_refusal(float(amount), value)
            if refusal:
                dispatcher.utter_message(text=refusal)
                return {"loan_term_months": None}
        return {"loan_term_months": value}


def scorecard(policy: LendingPolicy) -> Scorecard:
    """The kit's scorecard with the bank's own cut-offs."""
    try:
        artifact = json.loads(DEFAULT_ARTIFACT.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelLoadError(
            f"The kit's credit scorecard at {DEFAULT_ARTIFACT} is unreadable: {e}. "
            "Reinstall the kit.",
            path=DEFAULT_ARTIFACT,
        ) from e
    artifact["decision_pd"] = {
        "pre_approved_below": policy.pre_approved_below,
        "declined_from": policy.declined_from,
    }
    return Scorecard(artifact=artifact)


OUTCOME = {
    Decision.PRE_APPROVED: "Good news: a loan like this looks likely.",
    Decision.REVIEW: "A loan like this might be possible, but a colleague would need to look "
    "at your application in more detail.",
    Decision.DECLINED: "I'm sorry, a loan like this looks unlikely at the moment.",
}


def summary(result: CreditScore) -> str:
    text = f"{OUTCOME[result.decision]} (indicative score {result.score})."
    if result.decision is not Decision.PRE_APPROVED and result.reasons:
        text += " What weighed most: " + "; ".join(r.reason for r in result.reasons[:2]) + "."
    if result.financing is not None:
        text += f" {result.financing.representative_example}"
    if result.decision is not Decision.PRE_APPROVED:
        text += " Would you like to talk it through with a colleague?"
    return f"{text} {result.disclaimer}"


class ActionLoanPrecheck(Action):
    def name(self) -> str:
        return "action_loan_precheck"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if any(tracker.get_slot(slot) is None for slot in SLOTS):
            return []  # the form was left before its last question
        amount = float(tracker.get_slot("loan_amount"))
        months = int(tracker.get_slot("loan_term_months"))
        years = known(tracker.get_slot("loan_employment_years"))
        application = {
            "credit_amount": amount,
            "duration_months": months,
            "purpose": known(tracker.get_slot("loan_purpose")),
            "monthly_income": known(tracker.get_slot("loan_monthly_income")) or None,
            "employment_years": years,
            "housing": known(tracker.get_slot("loan_housing")),
            "credit_history": known(tracker.get_slot("loan_history")),
        }
        try:
            terms = loan_terms()
            result = scorecard(lending_policy()).score(
                application, offered_terms=terms.allowed_terms(amount)
            )
            result = result.model_copy(update={"financing": terms.offer(amount, months)})
        except GeneratorError as e:
            log.warning("loan pre-check failed: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="a loan pre-check"))
            return reset(SLOTS)
        dispatcher.utter_message(text=summary(result), json_message=card("credit_score", result))
        return [
            *reset(SLOTS),
            remember(FORM, tracker, SLOTS),
            SlotSet(DECISION_SLOT, result.decision.value),
        ]
