"""Who may use staff tools such as marketing copy: decided from what a channel verified.

Staff are recognised in one of two ways, both configured here and nowhere else:

* a verified ``role`` claim (``tandem_auth.role``, from a visitor JWT signed with the
  channels' key) listed in ``TANDEM_STAFF_ROLES`` (default ``staff``);
* the input channel itself, for channels only colleagues can reach (an internal
  Slack workspace, say), listed in ``TANDEM_STAFF_CHANNELS`` (default: none).

A customer can type anything and send any metadata: channels drop client-sent
``tandem_auth`` (bot/channels/inbound.py), and the input channel's name is set by
the engine, so neither words nor metadata make anyone staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import verified_role
from bot.sdk.runtime import get_runtime

STAFF_SLOT = "is_staff"
STAFF_INTENTS = frozenset({"ask_marketing_copy"})
"""Intents that lead to staff tools: never offered to customers as a guess or a button."""


def _names(raw: str | None, default: frozenset[str]) -> frozenset[str]:
    if raw is None:
        return default
    return frozenset(name.strip().lower() for name in raw.split(",") if name.strip())


@dataclass(frozen=True)
class StaffAccess:
    roles: frozenset[str] = frozenset({"staff"})
    channels: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StaffAccess:
        """From ``env`` as read by :class:`bot.settings.ActionSettings` (``settings.env``)."""
        base = cls()
        return cls(
            roles=_names(env.get("TANDEM_STAFF_ROLES"), base.roles),
            channels=_names(env.get("TANDEM_STAFF_CHANNELS"), base.channels),
        )

    def allows(self, tracker: Tracker) -> bool:
        role = verified_role(tracker)
        if role is not None and role.strip().lower() in self.roles:
            return True
        channel = (tracker.get_latest_input_channel() or "").lower()
        return bool(channel) and channel in self.channels


@lru_cache(maxsize=1)
def staff_access() -> StaffAccess:
    return StaffAccess.from_env(get_runtime().settings.env)


def is_staff(tracker: Tracker) -> bool:
    return staff_access().allows(tracker)


class ActionCheckStaff(Action):
    """Sets ``is_staff`` for the rules that open a staff tool or politely refuse it."""

    def name(self) -> str:
        return "action_check_staff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet(STAFF_SLOT, is_staff(tracker))]
