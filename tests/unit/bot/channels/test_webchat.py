"""The web chat's wire rules without a server: sessions, messages, payloads, transcript."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from rasa.core.channels.socketio import SocketIOInput
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from bot.channels.webchat import WebChatInput, WebChatOutput
from bot.channels.webchat_protocol import (
    Rejected,
    bot_payload,
    origin_allowed,
    parse_origins,
    parse_stream,
    parse_user_message,
    session_id_from,
    transcript,
)
from bot.errors import ConfigError

SESSION = "3f2b8c1e-9d4a-4e6f-8b7c-1a2b3c4d5e6f"


class RecordingSio:
    """Stands in for python-socketio's AsyncServer: records what would be emitted."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any, dict[str, Any]]] = []

    async def emit(self, event: str, data: Any = None, **kwargs: Any) -> None:
        self.emitted.append((event, data, kwargs))


# ---- session ids --------------------------------------------------------------------


def test_a_uuid_session_id_is_accepted_in_canonical_form() -> None:
    assert session_id_from(SESSION) == SESSION
    assert session_id_from(f" {SESSION.upper()} ") == SESSION
    assert session_id_from(str(uuid.uuid4())) != SESSION


@pytest.mark.parametrize(
    "value",
    [None, "", "abc", 42, SESSION.replace("-", ""), SESSION + "0", "../" + SESSION[3:], [SESSION]],
)
def test_anything_but_a_uuid_is_refused(value: Any) -> None:
    with pytest.raises(Rejected, match="must be a UUID") as caught:
        session_id_from(value)
    assert caught.value.code == "invalid_session_id"


@pytest.mark.parametrize(
    "other_channel",
    [
        "slack:T0001:C0001:1700000000.000100",
        "teams:a:1conv",
        "teams:19:abc@thread.tacv2;messageid=1",
        f"rest:{SESSION}",
        f"web:{SESSION}",
    ],
)
def test_a_visitor_cannot_name_another_channels_conversation(other_channel: str) -> None:
    """Web chat ids are bare UUIDs; every other channel's ids carry a prefix."""
    with pytest.raises(Rejected):
        session_id_from(other_channel)


# ---- user messages ------------------------------------------------------------------


def test_a_message_with_metadata_is_parsed() -> None:
    data = {"message": "hi", "metadata": {"page": "/plans"}}
    assert parse_user_message(data, max_message_chars=10) == ("hi", {"page": "/plans"})
    as_string = {"message": "hi", "metadata": json.dumps({"a": 1})}
    assert parse_user_message(as_string, max_message_chars=10) == ("hi", {"a": 1})
    assert parse_user_message({"message": ""}, max_message_chars=10) == ("", None)
    assert parse_user_message(
        {"message": "x", "meta": {"b": 2}}, max_message_chars=5, metadata_key="meta"
    ) == (
        "x",
        {"b": 2},
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("hi", "bad_message"),
        ({}, "bad_message"),
        ({"message": 42}, "bad_message"),
        ({"message": {"text": "hi"}}, "bad_message"),
        ({"message": "x" * 11}, "message_too_long"),
        ({"message": "hi", "metadata": [1]}, "bad_metadata"),
        ({"message": "hi", "metadata": "{oops"}, "bad_metadata"),
        ({"message": "hi", "metadata": {"k": "v" * 9000}}, "metadata_too_large"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(data: Any, code: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_user_message(data, max_message_chars=10)
    assert caught.value.code == code
    assert caught.value.as_event()["message"]


def test_the_size_error_names_the_limit() -> None:
    with pytest.raises(Rejected, match="11 characters; the limit is 10"):
        parse_user_message({"message": "x" * 11}, max_message_chars=10)


# ---- bot payloads -------------------------------------------------------------------


def test_a_bot_message_keeps_everything_it_carries() -> None:
    card = {"type": "recommendations", "schema_version": 1, "data": {"items": []}}
    message = BotUttered(
        "Here you go",
        data={
            "buttons": [{"title": "More", "payload": "/more"}, {"bad": "button"}],
            "quick_replies": [{"title": "Yes", "payload": "/affirm", "content_type": "text"}],
            "custom": card,
            "image": "https://example.com/a.png",
            "attachment": {"type": "file", "payload": {"src": "https://example.com/a.pdf"}},
        },
        metadata={"metadata": {"stream_id": "s-1"}, "utter_action": "utter_x"},
        timestamp=1700000000.5,
    ).message()
    assert bot_payload(message) == {
        "text": "Here you go",
        "buttons": [{"title": "More", "payload": "/more"}],
        "quick_replies": [{"title": "Yes", "payload": "/affirm"}],
        "custom": card,
        "image": "https://example.com/a.png",
        "attachment": {"type": "file", "payload": {"src": "https://example.com/a.pdf"}},
        "metadata": {"stream_id": "s-1"},
        "timestamp": 1700000000.5,
    }


def test_empty_fields_are_dropped_and_a_top_level_stream_id_moves_into_metadata() -> None:
    payload = bot_payload({"text": None, "buttons": [], "custom": {}, "stream_id": "s-9"})
    assert set(payload) == {"metadata", "timestamp"}
    assert payload["metadata"] == {"stream_id": "s-9"}


def test_output_emits_one_event_per_message_to_the_session_room() -> None:
    sio = RecordingSio()
    output = WebChatOutput(sio, namespace=None)  # type: ignore[arg-type]
    card = {"type": "credit_score", "schema_version": 2, "data": {"score": 600}}

    async def scenario() -> None:
        await output.send_response(SESSION, {"text": "Line one\n\nLine two", "custom": card})
        await output.send_text_with_buttons(SESSION, "Pick", [{"title": "A", "payload": "/a"}])
        await output.send_custom_json(SESSION, {"type": "handoff", "state": "waiting"})
        await output.send_response(SESSION, {"text": None, "buttons": None})

    asyncio.run(scenario())
    assert [(event, kwargs) for event, _, kwargs in sio.emitted] == [
        ("bot_uttered", {"to": SESSION, "namespace": None})
    ] * 3
    first, second, third = (data for _, data, _ in sio.emitted)
    assert first["text"] == "Line one\n\nLine two" and first["custom"] == card
    assert second["buttons"] == [{"title": "A", "payload": "/a"}]
    assert third["custom"] == {"type": "handoff", "state": "waiting"}


# ---- transcript ---------------------------------------------------------------------


def events() -> list[dict[str, Any]]:
    card = {"type": "recommendations", "schema_version": 1, "data": {"items": []}}
    agent = {"type": "agent_message", "agent": "Maya"}
    return [
        e.as_dict()
        for e in [
            ActionExecuted("action_session_start", timestamp=1.0),
            SessionStarted(timestamp=1.0),
            UserUttered("hi", timestamp=2.0),
            BotUttered("Hello! How can I help?", timestamp=3.0),
            UserUttered("blorp fizz", timestamp=4.0),
            BotUttered(
                "Did you mean…",
                data={"buttons": [{"title": "Product recommendations", "payload": "/recommend"}]},
                timestamp=5.0,
            ),
            UserUttered("/recommend", timestamp=6.0),
            BotUttered("Here are three picks", data={"custom": card}, timestamp=7.0),
            BotUttered(None, data={}, timestamp=7.5),
            UserUttered("", timestamp=8.0),
            BotUttered("I'm Maya from the team.", data={"custom": agent}, timestamp=9.0),
        ]
    ]


def test_the_transcript_shows_what_the_customer_saw() -> None:
    messages = transcript(events(), limit=100)
    assert [(m["role"], m.get("text")) for m in messages] == [
        ("user", "hi"),
        ("bot", "Hello! How can I help?"),
        ("user", "blorp fizz"),
        ("bot", "Did you mean…"),
        ("user", "Product recommendations"),
        ("bot", "Here are three picks"),
        ("agent", "I'm Maya from the team."),
    ]
    assert messages[3]["buttons"] == [{"title": "Product recommendations", "payload": "/recommend"}]
    assert messages[5]["custom"]["type"] == "recommendations"
    assert messages[0]["timestamp"] == 2.0 and messages[5]["timestamp"] == 7.0


def test_the_transcript_keeps_the_latest_messages_only() -> None:
    assert [m.get("text") for m in transcript(events(), limit=2)] == [
        "Here are three picks",
        "I'm Maya from the team.",
    ]


# ---- stream chunks ------------------------------------------------------------------


def test_a_stream_chunk_is_validated() -> None:
    raw = json.dumps({"session_id": SESSION, "stream_id": "ans-1", "delta": "Hel"}).encode()
    assert parse_stream(raw) == {
        "session_id": SESSION,
        "stream_id": "ans-1",
        "delta": "Hel",
        "done": False,
    }


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"{nope", "not valid JSON"),
        (b"[]", "JSON object"),
        (json.dumps({"session_id": "x", "stream_id": "a"}).encode(), "UUID"),
        (json.dumps({"session_id": SESSION, "stream_id": "a b"}).encode(), "stream_id"),
        (json.dumps({"session_id": SESSION, "stream_id": "a", "delta": 3}).encode(), "delta"),
        (json.dumps({"session_id": SESSION, "stream_id": "a", "done": "yes"}).encode(), "done"),
        (b" " * 70000, "at most"),
    ],
)
def test_bad_stream_chunks_are_refused(body: bytes, match: str) -> None:
    with pytest.raises(Rejected, match=match):
        parse_stream(body)


# ---- origins and configuration ------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "allowed", "ok"),
    [
        (None, (), True),
        ("http://shop.test:5005", (), True),  # same origin as the Host header
        ("http://localhost:3000", (), True),
        ("http://127.0.0.1:8080", (), True),
        ("http://[::1]:8080", (), True),
        ("https://evil.example", (), False),
        ("http://localhost:3000", ("https://shop.example",), False),
        ("https://shop.example", ("https://shop.example",), True),
        ("https://any.example", ("*",), True),
        ("null", (), False),
    ],
)
def test_origins(origin: str | None, allowed: tuple[str, ...], ok: bool) -> None:
    assert origin_allowed(origin, host="shop.test:5005", allowed=allowed) is ok


def test_origins_from_credentials() -> None:
    assert parse_origins("https://a.example/, https://b.example") == (
        "https://a.example",
        "https://b.example",
    )
    assert parse_origins(["https://a.example"]) == ("https://a.example",)
    assert parse_origins(None) == ()


def test_channel_from_credentials() -> None:
    channel = WebChatInput.from_credentials(
        {"max_message_chars": "500", "jwt_key": "k", "stream_token": "s" * 20}
    )
    assert isinstance(channel, WebChatInput) and isinstance(channel, SocketIOInput)
    assert channel.name() == "webchat"
    assert channel.max_message_chars == 500
    assert channel.session_persistence is True
    assert channel.get_output_channel() is None  # no socket server before blueprint()


def test_an_empty_jwt_key_means_no_token_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    channel = WebChatInput.from_credentials({"jwt_key": ""})
    assert channel.jwt_key is None
    assert "need no token" in caplog.text


@pytest.mark.parametrize(
    ("credentials", "match"),
    [
        ({"stream_token": "short"}, "at least 16 characters"),
        ({"max_message_chars": 0}, "positive"),
        ({"jwt_kye": "typo"}, "Unknown key"),
        ({"stream_token": None}, "stream_token under .* is empty"),
    ],
)
def test_bad_credentials_fail_when_the_channel_is_built(
    credentials: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        WebChatInput.from_credentials(credentials)
