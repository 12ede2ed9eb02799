# ruff: noqa: RUF001  (Chinese text, on purpose)
"""Every customer message gets a bot message, unless a person has the conversation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rasa.core.agent as rasa_agent
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    Restarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.engine import install
from bot.engine.silence import (
    DEFAULT_TEXT,
    SILENCE_RESPONSE,
    SilenceGuardProcessor,
    default_text,
    is_unanswered,
    turn_message,
)

pytestmark = pytest.mark.engine


def user(intent: str = "affirm") -> UserUttered:
    return UserUttered("ok", {"name": intent, "confidence": 0.9})


def tracker_of(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("ana", [ActionExecuted("action_listen"), *events])


def test_the_plain_reply_follows_the_conversations_language() -> None:
    from rasa.shared.core.slots import TextSlot

    def said(language: str | None) -> str:
        slots = [TextSlot("language", mappings=[])]
        events = [SlotSet("language", language)] if language else []
        return default_text(DialogueStateTracker.from_events("ana", events, slots))

    assert said(None) == said("en") == said("fr") == DEFAULT_TEXT
    assert said("zh") == said("zh-CN") == "抱歉，我不太确定该怎么回答。您可以换个说法吗？"


# The turn's message and whether it went unanswered -----------------------------


def test_the_turn_begins_with_the_latest_customer_message() -> None:
    message = user()
    tracker = tracker_of(message, SlotSet("store", "downtown"))
    assert turn_message(tracker) is message


def test_no_turn_message_once_the_bot_acted() -> None:
    assert turn_message(tracker_of(user(), ActionExecuted("utter_greet"))) is None


def test_listening_straight_away_leaves_the_message_unanswered() -> None:
    message = user()
    assert is_unanswered(tracker_of(message, ActionExecuted("action_listen")), message)


def test_a_reply_answers_the_message() -> None:
    message = user()
    tracker = tracker_of(
        message, ActionExecuted("utter_greet"), BotUttered("Hi!"), ActionExecuted("action_listen")
    )
    assert not is_unanswered(tracker, message)


def test_a_paused_conversation_is_answered_by_a_person() -> None:
    message = user()
    tracker = tracker_of(ConversationPaused(), message)
    assert not is_unanswered(tracker, message)


def test_a_core_fallback_that_reverted_the_message_said_nothing() -> None:
    message = user()
    tracker = tracker_of(
        message,
        ActionExecuted("action_default_fallback"),
        UserUtteranceReverted(),
        ActionExecuted("action_listen"),
    )
    assert is_unanswered(tracker, message)


@pytest.mark.parametrize("command", ["restart", "session_start", "back"])
def test_rasas_commands_need_no_reply(command: str) -> None:
    message = user(command)
    tracker = tracker_of(message, ActionExecuted("action_restart"), Restarted())
    assert not is_unanswered(tracker, message)


def test_install_makes_rasas_agent_build_the_guarding_processor() -> None:
    install()
    assert issubclass(rasa_agent.MessageProcessor, SilenceGuardProcessor)


# A trained model ----------------------------------------------------------------

CONFIG = """recipe: default.v1
language: en
assistant_id: silence-test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
policies:
  - name: RulePolicy
"""
NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello
      - good morning
      - hey there
  - intent: affirm
    examples: |
      - ok
      - yes
      - sure
      - okay then
  - intent: ask_human
    examples: |
      - a person please
      - I want a human
      - talk to a person
      - get me a person
"""
RULES = """version: "3.1"
rules:
  - rule: greet
    steps: [{intent: greet}, {action: utter_greet}]
  - rule: a person takes over
    steps: [{intent: ask_human}, {action: utter_handoff}]
"""
DOMAIN = """version: "3.1"
intents: [greet, affirm, ask_human]
responses:
  utter_greet: [{text: "Hello!"}]
  utter_handoff: [{text: "A colleague will be with you shortly."}]
"""
REPHRASE = """
  utter_silence_fallback:
    - text: "Could you put that another way?"
      buttons: [{title: "Talk to a person", payload: "/ask_human"}]
"""


def _train(folder: Path, domain: str) -> str:
    from rasa.model_training import train

    (folder / "data").mkdir(parents=True)
    (folder / "data" / "nlu.yml").write_text(NLU)
    (folder / "data" / "rules.yml").write_text(RULES)
    (folder / "config.yml").write_text(CONFIG)
    (folder / "domain.yml").write_text(domain)
    result = train(
        domain=str(folder / "domain.yml"),
        config=str(folder / "config.yml"),
        training_files=[str(folder / "data")],
        output=str(folder / "models"),
        fixed_model_name="silence",
    )
    assert result.code == 0, "rasa train failed"
    return str(result.model)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One model whose domain words the fallback, one that leaves it to the engine."""
    root = tmp_path_factory.mktemp("silence")
    return {
        "worded": _train(root / "worded", DOMAIN.replace("responses:", "responses:" + REPHRASE)),
        "bare": _train(root / "bare", DOMAIN),
    }


@pytest.fixture
def agent_for(models: dict[str, str]) -> Iterator[Any]:
    from rasa.core.agent import Agent

    install()

    def load(which: str) -> Agent:
        agent = Agent.load(models[which])
        assert isinstance(agent.processor, SilenceGuardProcessor)
        return agent

    yield load


async def _turns(agent: Any, sender: str, *texts: str) -> list[list[dict[str, Any]]]:
    return [await agent.handle_text(text, sender_id=sender) for text in texts]


@pytest.mark.slow
def test_an_intent_without_a_rule_gets_the_domains_silence_fallback(
    agent_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    agent = agent_for("worded")
    with caplog.at_level(logging.WARNING, logger="bot.engine.silence"):
        [greeting, ok] = asyncio.run(_turns(agent, "ana", "hello", "ok"))

    assert [m["text"] for m in greeting] == ["Hello!"], "an answered message gets no extra"
    assert len(ok) == 1
    assert ok[0]["text"] == "Could you put that another way?"
    assert ok[0]["buttons"] == [{"title": "Talk to a person", "payload": "/ask_human"}]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "'affirm'" in warnings[0]

    state = asyncio.run(agent.tracker_store.retrieve("ana"))
    bot = [e for e in state.events if isinstance(e, BotUttered)]
    assert [e.text for e in bot] == ["Hello!", "Could you put that another way?"]
    assert bot[-1].metadata["utter_action"] == SILENCE_RESPONSE
    # the dialogue state the policies read next is as if nothing had been added
    assert state.latest_action_name == "action_listen"
    [after] = asyncio.run(_turns(agent, "ana", "hi"))
    assert [m["text"] for m in after] == ["Hello!"]


@pytest.mark.slow
def test_without_the_response_the_engine_says_it_in_plain_english(agent_for: Any) -> None:
    [ok] = asyncio.run(_turns(agent_for("bare"), "bo", "sure"))
    assert [m["text"] for m in ok] == [DEFAULT_TEXT]


@pytest.mark.slow
def test_a_paused_conversation_gets_nothing_from_the_bot(agent_for: Any) -> None:
    agent = agent_for("worded")

    async def paused_turn() -> list[dict[str, Any]]:
        tracker = await agent.processor.fetch_tracker_with_initial_session("cy")
        tracker.update(ConversationPaused())
        await agent.tracker_store.save(tracker)
        return await agent.handle_text("ok", sender_id="cy")

    assert asyncio.run(paused_turn()) == []


@pytest.mark.slow
def test_a_triggered_intent_without_a_rule_is_answered_too(agent_for: Any) -> None:
    """Channels that speak to Rasa's API send customer turns as triggered intents."""
    from rasa.core.channels.channel import CollectingOutputChannel

    agent = agent_for("worded")

    async def trigger() -> list[dict[str, Any]]:
        output = CollectingOutputChannel()
        tracker = await agent.processor.fetch_tracker_with_initial_session("dee")
        await agent.processor.trigger_external_user_uttered("affirm", None, tracker, output)
        return output.messages

    [reply] = asyncio.run(trigger())
    assert reply["text"] == "Could you put that another way?"
