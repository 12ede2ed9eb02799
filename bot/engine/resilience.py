# ruff: noqa: RUF001  (Chinese text, on purpose)
"""What the engine does when the action server fails.

Rasa 3.6 logs a failed custom action and carries on in silence: the customer
gets no answer at all. :class:`ResilientRemoteAction` keeps Rasa's behaviour
(the action's events are lost, the log says why) and adds what the customer
needs: an apology, the domain's ``utter_action_failed`` response when the
domain defines one (to word or translate it), else a plain default in the
conversation's language (:data:`FALLBACK_APOLOGIES`, English where it has none). A failed
``action_session_start`` falls back to Rasa's built-in session start, so a
conversation can always begin.

It also validates the action server's answer against Rasa's response schema with
one compiled validator (:func:`response_validator`). Rasa calls
``jsonschema.validate``, which checks the schema itself against the JSON Schema
meta-schema on every call: under load that was a quarter of an engine replica's
CPU (py-spy, docs/capacity.md). The check of the answer is unchanged.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

import rasa.core.actions.action as rasa_actions
from rasa.shared.exceptions import RasaException

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_action_failed"
_FALLBACK_APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."
FALLBACK_APOLOGIES = {"en": _FALLBACK_APOLOGY, "zh": "抱歉，我们这边出了点问题。请稍后再试。"}
"""Said when the domain has no ``utter_action_failed``, in the conversation's language."""


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    """Rasa's action-response schema, checked once and compiled once."""
    from jsonschema.validators import validator_for

    spec = rasa_actions.RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


class ResilientRemoteAction(rasa_actions.RemoteAction):
    """A custom action whose failure reaches the customer as an apology, not silence."""

    def _validate_action_result(self, result: dict[str, Any]) -> bool:
        """Rasa's check of the action server's answer, with the compiled validator.

        Same schema, same first error (``best_match``, as ``jsonschema.validate``
        picks it) and the same hint appended to its message.
        """
        from jsonschema.exceptions import best_match

        error = best_match(response_validator().iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {rasa_actions.DOCS_BASE_URL}"
            "/custom-actions"
        )
        raise error

    async def run(
        self,
        output_channel: OutputChannel,
        nlg: NaturalLanguageGenerator,
        tracker: DialogueStateTracker,
        domain: Domain,
    ) -> list[Event]:
        try:
            return await super().run(output_channel, nlg, tracker, domain)
        except rasa_actions.ActionExecutionRejection:
            raise  # a form's "not this slot": part of the dialogue, not a failure
        except RasaException as e:
            logger.error("custom action %r failed: %s", self.name(), e)
            if self.name() == rasa_actions.ACTION_SESSION_START_NAME:
                return await rasa_actions.ActionSessionStart().run(
                    output_channel, nlg, tracker, domain
                )
            return await _apology(output_channel, nlg, tracker, domain)


async def _apology(
    output_channel: OutputChannel,
    nlg: NaturalLanguageGenerator,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    from rasa.shared.core.events import BotUttered

    if APOLOGY_RESPONSE in domain.responses:
        return await rasa_actions.ActionBotResponse(APOLOGY_RESPONSE).run(
            output_channel, nlg, tracker, domain
        )
    from bot.engine.language import conversation_language  # it imports rasa's agent

    text = FALLBACK_APOLOGIES.get(conversation_language(tracker), _FALLBACK_APOLOGY)
    return [BotUttered(text, metadata={"utter_action": APOLOGY_RESPONSE})]


def install() -> None:
    """Make every custom action Rasa creates a :class:`ResilientRemoteAction`."""
    module: Any = rasa_actions
    if module.RemoteAction is not ResilientRemoteAction:
        module.RemoteAction = ResilientRemoteAction
