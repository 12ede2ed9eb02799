"""bot.contract in the engine venv (Python 3.10, rasa): the same messages round-trip here."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.contract.payloads import schema_versions
from tests.unit.bot.contract.messages import (
    handoff_replies,
    messages,
    reply_round_trip,
    round_trip,
)

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("message", messages(), ids=lambda m: type(m).__name__)
def test_every_message_round_trips_in_the_engine_venv(message: Any) -> None:
    assert json.loads(json.dumps(message.to_dict())) == message.to_dict()
    assert round_trip(message) == message


@pytest.mark.parametrize("reply", handoff_replies(), ids=lambda r: type(r).__name__)
def test_handoff_replies_round_trip_in_the_engine_venv(reply: Any) -> None:
    assert reply_round_trip(reply) == reply


def test_the_engine_reads_the_packaged_schemas() -> None:
    assert schema_versions()["credit_score"] == 2
