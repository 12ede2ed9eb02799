from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker


def make_tracker(
    *,
    text: str = "",
    intent: str = "greet",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    sender_id: str = "test-user",
) -> Tracker:
    """A real rasa-sdk Tracker whose latest message carries the given parse data."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
    }
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker_factory():
    return make_tracker
