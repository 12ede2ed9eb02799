"""Every bot message the engine sends carries the conversation's language."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import rasa.core.agent as rasa_agent
from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.webchat_protocol import bot_payload, transcript
from bot.contract.labels import message_language
from bot.engine import install
from bot.engine.language import LanguageTaggingProcessor, conversation_language, tag_language
from bot.engine.silence import SilenceGuardProcessor

pytestmark = pytest.mark.engine


def tracker_with(*events: Any) -> DialogueStateTracker:
    slot = TextSlot("language", mappings=[], influence_conversation=False)
    return DialogueStateTracker.from_events(
        "ana", [ActionExecuted("action_listen"), *events], slots=[slot]
    )


class Received(OutputChannel):
    """Keeps each message as the processor hands it to a channel."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(message)


def send(tracker: DialogueStateTracker, *events: Any) -> list[dict[str, Any]]:
    """What a channel receives when the processor sends ``events``."""
    processor = object.__new__(LanguageTaggingProcessor)  # no model needed for the side effects
    output = Received()

    async def run() -> None:
        for event in events:
            tracker.update(event)
        await processor.execute_side_effects(list(events), tracker, output)

    asyncio.run(run())
    return output.messages


def test_the_slot_gives_the_conversation_language_and_english_is_the_default() -> None:
    assert conversation_language(tracker_with()) == "en"
    assert conversation_language(tracker_with(SlotSet("language", "zh"))) == "zh"
    assert conversation_language(tracker_with(SlotSet("language", "zh-CN"))) == "zh"


def test_bot_messages_are_tagged_and_a_channel_reads_the_tag() -> None:
    tracker = tracker_with(SlotSet("language", "zh"))
    card = {"type": "mobile_plan", "schema_version": 1, "data": {}}
    said = BotUttered("给您推荐这个套餐。", data={"custom": card})
    sent = send(tracker, said)
    assert said.metadata["language"] == "zh"  # stored with the event, for transcripts
    assert tracker.events[-1] is said
    assert [message_language(m) for m in sent] == ["zh"]
    widget = bot_payload(said.message())
    assert widget["metadata"]["language"] == "zh"
    assert message_language(said.message()) == "zh"
    history = transcript([e.as_dict() for e in tracker.events], limit=10)
    assert history[-1]["metadata"]["language"] == "zh"


def test_an_english_conversation_says_english_and_a_named_language_is_kept() -> None:
    english = BotUttered("Hello!")
    named = BotUttered("Bonjour", metadata={"language": "fr"})
    tag_language([english, named, SlotSet("language", "zh")], "en")
    assert english.metadata["language"] == "en"
    assert named.metadata["language"] == "fr"


def test_the_silence_guard_is_still_installed_with_the_language_tags() -> None:
    install()
    assert rasa_agent.MessageProcessor is LanguageTaggingProcessor
    assert issubclass(LanguageTaggingProcessor, SilenceGuardProcessor)
