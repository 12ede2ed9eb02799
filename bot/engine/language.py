"""Every bot message says which language it is in, so a channel can draw it in that language.

A channel renders a bot message with no tracker at hand, yet its card labels,
handoff lines and interface strings must match the conversation's language.
:class:`LanguageTaggingProcessor` (installed with the engine) adds the
conversation's language, the ``language`` slot or English when it is unset, to
the metadata of each bot message before the message is sent, under
:data:`bot.contract.labels.LANGUAGE_KEY`. Rasa's ``BotUttered.message()``
puts metadata at the top level, so every channel reads it with
:func:`bot.contract.labels.message_language`; the tag is stored with the event,
so a transcript read later says the same. A message that already names its
language (an action may) keeps it.

It covers whatever the engine sends: actions' and responses' messages, the
silence guard's reply, and messages an API caller appends with
``execute_side_effects`` (the handoff service's).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import rasa.core.agent as rasa_agent
from rasa.shared.core.events import BotUttered

from bot.contract.labels import DEFAULT_LANGUAGE, LANGUAGE_KEY, LANGUAGE_SLOT, language_code
from bot.engine.silence import SilenceGuardProcessor

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker


def conversation_language(tracker: DialogueStateTracker) -> str:
    """The ``language`` slot's code, else the default language."""
    try:
        value = tracker.get_slot(LANGUAGE_SLOT)
    except KeyError:  # pragma: no cover - Rasa returns None for unknown slots
        value = None
    return language_code(value) or DEFAULT_LANGUAGE


def tag_language(events: Iterable[Event], language: str) -> None:
    """Put ``language`` into each bot message's metadata that does not name one yet."""
    for event in events:
        if isinstance(event, BotUttered):
            metadata: dict[str, Any] = event.metadata if event.metadata is not None else {}
            metadata.setdefault(LANGUAGE_KEY, language)
            event.metadata = metadata


class LanguageTaggingProcessor(SilenceGuardProcessor):
    """Rasa's message processor (with the silence guard) that tags bot messages' language."""

    async def execute_side_effects(
        self,
        events: list[Event],
        tracker: DialogueStateTracker,
        output_channel: OutputChannel,
    ) -> None:
        tag_language(events, conversation_language(tracker))
        await super().execute_side_effects(events, tracker, output_channel)


def install() -> None:
    """Make the processor Rasa's agent creates a :class:`LanguageTaggingProcessor`."""
    module: Any = rasa_agent
    if module.MessageProcessor is not LanguageTaggingProcessor:
        module.MessageProcessor = LanguageTaggingProcessor
