"""Every payload type of the contract has a renderer on every channel, and nothing else does.

The types are bot/contract's: one per schema file in bot/contract/schemas/, plus
the handoff messages. Adding a schema without a card (or a card for a type the
contract does not know) fails here; docs/howto/structured-type.md says what to add.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.channels import blocks, cards, result_cards
from bot.contract.payloads import MESSAGE_TYPES, payload_types, result_types, schema_versions

pytestmark = pytest.mark.engine

WIDGET = Path(blocks.__file__).parent / "web" / "widget.js"


def widget_card_versions() -> dict[str, int]:
    source = WIDGET.read_text(encoding="utf-8")
    match = re.search(r"const CARD_VERSIONS = (\{.*?\});", source)
    assert match is not None, "widget.js lost its CARD_VERSIONS table"
    return dict(json.loads(re.sub(r"(\w+):", r'"\1":', match.group(1))))


def widget_handled_types() -> set[str]:
    return set(re.findall(r'custom\.type === "(\w+)"', WIDGET.read_text(encoding="utf-8")))


def test_the_contract_has_result_types() -> None:
    assert {"credit_score", "mobile_plan", "savings_plan", "recommendations"} <= set(result_types())


def test_the_widget_draws_every_result_type_at_its_version_and_nothing_else() -> None:
    assert widget_card_versions() == schema_versions()


def test_the_widget_handles_every_payload_type_and_nothing_unknown() -> None:
    assert widget_handled_types() == set(payload_types())


def test_slack_has_a_card_for_every_result_type_and_nothing_unknown() -> None:
    drawn = set(blocks.CARDS) | set(result_cards.CARDS)
    assert drawn == set(result_types())
    assert all(blocks.card_renderer(kind) is not None for kind in result_types())


def test_teams_has_a_card_for_every_result_type_and_nothing_unknown() -> None:
    drawn = set(cards.CARD_RENDERERS) | set(result_cards.CARDS)
    assert drawn == set(result_types())
    assert all(cards.card_renderer(kind) is not None for kind in result_types())


@pytest.mark.parametrize("kind", MESSAGE_TYPES)
def test_handoff_messages_are_said_as_text_on_slack_and_teams(kind: str) -> None:
    custom = {"type": kind, "state": "agent", "agent": "Sam"}
    slack = blocks.render({"text": "Hello, Sam here.", "custom": custom}, team_label="Support")
    assert slack is not None and "Sam" in json.dumps(slack.blocks)
    assert "```" not in json.dumps(slack.blocks)  # not shown as an unknown payload
    teams = cards.render_custom(custom, text="Hello, Sam here.")
    assert "Sam" in teams.text and "```" not in teams.text


def test_a_shared_card_is_drawn_by_both_server_channels() -> None:
    card = result_cards.Card(
        title="Your toy",
        summary="A toy",
        facts=(("Colour", "red"),),
        items=("one", "two"),
        note="Just a toy.",
    )
    slack_blocks, summary = blocks.from_card(card)
    assert summary == "A toy" and "Colour" in json.dumps(slack_blocks)
    teams_card = cards.from_card(card)
    assert teams_card["content"]["type"] == "AdaptiveCard" and "Colour" in json.dumps(teams_card)
