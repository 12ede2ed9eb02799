"""Tandem's human-handoff service: a queue of customers waiting for a person, the
agent console, and the sync that keeps both in step with Rasa's trackers.

Runs in the actions venv (Python 3.11) as ``python -m bot.handoff serve``;
see ``docs/handoff.md``. Names here are the public API; the modules behind
them may move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.handoff.accounts import Accounts, Staff
from bot.handoff.errors import (
    Conflict,
    Forbidden,
    GatewayError,
    HandoffError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from bot.handoff.gateway import FakeRasaGateway, HttpxRasaGateway, RasaGateway
from bot.handoff.hours import OpenHours
from bot.handoff.settings import HandoffSettings

if TYPE_CHECKING:
    from bot.handoff.app import create_app

__all__ = [
    "Accounts",
    "Conflict",
    "FakeRasaGateway",
    "Forbidden",
    "GatewayError",
    "HandoffError",
    "HandoffSettings",
    "HttpxRasaGateway",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "OpenHours",
    "RasaGateway",
    "Staff",
    "create_app",
]


def __getattr__(name: str) -> Any:
    # The app pulls in FastAPI and the console; import it only when asked for.
    if name == "create_app":
        from bot.handoff.app import create_app

        return create_app
    raise AttributeError(name)
