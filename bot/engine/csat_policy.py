"""A dialogue policy that reads the answer to the CSAT question as a rating.

The question (:mod:`bot.contract.csat`) has buttons that send
``/rate_csat{"csat_score": N}``, which rules can route. A typed answer cannot be:
"4" or "great" right after the question is a rating, the same words elsewhere
are not, and NLU sees no context. So this policy looks at the bot's last turn::

    policies:
      - name: bot.engine.csat_policy.CsatPolicy
        rating_action: action_record_csat

Right after a user message it predicts ``rating_action`` with confidence 1.0 when
the intent is ``rate_csat`` or when the bot's previous turn asked the question
and :func:`bot.contract.csat.parse_rating` reads a score in the message. It
beats the other policies (priority above HandoffPolicy's, "no user"): "terrible"
answering the question is a rating of 1, not an upset customer to hand over.
Right after the rating action it predicts ``action_listen``. Otherwise, and when
the conversation is paused or the domain lacks the action, it predicts nothing,
so any other answer ("no thanks", a new question) is handled as usual.
"""

from __future__ import annotations

import logging
from typing import Any

import rasa.shared.utils.io
from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.contract.csat import RATE_INTENT, parse_rating, pending_prompt

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class CsatPolicy(Policy):
    """Predicts the rating action for an answer to the CSAT question.

    Trainable only to check the domain once at training time; it learns nothing
    from the stories.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # HandoffPolicy has RULE_POLICY_PRIORITY + 1: a rating wins over it.
            "priority": RULE_POLICY_PRIORITY + 2,
            "rating_action": "action_record_csat",
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.rating_action = config["rating_action"]
        if not isinstance(self.rating_action, str) or not self.rating_action:
            raise InvalidConfigException(
                "CsatPolicy: `rating_action` must name an action of the domain, "
                "e.g. action_record_csat."
            )

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Warn once when the domain cannot record ratings; the stories are not needed."""
        if self.rating_action not in domain.action_names_or_texts:
            rasa.shared.utils.io.raise_warning(
                f"CsatPolicy: the domain has no action '{self.rating_action}', so typed "
                f"ratings will not be recorded. Add it under `actions:` in domain.yml, or "
                f"remove the policy."
            )
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self.rating_action not in domain.action_names_or_texts or tracker.is_paused():
            return self._prediction(self._default_predictions(domain))
        last = _last_turn_event(tracker)
        if isinstance(last, ActionExecuted) and last.action_name == self.rating_action:
            return self._prediction(
                confidence_scores_for(ACTION_LISTEN_NAME, 1.0, domain), is_no_user_prediction=True
            )
        if isinstance(last, UserUttered) and self.is_rating(tracker):
            logger.debug("CsatPolicy: the message answers the CSAT question")
            return self._prediction(
                confidence_scores_for(self.rating_action, 1.0, domain),
                is_no_user_prediction=True,
            )
        return self._prediction(self._default_predictions(domain))

    @staticmethod
    def is_rating(tracker: DialogueStateTracker) -> bool:
        """The latest message is a rating button, or a typed score answering the question."""
        message = tracker.latest_message
        if message is None:
            return False
        if message.intent.get(INTENT_NAME_KEY) == RATE_INTENT:
            return True
        if parse_rating(message.text) is None:
            return False
        return pending_prompt(_recent_event_dicts(tracker)) is not None


def _recent_event_dicts(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    """The events of the last two turns (back to the user message before the latest), as dicts."""
    recent: list[dict[str, Any]] = []
    users = 0
    for event in reversed(tracker.events):
        recent.append(event.as_dict())
        if isinstance(event, UserUttered):
            users += 1
            if users == 2:
                break
    recent.reverse()
    return recent


def _last_turn_event(tracker: DialogueStateTracker) -> Any:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered | ActionExecuted | ActionExecutionRejected):
            return event
    return None
