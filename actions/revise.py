"""``action_revise_answers``: Voltline's forms whose result a correction redoes.

The behaviour is the kit's (:class:`bot.sdk.revise.ActionReviseAnswers`).
"""

from __future__ import annotations

from rasa_sdk import Action

from actions.credit import ActionCreditPrecheck, ValidateCreditForm
from actions.plans import (
    ActionMobilePlan,
    ActionSavingsPlan,
    ValidateMobilePlanForm,
    ValidateSavingsPlanForm,
)
from bot.sdk.forms import TextFormValidation
from bot.sdk.revise import ActionReviseAnswers as KitActionReviseAnswers

FORMS: dict[str, tuple[TextFormValidation, Action]] = {
    "mobile_plan_form": (ValidateMobilePlanForm(), ActionMobilePlan()),
    "savings_plan_form": (ValidateSavingsPlanForm(), ActionSavingsPlan()),
    "credit_form": (ValidateCreditForm(), ActionCreditPrecheck()),
}


class ActionReviseAnswers(KitActionReviseAnswers):
    forms = FORMS

    def name(self) -> str:
        return "action_revise_answers"
