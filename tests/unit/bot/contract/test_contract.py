"""bot.contract in the actions venv: every message round-trips, bad bodies say what to send."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import bot.contract
from bot.contract import ContractError
from bot.contract.handoff import HandoffRequest, handoff_reply_from_dict
from bot.contract.paths import NOTIFY_PATH, notify_path, route
from bot.contract.payloads import StructuredPayload, payload_types, result_types
from bot.contract.rephrase import RephraseReply, RephraseRequest
from bot.contract.stream import StreamDraft
from bot.errors import TandemError
from tests.unit.bot.contract.messages import (
    SESSION,
    handoff_replies,
    messages,
    reply_round_trip,
    round_trip,
)

CONTRACT = Path(bot.contract.__file__).parent


@pytest.mark.parametrize("message", messages(), ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_json(message: Any) -> None:
    assert json.loads(json.dumps(message.to_dict())) == message.to_dict()
    assert round_trip(message) == message


@pytest.mark.parametrize("reply", handoff_replies(), ids=lambda r: type(r).__name__)
def test_handoff_replies_round_trip(reply: Any) -> None:
    assert reply_round_trip(reply) == reply


def test_contract_errors_are_value_errors_under_the_tandem_root() -> None:
    assert issubclass(ContractError, ValueError) and issubclass(ContractError, TandemError)


@pytest.mark.parametrize(
    ("parse", "body", "code", "hint"),
    [
        (
            StreamDraft.from_dict,
            {"session_id": "x", "stream_id": "a"},
            "invalid_session_id",
            "UUID",
        ),
        (
            StreamDraft.from_dict,
            {"session_id": SESSION, "stream_id": "a b"},
            "bad_stream_id",
            "1-128",
        ),
        (
            StreamDraft.from_dict,
            {"session_id": SESSION, "stream_id": "a", "done": "yes"},
            "bad_done",
            "true or false",
        ),
        (StreamDraft.from_dict, [], "bad_json", "JSON object"),
        (RephraseRequest.from_dict, {"text": ""}, "bad_message", "send {"),
        (
            RephraseRequest.from_dict,
            {"text": "hi", "turns": [{"role": "agent", "text": "x"}]},
            "bad_message",
            "user, bot",
        ),
        (RephraseRequest.from_dict, {"text": "hi", "deadline_s": 11}, "bad_message", "deadline_s"),
        (RephraseRequest.from_dict, {"text": "hi", "colour": "red"}, "bad_message", "colour"),
        (RephraseReply.from_dict, {"text": "hi"}, "bad_reply", '"rephrased"'),
        (
            HandoffRequest.from_dict,
            {"conversation_id": "c", "channel": "web", "reason": "x", "priority": 10},
            "bad_priority",
            "0 to 9",
        ),
        (
            HandoffRequest.from_dict,
            {"channel": "web", "reason": "x"},
            "bad_conversation_id",
            "conversation_id",
        ),
        (handoff_reply_from_dict, {"status": "waiting"}, "bad_reply", '"id"'),
        (
            StructuredPayload.from_dict,
            {"type": "credit_score", "schema_version": 1, "data": {}},
            "unknown_type",
            "credit_score",
        ),
    ],
)
def test_a_broken_body_raises_a_contract_error_that_says_what_to_send(
    parse: Any, body: Any, code: str, hint: str
) -> None:
    with pytest.raises(ContractError) as caught:
        parse(body)
    assert caught.value.code == code
    assert hint in str(caught.value)


def test_paths() -> None:
    assert notify_path("slack:T/1") == "/api/conversations/slack%3AT%2F1/notify"
    assert NOTIFY_PATH.startswith("/api/")
    assert route("/api/tickets", "/api") == "/tickets"


def test_payload_types_are_the_schema_files_plus_the_handoff_messages() -> None:
    files = {p.name.removesuffix(".schema.json") for p in (CONTRACT / "schemas").glob("*.json")}
    assert set(result_types()) == files
    assert set(payload_types()) == files | {"handoff", "agent_message"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", [*sorted(CONTRACT.glob("*.py")), CONTRACT.parent / "errors.py"], ids=lambda p: p.name
)
def test_the_contract_imports_only_the_standard_library(path: Path) -> None:
    outside = {
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name != "bot.errors"
        and not name.startswith("bot.contract")
    }
    assert not outside, f"{path.name} imports {sorted(outside)}: the engine venv may not have it"
