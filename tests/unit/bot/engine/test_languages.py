"""The conversation's language in Rasa itself: the slot fills from the language entity,
keeps its value through messages without one, and picks the Chinese responses."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(ROOT / "domain.yml")


def _user(text: str, entities: list[dict]) -> object:
    from rasa.shared.core.events import UserUttered

    return UserUttered(text, {"name": "greet", "confidence": 1.0}, entities)


def _extract(domain, tracker) -> list:
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    action = ActionExtractSlots(None)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, domain))


def test_the_language_slot_follows_clear_messages_and_keeps_through_short_ones(
    domain,
) -> None:
    from rasa.shared.core.events import SlotSet
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("conv", domain.slots)
    zh = {"entity": "language", "value": "zh", "extractor": "LanguageDetector"}
    tracker.update(_user("你好", [zh]))
    events = _extract(domain, tracker)
    assert SlotSet("language", "zh") in events
    tracker.update_with_events(events, domain)

    tracker.update(_user("ok", []))  # nothing clear: no event, the language stays
    assert not [e for e in _extract(domain, tracker) if getattr(e, "key", "") == "language"]
    assert tracker.get_slot("language") == "zh"

    en = {**zh, "value": "en"}
    tracker.update(_user("where is my order", [en]))
    assert SlotSet("language", "en") in _extract(domain, tracker)


def test_the_language_entity_does_not_reach_the_dialogue_policies(domain) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker("conv", domain.slots)
    tracker.update(_user("你好", [{"entity": "language", "value": "zh"}]))
    [state] = tracker.past_states(domain)[-1:]
    assert "entities" not in state.get("user", {})


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _responses() -> list[str]:
    import yaml

    return sorted(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"])


@pytest.mark.parametrize("response", _responses())
def test_responses_answer_in_the_conversations_language(domain, response: str) -> None:
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator

    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    for _ in range(5):  # variations are picked at random
        zh = nlg.generate_from_slots(response, {"language": "zh"}, "webchat")
        en = nlg.generate_from_slots(response, {"language": None}, "webchat")
        also_en = nlg.generate_from_slots(response, {"language": "en"}, "webchat")
        assert zh is not None and _chinese(zh["text"])
        for english in (en, also_en):
            assert english is not None and not _chinese(english["text"])
    if zh.get("buttons"):
        assert all(_chinese(b["title"]) for b in zh["buttons"])


def test_the_language_detector_supports_what_the_responses_speak() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    [detector] = [c for c in config["pipeline"] if c["name"].endswith("LanguageDetector")]
    assert detector["supported"] == ["en", "zh"]
