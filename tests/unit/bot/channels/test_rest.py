from __future__ import annotations

import json

import pytest

from bot.channels.rest import BadRequest, RestInput, parse_body


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_good_body_is_parsed() -> None:
    assert parse_body(
        body(sender="u-1", message="hi", metadata={"a": 1}), max_message_chars=10
    ) == (
        "u-1",
        "hi",
        {"a": 1},
    )


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "must be a JSON object"),
        (body(message="hi"), '"sender" is missing'),
        (body(sender="", message="hi"), '"sender" is missing or empty'),
        (body(sender=42, message="hi"), '"sender" is missing'),
        (body(sender="a b", message="hi"), "letters, digits"),
        (body(sender="x" * 129, message="hi"), "at most 128"),
        (body(sender="u"), '"message" is missing'),
        (body(sender="u", message=["hi"]), '"message" is missing or not a string'),
        (body(sender="u", message="hi", metadata="x"), '"metadata" must be a JSON object'),
    ],
)
def test_malformed_bodies_get_400_with_a_hint(raw: bytes, match: str) -> None:
    with pytest.raises(BadRequest, match=match) as exc:
        parse_body(raw, max_message_chars=100)
    assert exc.value.status == 400


def test_oversized_message_gets_413() -> None:
    with pytest.raises(BadRequest, match="limit is 10") as exc:
        parse_body(body(sender="u", message="x" * 11), max_message_chars=10)
    assert exc.value.status == 413


def test_unicode_messages_are_kept_whole() -> None:
    text = "Hallo 👋 Привет مرحبا 你好"
    assert parse_body(body(sender="u", message=text), max_message_chars=100)[1] == text


def test_credentials_configure_the_limit() -> None:
    channel = RestInput.from_credentials({"max_message_chars": 50})
    assert isinstance(channel, RestInput)
    assert channel.max_message_chars == 50
    assert RestInput.from_credentials(None).max_message_chars == 4000
    with pytest.raises(ValueError, match="positive"):
        RestInput(max_message_chars=0)
