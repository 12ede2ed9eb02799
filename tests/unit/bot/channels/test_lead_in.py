"""A result is a card with a one-line lead-in: each channel shows both, and nothing twice."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.channels.blocks import render as slack_render
from bot.channels.cards import render_custom
from bot.channels.webchat_protocol import bot_payload
from bot.contract.payloads import lead_in, schema_versions, without_repeats
from tests.unit.bot.channels.test_slack import MOBILE, RECOMMENDATIONS, SAVINGS
from tests.unit.bot.channels.test_teams_cards import CREDIT_SCORE

pytestmark = pytest.mark.engine

WIDGET = Path(__file__).resolve().parents[4] / "bot" / "channels" / "web" / "widget.js"
NOTHING_FITS = {
    **RECOMMENDATIONS,
    "data": {
        **RECOMMENDATIONS["data"],
        "note": "Nothing in our range fits laptops for gaming under £1,000. "
        "The closest is below, outside what you asked for.",
    },
}
CASES = [
    ("Here are my top 2 picks.", RECOMMENDATIONS, "Wireless Charging Pad"),
    ("Here's the cheapest way to cover your usage.", MOBILE, "Data Boost 5 GB"),
    ("Here's a savings plan for your goal, with how I worked it out.", SAVINGS, "97.69"),
    (NOTHING_FITS["data"]["note"], NOTHING_FITS, "Wireless Charging Pad"),
]


def _slack(text: str, custom: dict[str, Any]) -> str:
    message = slack_render({"text": text, "custom": copy.deepcopy(custom)}, team_label="Team")
    assert message is not None
    return json.dumps(message.blocks, ensure_ascii=False)


def _teams(text: str, custom: dict[str, Any]) -> str:
    rendered = render_custom(copy.deepcopy(custom), text=text)
    assert rendered.attachments, "a card"
    return rendered.text + json.dumps(rendered.attachments, ensure_ascii=False)


@pytest.mark.parametrize(("lead", "custom", "fact"), CASES)
def test_slack_and_teams_show_the_lead_in_and_the_card_once_each(
    lead: str, custom: dict[str, Any], fact: str
) -> None:
    for shown in (_slack(lead, custom), _teams(lead, custom)):
        assert shown.count(lead) == 1, shown
        assert shown.count(fact) >= 1
    assert _teams(lead, custom).startswith(lead)


@pytest.mark.parametrize(("lead", "custom", "fact"), CASES)
def test_a_multi_line_summary_is_not_shown_beside_its_card(
    lead: str, custom: dict[str, Any], fact: str
) -> None:
    twin = f"Plain-text twin of the card:\n• {fact}"
    for shown in (_slack(twin, custom), _teams(twin, custom)):
        assert "Plain-text twin" not in shown
        assert shown.count(fact) >= 1  # from the card


def test_the_credit_card_carries_what_its_summary_said() -> None:
    summary = "Good news: you look likely to qualify.\nRepresentative example: ..."
    teams = _teams(summary, CREDIT_SCORE)
    assert "Good news" not in teams and "55.08" in teams and "9.9% APR representative" in teams
    slack = _slack(summary, CREDIT_SCORE)
    assert "Good news" not in slack and "£55.08" in slack


def test_the_web_chat_passes_both_and_the_widget_applies_the_same_rule() -> None:
    lead, custom, _ = CASES[0]
    payload = bot_payload({"text": lead, "custom": custom})
    assert payload["text"] == lead and payload["custom"] == custom
    widget = WIDGET.read_text(encoding="utf-8")
    assert 'return t.includes("\\n") ? "" : t;' in widget  # leadIn(): one line or nothing
    assert "!said.includes(d.note.trim())" in widget  # a note the lead-in says is not repeated
    assert "probability_of_default" not in widget  # removed in credit_score version 2


def test_the_widget_draws_cards_for_the_current_schema_versions() -> None:
    widget = WIDGET.read_text(encoding="utf-8")
    match = re.search(r"const CARD_VERSIONS = (\{.*?\});", widget)
    assert match is not None
    versions = json.loads(re.sub(r"(\w+):", r'"\1":', match.group(1)))
    assert versions == {k: v for k, v in schema_versions().items() if k in versions}
    assert set(versions) == set(schema_versions())


def test_lead_in_and_note_rules() -> None:
    assert lead_in(" Here are my top 3 picks. ") == "Here are my top 3 picks."
    assert lead_in("line one\nline two") == "" and lead_in(None) == ""
    data = {"note": "Nothing fits.", "items": []}
    assert without_repeats(data, "Nothing fits.")["note"] is None
    assert without_repeats(data, "Here you go.")["note"] == "Nothing fits."
