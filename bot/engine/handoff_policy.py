"""A dialogue policy that hands the conversation to a person when a message calls for it.

Rules react to intents; they cannot read a score in the parse data, and inside an
active form the form's own prediction overrides them. The handoff decision needs
both: a complaint goes to a person, and so does an upset customer halfway through
the credit questionnaire. So it is a policy of its own, with a priority above
RulePolicy's::

    policies:
      - name: bot.engine.handoff_policy.HandoffPolicy
        handoff_action: action_handoff
        intents: [complaint, ask_human] # always go to a person
        frustration_threshold: 0.4      # FrustrationDetector's score; null: off
        low_confidence_threshold: null  # e.g. 0.3; off: nlu_fallback handles it
        end_active_loop: true           # a person takes over: stop the active form

Right after a user message it predicts ``handoff_action`` with confidence 1.0 when
the first of these holds: the intent is one of ``intents``; the message's
``frustration`` score (set by :class:`bot.nlu.frustration.FrustrationDetector`)
reaches ``frustration_threshold``; the intent's confidence is below
``low_confidence_threshold``. Otherwise, and whenever the conversation is paused,
the domain lacks the action, or the action already ran for this message, it
predicts nothing (all zeros) and the other policies decide; except right after
the handoff action, when it predicts ``action_listen``: the customer (or the
agent) speaks next.

The reason travels two ways, both readable by the action server and the agent
console: as ``SlotSet("handoff_reason", {...})`` applied just before the action
runs (when the domain has that slot: a text or categorical slot gets the short
label, ``complaint`` (the intent's name), ``frustration`` or ``low_confidence``,
which actions/handoff.py uses to rank the agents' queue; ``type: any`` keeps the
whole dict with score and cues), and as the ``metadata`` of the
``ActionExecuted`` event Rasa logs for the action. When a form is active, its
name is part of the reason and the form is ended with the handoff (unless
``end_active_loop: false``): the action can restart it if no person is free.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, TypeGuard

import rasa.shared.utils.io
from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction, confidence_scores_for
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import FileIOException, InvalidConfigException
from rasa.shared.nlu.constants import INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY

from bot.nlu.frustration import DEFAULT_THRESHOLD, FRUSTRATION

logger = logging.getLogger(__name__)

STATE_FILE = "handoff_policy.json"


def _is_fraction(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):
    """Predicts the handoff action after a complaint, a frustrated or a not-understood message.

    Trainable only to check the domain once at training time (and warn there, not
    on every message, when the handoff action is missing); it learns nothing from
    the stories.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # RulePolicy has RULE_POLICY_PRIORITY (4 in Rasa 3.6): the handoff wins ties.
            "priority": RULE_POLICY_PRIORITY + 1,
            "handoff_action": "action_handoff",
            "intents": ["complaint"],
            "frustration_threshold": DEFAULT_THRESHOLD,
            "low_confidence_threshold": None,
            "reason_slot": "handoff_reason",
            "end_active_loop": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
        *,
        enabled: bool = True,
    ) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.handoff_action = config["handoff_action"]
        if not isinstance(self.handoff_action, str) or not self.handoff_action:
            raise InvalidConfigException(
                "HandoffPolicy: `handoff_action` must name an action of the domain, "
                "e.g. action_handoff."
            )
        intents = config["intents"] or []
        if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
            raise InvalidConfigException(
                f"HandoffPolicy: `intents` must be a list of intent names, got {intents!r}."
            )
        self.intents = frozenset(intents)
        for key in ("frustration_threshold", "low_confidence_threshold"):
            value = config[key]
            if value is not None and not _is_fraction(value):
                raise InvalidConfigException(
                    f"HandoffPolicy: `{key}` must be a number between 0 and 1, or null to "
                    f"switch that trigger off; got {value!r}."
                )
        self.frustration_threshold: float | None = config["frustration_threshold"]
        self.low_confidence_threshold: float | None = config["low_confidence_threshold"]
        self.reason_slot: str | None = config["reason_slot"] or None
        self.end_active_loop = bool(config["end_active_loop"])
        self.enabled = enabled

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Check the domain once; the stories are not needed."""
        self.enabled = self.handoff_action in domain.action_names_or_texts
        if not self.enabled:
            rasa.shared.utils.io.raise_warning(
                f"HandoffPolicy: the domain has no action '{self.handoff_action}', so the "
                f"policy will never hand over. Add it under `actions:` in domain.yml, or "
                f"set `handoff_action` to an action the domain has."
            )
        unknown = sorted(self.intents - set(domain.intents))
        if unknown:
            rasa.shared.utils.io.raise_warning(
                f"HandoffPolicy: the intents {unknown} are not in the domain, so they "
                f"cannot trigger a handoff. Add them to domain.yml or remove them from "
                f"`intents`."
            )
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as path:
            state = {"enabled": self.enabled, "handoff_action": self.handoff_action}
            (Path(path) / STATE_FILE).write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HandoffPolicy:
        try:
            with model_storage.read_from(resource) as path:
                state = json.loads((Path(path) / STATE_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError, FileIOException):
            logger.warning(
                "HandoffPolicy: no trained state in the model; checking the domain at "
                "prediction time instead. Retrain to remove this warning."
            )
            state = {}
        return cls(
            config, model_storage, resource, execution_context, enabled=state.get("enabled", True)
        )

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        if self._handoff_just_ran(tracker, domain):
            # "No user" like a form's own prediction, so a form still active in the
            # tracker (``end_active_loop: false``, or a story) cannot ask its next
            # question over the handoff.
            return self._prediction(
                confidence_scores_for(ACTION_LISTEN_NAME, 1.0, domain), is_no_user_prediction=True
            )
        reason = self.reason(tracker, domain)
        if reason is None:
            return self._prediction(self._default_predictions(domain))
        logger.debug(f"HandoffPolicy hands over: {reason}")
        return self._prediction(
            confidence_scores_for(self.handoff_action, 1.0, domain),
            optional_events=self._events(reason, tracker, domain),
            # Beats predictions made from user input, and an active form's own
            # prediction (which Rasa marks "no user") through the higher priority.
            is_no_user_prediction=True,
            diagnostic_data={"handoff_reason": reason},
            action_metadata={"handoff_reason": reason},
        )

    def reason(self, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any] | None:
        """Why the latest message calls for a person, or ``None`` if it does not."""
        if (
            not self.enabled
            or tracker.is_paused()
            or self.handoff_action not in domain.action_names_or_texts
            or not isinstance(_last_turn_event(tracker), UserUttered)
        ):
            return None
        message = tracker.latest_message
        if message is None:
            return None
        intent = message.intent.get(INTENT_NAME_KEY)
        confidence = message.intent.get(PREDICTED_CONFIDENCE_KEY)
        context = {"active_loop": tracker.active_loop_name} if tracker.active_loop_name else {}
        if intent in self.intents and not _only_values(message.text, message.entities):
            return {
                "reason": intent,
                "trigger": "intent",
                "intent": intent,
                "confidence": confidence,
                **context,
            }
        frustration = message.parse_data.get(FRUSTRATION)
        scored: dict[str, Any] = frustration if isinstance(frustration, dict) else {}
        score = scored.get("score")
        if (
            self.frustration_threshold is not None
            and _is_fraction(score)
            and score >= self.frustration_threshold
        ):
            return {
                "reason": "frustration",
                "trigger": "frustration",
                "score": score,
                "threshold": self.frustration_threshold,
                "cues": list(scored.get("cues") or []),
                "intent": intent,
                **context,
            }
        if (
            self.low_confidence_threshold is not None
            and intent is not None
            and isinstance(confidence, int | float)
            and confidence < self.low_confidence_threshold
        ):
            return {
                "reason": "low_confidence",
                "trigger": "low_confidence",
                "intent": intent,
                "confidence": confidence,
                "threshold": self.low_confidence_threshold,
                **context,
            }
        return None

    def _handoff_just_ran(self, tracker: DialogueStateTracker, domain: Domain) -> bool:
        """After the handoff the bot waits: without this, RulePolicy would find no rule
        for the state after a custom action and answer with its core fallback."""
        last = _last_turn_event(tracker)
        return (
            self.enabled
            and isinstance(last, ActionExecuted)
            and last.action_name == self.handoff_action
            and self.handoff_action in domain.action_names_or_texts
        )

    def _events(
        self, reason: dict[str, Any], tracker: DialogueStateTracker, domain: Domain
    ) -> list[Event]:
        """Applied only if the handoff wins, just before the handoff action runs."""
        events: list[Event] = []
        if self.end_active_loop and tracker.active_loop_name:
            # A person takes over: the form must not carry on asking its questions.
            events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        slot = next((s for s in domain.slots if s.name == self.reason_slot), None)
        if slot is not None:
            value = reason if isinstance(slot, AnySlot) else reason["reason"]
            events.append(SlotSet(slot.name, value))
        return events


def _only_values(text: str | None, entities: list[dict[str, Any]]) -> bool:
    """Whether the message is nothing but extracted values, an answer such as an
    e-mail address, a phone number or an amount: "someone.else@example.com" typed
    for a form's e-mail question is not a request for someone else."""
    if not text or not entities:
        return False
    rest = list(text)
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int):
            rest[start:end] = [" "] * (end - start)
    return not any(ch.isalpha() for ch in "".join(rest))


def _last_turn_event(tracker: DialogueStateTracker) -> Event | None:
    """The latest user message or (executed or rejected) action.

    A user message means it is not handled yet: slot events of
    ``action_extract_slots`` may follow it, and while the conversation was paused
    several messages may follow the last action without an ``action_listen``.
    """
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered | ActionExecuted | ActionExecutionRejected):
            return event
    return None
