"""Voltline's CSAT question and thanks: a 1-5 rating at goodbye and after a person helped.

The behaviour is the kit's (:mod:`bot.sdk.csat`); the wording is in domain.yml
(``utter_ask_csat``, ``utter_csat_thanks``, ``utter_csat_not_a_rating``). The
handoff service asks the same question when a colleague gives the conversation
back, and ``action_record_csat`` records that rating too.
"""

from __future__ import annotations

from bot.sdk.csat import ActionAskCsat as KitActionAskCsat
from bot.sdk.csat import ActionRecordCsat as KitActionRecordCsat


class ActionAskCsat(KitActionAskCsat):
    """ "How did I do? 1-5", once, when the customer says goodbye."""

    def name(self) -> str:
        return "action_ask_csat"


class ActionRecordCsat(KitActionRecordCsat):
    """Stores the rating (slots ``csat_score``, ``csat_context``) and says thanks."""

    low_score_response = "utter_csat_thanks_low"

    def name(self) -> str:
        return "action_record_csat"
