# ruff: noqa: RUF001  (Chinese text, on purpose)
"""Every customer message gets a reply: the engine's guard against silence.

Rasa answers a message with whatever its dialogue policies predict, and when
they predict ``action_listen`` straight away (no rule or story covers the
intent in this context) the customer gets nothing: ``[]`` over REST, no bubble
in the widget. :class:`SilenceGuardProcessor` enforces the invariant for any
assistant: when the policies have finished with a customer message and no bot
message followed it, and the conversation is not paused (a person has it),
it sends the domain's ``utter_silence_fallback`` response when the domain
defines one (to word it, translate it and add buttons), else a plain English
default. Each time it fires it logs a warning naming the intent, because a
silence is a missing rule that the assistant's builder should add.

It wraps the prediction loop, which handles every message of every channel
and the intents triggered through the HTTP API, so no channel needs to know.
Reminders are the bot's own initiative, not a customer's message, and may
rightly end in silence; they are left alone. The reply is logged as a bare
``BotUttered`` after the loop's closing ``action_listen``, so the dialogue
state the policies read next turn is the one they would have seen anyway.
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING, Any

import rasa.core.agent as rasa_agent
from rasa.core.actions.action import ActionBotResponse
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import (
    ACTION_EXTRACT_SLOTS,
    ACTION_LISTEN_NAME,
    USER_INTENT_BACK,
    USER_INTENT_RESTART,
    USER_INTENT_SESSION_START,
)
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Restarted,
    SessionStarted,
    UserUttered,
)

from bot.contract.labels import DEFAULT_LANGUAGE, LANGUAGE_SLOT, language_code

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

SILENCE_RESPONSE = "utter_silence_fallback"
DEFAULT_TEXT = "Sorry, I'm not sure how to answer that. Could you say it another way?"
DEFAULT_TEXTS = {"en": DEFAULT_TEXT, "zh": "抱歉，我不太确定该怎么回答。您可以换个说法吗？"}
"""Said when the domain has no ``utter_silence_fallback``, in the conversation's language."""

_COMMANDS = frozenset({USER_INTENT_RESTART, USER_INTENT_BACK, USER_INTENT_SESSION_START})
_in_reminder: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tandem_in_reminder", default=False
)


def turn_message(tracker: DialogueStateTracker) -> UserUttered | None:
    """The customer message this turn began with, if the bot has not acted on it yet."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event
        if isinstance(event, ActionExecuted) and event.action_name != ACTION_EXTRACT_SLOTS:
            return None
    return None


def is_unanswered(tracker: DialogueStateTracker, message: UserUttered) -> bool:
    """Whether no bot message followed ``message`` although one should have.

    Not when the conversation is paused (a person answers it), nor when the
    customer restarted, rewound (``/back``) or began a new session: Rasa's
    commands for those are answered by what they do. A message that Rasa's core
    fallback reverted (``action_default_fallback`` without ``utter_default``)
    still counts as unanswered: the customer saw nothing.
    """
    if tracker.is_paused() or message.intent_name in _COMMANDS:
        return False
    for event in reversed(tracker.events):
        if event is message:
            return True
        if isinstance(event, (BotUttered, Restarted, SessionStarted)):
            return False
    return False


class SilenceGuardProcessor(MessageProcessor):
    """Rasa's message processor, which never leaves a customer message unanswered."""

    async def _run_prediction_loop(
        self, output_channel: OutputChannel, tracker: DialogueStateTracker
    ) -> None:
        message = None if _in_reminder.get() else turn_message(tracker)
        await super()._run_prediction_loop(output_channel, tracker)
        if message is not None and is_unanswered(tracker, message):
            await self._break_silence(message, output_channel, tracker)

    async def handle_reminder(self, *args: Any, **kwargs: Any) -> None:
        token = _in_reminder.set(True)
        try:
            await super().handle_reminder(*args, **kwargs)
        finally:
            _in_reminder.reset(token)

    async def _break_silence(
        self,
        message: UserUttered,
        output_channel: OutputChannel,
        tracker: DialogueStateTracker,
    ) -> None:
        events: list[Event] = []
        if SILENCE_RESPONSE in self.domain.responses:
            events = await ActionBotResponse(SILENCE_RESPONSE, silent_fail=True).run(
                output_channel, self.nlg, tracker, self.domain
            )
        if not events:
            text = default_text(tracker)
            events = [BotUttered(text, metadata={"utter_action": SILENCE_RESPONSE})]
        logger.warning(
            "No rule or story answered intent %r after action %r; sent %s instead. "
            "Add a rule for this intent in this context (docs/nlu.md, "
            "'Every message gets a reply').",
            message.intent_name,
            action_before(tracker),
            SILENCE_RESPONSE if SILENCE_RESPONSE in self.domain.responses else "a default",
        )
        for event in events:
            tracker.update(event, self.domain)
        await self.execute_side_effects(events, tracker, output_channel)


def default_text(tracker: DialogueStateTracker) -> str:
    """The plain reply without the domain's response, in the conversation's language."""
    language = language_code(tracker.get_slot(LANGUAGE_SLOT)) or DEFAULT_LANGUAGE
    return DEFAULT_TEXTS.get(language, DEFAULT_TEXT)


def action_before(tracker: DialogueStateTracker) -> str | None:
    """The bot's last action before the latest customer message: the rule's context."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            seen_user = True
        elif (
            seen_user
            and isinstance(event, ActionExecuted)
            and event.action_name != ACTION_LISTEN_NAME
        ):
            return event.action_name
    return None


def install() -> None:
    """Make the processor Rasa's agent creates a :class:`SilenceGuardProcessor`."""
    module: Any = rasa_agent
    if not issubclass(module.MessageProcessor, SilenceGuardProcessor):
        module.MessageProcessor = SilenceGuardProcessor
