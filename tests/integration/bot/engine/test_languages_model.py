# ruff: noqa: RUF001  (Chinese messages, on purpose)
"""A trained model answers in the conversation's language: NLU → language slot → response.

A tiny assistant (count vectors and logistic regression, rules only) so that it
trains in seconds; the language detector, the slot mapping and the responses'
conditions are the ones docs/languages.md describes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]

CONFIG = """recipe: default.v1
language: en
assistant_id: tandem-languages-test
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 3
  - name: LogisticRegressionClassifier
  - name: bot.nlu.language.LanguageDetector
    supported: [en, zh]
  - name: bot.nlu.entities.OfflineValueExtractor
policies:
  - name: RulePolicy
"""
NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hi there, how are you
      - good morning
      - 你好
      - 您好
      - 早上好
  - intent: ask_budget
    examples: |
      - my budget is 500 dollars
      - I can spend 300 pounds
      - 我预算两千块
      - 我最多花三千元
"""
RULES = """version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: budget
    steps:
      - intent: ask_budget
      - action: utter_budget
"""
DOMAIN = """version: "3.1"
intents: [greet, ask_budget]
entities:
  - money
  - language:
      influence_conversation: false
slots:
  language:
    type: text
    influence_conversation: false
    mappings:
      - type: from_entity
        entity: language
  money:
    type: any
    influence_conversation: false
    mappings:
      - type: from_entity
        entity: money
responses:
  utter_greet:
    - text: "Hi! How can I help?"
    - text: "您好！有什么可以帮您？"
      condition: [{type: slot, name: language, value: zh}]
  utter_budget:
    - text: "A budget of {money}, noted."
    - text: "好的，预算 {money}。"
      condition: [{type: slot, name: language, value: zh}]
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory):
    from rasa.core.agent import Agent
    from rasa.model_training import train

    project = tmp_path_factory.mktemp("languages")
    (project / "data").mkdir()
    (project / "config.yml").write_text(CONFIG)
    (project / "domain.yml").write_text(DOMAIN)
    (project / "data" / "nlu.yml").write_text(NLU)
    (project / "data" / "rules.yml").write_text(RULES)
    result = train(
        domain=str(project / "domain.yml"),
        config=str(project / "config.yml"),
        training_files=[str(project / "data")],
        output=str(project / "models"),
        fixed_model_name="languages",
    )
    assert result.model, "rasa train produced no model"
    return Agent.load(str(Path(result.model)))


def _say(agent, sender: str, text: str) -> str:
    replies = asyncio.run(agent.handle_text(text, sender_id=sender))
    return " ".join(r.get("text") or "" for r in replies)


def _language(agent, sender: str) -> str | None:
    tracker = asyncio.run(agent.tracker_store.retrieve(sender))
    return tracker.get_slot("language")


def test_the_conversation_is_answered_in_its_language(agent) -> None:
    assert _say(agent, "c1", "你好") == "您好！有什么可以帮您？"
    assert _language(agent, "c1") == "zh"
    # a value in Chinese text reaches the slot; the reply stays Chinese
    assert _say(agent, "c1", "我预算两千块") == "好的，预算 2000.0。"
    # "hello" alone is no clear switch: the conversation stays in Chinese
    assert _say(agent, "c1", "hello") == "您好！有什么可以帮您？"
    assert _say(agent, "c1", "hi there, how are you") == "Hi! How can I help?"
    assert _language(agent, "c1") == "en"


def test_a_new_conversation_in_english_stays_english(agent) -> None:
    assert _say(agent, "c2", "good morning") == "Hi! How can I help?"
    assert _language(agent, "c2") is None
