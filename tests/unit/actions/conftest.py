from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker

from bot.sdk.runtime import Runtime, set_runtime
from tests.conftest import PROJECT_ROOT


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


@pytest.fixture
def install_runtime() -> Iterator[Callable[..., Runtime]]:
    """Installs the reference assistant's runtime with some factories replaced by fakes
    (``install_runtime(answer_pipeline=broken)``); the previous one comes back after."""
    previous = set_runtime(None)

    def install(**factories: Callable[[], Any]) -> Runtime:
        runtime = Runtime.from_env({"TANDEM_PROJECT_DIR": str(PROJECT_ROOT)}, factories=factories)
        set_runtime(runtime)
        return runtime

    yield install
    set_runtime(previous)
