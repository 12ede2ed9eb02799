"""The action server serves exactly the custom actions the domain declares."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[3]


def _domain_custom_actions() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {a for a in domain.get("actions", []) if not a.startswith("utter_")}


def test_every_domain_action_is_registered_and_vice_versa() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    assert registered == _domain_custom_actions()
