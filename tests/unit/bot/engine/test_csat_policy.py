"""CsatPolicy: a typed answer right after the rating question is a rating; nothing else is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.contract.csat import prompt_metadata
from bot.engine.csat_policy import CsatPolicy
from bot.engine.handoff_policy import HandoffPolicy

pytestmark = pytest.mark.engine

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [goodbye, inform, affirm, rate_csat, complaint]
actions: [action_ask_csat, action_record_csat, action_handoff]
responses:
  utter_goodbye: [{text: "bye"}]
"""
)
FRUSTRATED = {"score": 0.9, "frustrated": True, "cues": ["anger:terrible"]}


def user(text: str, intent: str = "inform", **extra: Any) -> UserUttered:
    data = {"name": intent, "confidence": 0.9}
    return UserUttered(text, data, [], {"intent": data, "text": text, **extra})


def asked(context: str = "conversation", *, nested: bool = True) -> list[Any]:
    """The bot's goodbye turn with the question (as the action server logs it, or appended)."""
    meta = prompt_metadata(context)
    return [
        ActionExecuted("action_ask_csat"),
        BotUttered("How did I do?", {}, {"metadata": meta} if nested else meta),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def tracker(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "customer",
        [ActionExecuted(ACTION_LISTEN_NAME), user("bye", "goodbye"), *events],
        slots=DOMAIN.slots,
    )


def make_policy(tmp_path: Path) -> CsatPolicy:
    return CsatPolicy.create(
        CsatPolicy.get_default_config(),
        LocalModelStorage.create(tmp_path),
        Resource("csat"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def predicted(prediction: PolicyPrediction) -> str | None:
    if prediction.max_confidence == 0.0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


@pytest.mark.parametrize("text", ["4", "5 stars", "great", "terrible", "I'd give it a 3"])
def test_a_typed_answer_right_after_the_question_is_a_rating(tmp_path: Path, text: str) -> None:
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(*asked(), user(text, "affirm")), DOMAIN
    )
    assert predicted(prediction) == "action_record_csat"
    assert prediction.is_no_user_prediction


def test_the_handoff_question_appended_through_the_api_counts_too(tmp_path: Path) -> None:
    events = [
        ConversationPaused(),
        user("it's broken"),
        ConversationResumed(),
        BotUttered("You're back with Volt", {}, {}),
        *asked("handoff", nested=False)[1:],
        user("5"),
    ]
    prediction = make_policy(tmp_path).predict_action_probabilities(tracker(*events), DOMAIN)
    assert predicted(prediction) == "action_record_csat"


@pytest.mark.parametrize(
    "text", ["ok", "no thanks", "what time do you open?", "great, and returns?"]
)
def test_other_answers_are_left_to_the_other_policies(tmp_path: Path, text: str) -> None:
    prediction = make_policy(tmp_path).predict_action_probabilities(
        tracker(*asked(), user(text)), DOMAIN
    )
    assert predicted(prediction) is None and not prediction.is_no_user_prediction


def test_a_digit_without_the_question_is_not_a_rating(tmp_path: Path) -> None:
    events = [BotUttered("How many GB?", {}, {}), ActionExecuted(ACTION_LISTEN_NAME), user("4")]
    assert (
        predicted(make_policy(tmp_path).predict_action_probabilities(tracker(*events), DOMAIN))
        is None
    )
    later = [*asked(), user("when do you open"), BotUttered("9am", {}, {}),
             ActionExecuted(ACTION_LISTEN_NAME), user("4")]  # fmt: skip
    assert (
        predicted(make_policy(tmp_path).predict_action_probabilities(tracker(*later), DOMAIN))
        is None
    )


def test_a_rating_button_is_a_rating_anytime_and_the_bot_listens_after_it(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    button = user('/rate_csat{"csat_score": 4}', "rate_csat")
    assert predicted(policy.predict_action_probabilities(tracker(button), DOMAIN)) == (
        "action_record_csat"
    )
    after = policy.predict_action_probabilities(
        tracker(button, ActionExecuted("action_record_csat")), DOMAIN
    )
    assert predicted(after) == ACTION_LISTEN_NAME and after.is_no_user_prediction


def test_paused_conversations_are_not_read(tmp_path: Path) -> None:
    paused = tracker(*asked(), ConversationPaused(), user("5"))
    assert predicted(make_policy(tmp_path).predict_action_probabilities(paused, DOMAIN)) is None


def test_terrible_after_the_question_is_a_rating_not_a_handoff(tmp_path: Path) -> None:
    t = tracker(*asked(), user("terrible", "complaint", frustration=FRUSTRATED))
    handoff = HandoffPolicy.create(
        HandoffPolicy.get_default_config(),
        LocalModelStorage.create(tmp_path / "h"),
        Resource("handoff"),
        ExecutionContext(GraphSchema({}), "test"),
    ).predict_action_probabilities(t, DOMAIN)
    assert predicted(handoff) == "action_handoff"
    ours = make_policy(tmp_path).predict_action_probabilities(t, DOMAIN)
    best = DefaultPolicyPredictionEnsemble().combine_predictions([handoff, ours], t, DOMAIN)
    assert DOMAIN.action_names_or_texts[best.max_confidence_index] == "action_record_csat"
