# ruff: noqa: RUF001  (Chinese texts, on purpose)
"""A dead action server gives the customer an apology, not silence."""

from __future__ import annotations

import asyncio

import rasa.core.actions.action as rasa_actions
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.engine import install
from bot.engine.resilience import ResilientRemoteAction
from bot.supervisor import free_port

DOMAIN_YAML = """
version: "3.1"
actions: [action_store_hours, action_session_start]
responses:
  utter_action_failed:
    - text: "Our systems are down, sorry!"
"""


def _run(action_name: str, domain: Domain, *events: Event) -> list:
    dead = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")  # nothing listens there
    action = ResilientRemoteAction(action_name, dead)
    tracker = DialogueStateTracker.from_events("u1", list(events), domain.slots)
    return asyncio.run(
        action.run(
            CollectingOutputChannel(),
            TemplatedNaturalLanguageGenerator(domain.responses),
            tracker,
            domain,
        )
    )


def test_failed_action_apologises_with_the_domain_response() -> None:
    events = _run("action_store_hours", Domain.from_yaml(DOMAIN_YAML))
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert events[0].text == "Our systems are down, sorry!"


def test_failed_action_apologises_in_plain_english_without_a_response() -> None:
    domain = Domain.from_yaml('version: "3.1"\nactions: [action_store_hours]\n')
    [event] = _run("action_store_hours", domain)
    assert isinstance(event, BotUttered)
    assert event.text.startswith("Sorry, something went wrong on our side")


def test_failed_action_apologises_in_chinese_to_a_chinese_customer() -> None:
    domain = Domain.from_yaml(
        'version: "3.1"\nactions: [action_store_hours]\n'
        "slots:\n  language:\n    type: text\n    mappings: [{type: custom}]\n"
    )
    [event] = _run("action_store_hours", domain, SlotSet("language", "zh"))
    assert isinstance(event, BotUttered)
    assert event.text == "抱歉，我们这边出了点问题。请稍后再试。"
    [english] = _run("action_store_hours", domain, SlotSet("language", "en"))
    assert english.text.startswith("Sorry, something went wrong on our side")


def test_failed_session_start_falls_back_to_rasas_own() -> None:
    events = _run("action_session_start", Domain.from_yaml(DOMAIN_YAML))
    assert isinstance(events[0], SessionStarted)
    assert not any(isinstance(e, BotUttered) for e in events)


def test_install_makes_rasa_create_resilient_actions() -> None:
    install()
    action = rasa_actions.action_for_name_or_text(
        "action_store_hours", Domain.from_yaml(DOMAIN_YAML), EndpointConfig("http://x")
    )
    assert isinstance(action, ResilientRemoteAction)


# -- the action server's answer is checked as Rasa checks it, without re-checking the schema


VALID_ANSWERS = [
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "plan_data_gb", "value": 10, "timestamp": None},
            {"event": "active_loop", "name": None},
            {"event": "followup", "name": "action_listen"},
        ],
        "responses": [{"text": "Hi", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
    },
]
INVALID_ANSWERS = [
    {"events": "not a list", "responses": []},
    {"events": [{"event": "slot"}], "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": "text"},
]


def _rasa_verdict(answer: dict) -> str | None:
    action = rasa_actions.RemoteAction("action_x", None)
    try:
        rasa_actions.RemoteAction._validate_action_result(action, answer)
    except Exception as e:  # jsonschema.ValidationError
        return e.message
    return None


def _tandem_verdict(answer: dict) -> str | None:
    action = ResilientRemoteAction("action_x", None)
    try:
        action._validate_action_result(answer)
    except Exception as e:
        return e.message
    return None


def test_the_compiled_validator_gives_rasas_verdict_on_valid_and_invalid_answers() -> None:
    for answer in VALID_ANSWERS:
        assert _rasa_verdict(answer) is None
        assert _tandem_verdict(answer) is None
    for answer in INVALID_ANSWERS:
        rasa_message = _rasa_verdict(answer)
        assert rasa_message is not None, answer
        assert _tandem_verdict(answer) == rasa_message
        assert "Failed to validate Action server response" in rasa_message


def test_the_schema_is_checked_once_not_per_answer(monkeypatch) -> None:
    from bot.engine import resilience

    resilience.response_validator.cache_clear()
    calls = []
    original = rasa_actions.RemoteAction.action_response_format_spec

    def counting() -> dict:
        calls.append(1)
        return original()

    monkeypatch.setattr(rasa_actions.RemoteAction, "action_response_format_spec", counting)
    for _ in range(5):
        assert _tandem_verdict(VALID_ANSWERS[1]) is None
    assert len(calls) == 1
    resilience.response_validator.cache_clear()
