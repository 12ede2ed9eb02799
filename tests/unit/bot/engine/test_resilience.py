"""A dead action server gives the customer an apology, not silence."""

from __future__ import annotations

import asyncio

import rasa.core.actions.action as rasa_actions
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SessionStarted
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


def _run(action_name: str, domain: Domain) -> list:
    dead = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")  # nothing listens there
    action = ResilientRemoteAction(action_name, dead)
    tracker = DialogueStateTracker.from_events("u1", [])
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
