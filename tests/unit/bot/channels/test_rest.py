# ruff: noqa: RUF001  (Chinese text, on purpose)
from __future__ import annotations

import json
import time

import jwt
import pytest

from bot.channels.inbound import Rejected
from bot.channels.rest import RestInput, conversation_id, parse_body
from bot.channels.visitor_token import TokenRefused
from bot.errors import ConfigError


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
    with pytest.raises(Rejected, match=match) as exc:
        parse_body(raw, max_message_chars=100)
    assert exc.value.status == 400


def test_oversized_message_gets_413() -> None:
    with pytest.raises(Rejected, match="limit is 10") as exc:
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
    with pytest.raises(ConfigError, match="positive"):
        RestInput(max_message_chars=0)


def test_the_conversation_is_namespaced() -> None:
    assert conversation_id("u-1") == "rest:u-1"
    assert conversation_id("slack:T1:C2") == "rest:slack:T1:C2"  # never a Slack conversation


@pytest.mark.parametrize(
    ("raw", "status", "match"),
    [
        (b'{"sender": "u", "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "deeply"),
        (body(sender="u", message="\ud800"), 400, "unpaired surrogate"),
        (body(sender="u", message="hi", metadata={"k": "v" * 9000}), 413, "limit is 8192"),
    ],
)
def test_input_that_used_to_crash_or_bloat_is_refused(raw: bytes, status: int, match: str) -> None:
    with pytest.raises(Rejected, match=match) as exc:
        parse_body(raw, max_message_chars=100)
    assert exc.value.status == status


def test_client_sent_identity_is_dropped() -> None:
    raw = body(sender="u", message="hi", metadata={"tandem_auth": {"customer_id": "c1"}, "a": 1})
    assert parse_body(raw, max_message_chars=10)[2] == {"a": 1}


KEY = "visitor-key-0123456789abcdef0123"
SECRET = "rest-shared-secret-0123"


def test_without_secrets_anyone_may_send_and_it_says_so(caplog: pytest.LogCaptureFixture) -> None:
    channel = RestInput.from_credentials({"auth_token": "", "jwt_key": ""})
    assert isinstance(channel, RestInput) and not channel.requires_auth
    assert channel.authenticate(None) is None
    assert "needs no token" in caplog.text


def test_with_secrets_a_token_is_required() -> None:
    channel = RestInput.from_credentials({"auth_token": SECRET, "jwt_key": KEY})
    assert isinstance(channel, RestInput) and channel.requires_auth
    assert channel.authenticate(f"Bearer {SECRET}") is None  # a server: any sender
    claims = {"sub": "alice", "exp": int(time.time()) + 60, "customer_id": "c9"}
    visitor = channel.authenticate(f"Bearer {jwt.encode(claims, KEY)}")
    assert visitor is not None and (visitor.subject, visitor.customer_id) == ("alice", "c9")
    for bad in (None, "Bearer nope", f"Bearer {jwt.encode({}, KEY)}", SECRET[:-1]):
        with pytest.raises(TokenRefused):
            channel.authenticate(bad)
    only_secret = RestInput(auth_token=SECRET)
    with pytest.raises(TokenRefused, match="TANDEM_REST_TOKEN"):
        only_secret.authenticate(f"Bearer {jwt.encode(claims, KEY)}")


def test_a_short_shared_secret_fails_when_the_channel_is_built() -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        RestInput.from_credentials({"auth_token": "short"})


def test_the_apology_on_failure_is_in_the_customers_language() -> None:
    from bot.channels.rest import FAILURE_REPLY, failure_reply

    assert failure_reply() == failure_reply("where is my order?") == FAILURE_REPLY
    assert failure_reply("hi", {"language": "en"}) == FAILURE_REPLY
    chinese = "抱歉，我们这边出了点问题。请稍后再试。"
    assert failure_reply("我的订单在哪里？") == chinese
    assert failure_reply("hello", {"language": "zh-CN"}) == chinese
    assert failure_reply("hello", {"metadata": {"language": "zh"}}) == chinese


def test_the_channels_own_replies_in_chinese() -> None:
    from bot.channels.rest import EMPTY_MESSAGE_REPLY, empty_reply
    from bot.channels.slack import TOO_LONG_REPLY
    from bot.contract.labels import labels_for

    assert empty_reply() == empty_reply({"language": "en"}) == EMPTY_MESSAGE_REPLY
    assert empty_reply({"language": "zh"}) == "您的消息好像是空的。有什么可以帮您？"
    assert labels_for("en")("channel.too_long", length=5, limit=4) == TOO_LONG_REPLY.format(
        length=5, limit=4
    )
    assert labels_for("zh")("channel.too_long", length=5, limit=4).startswith(
        "抱歉，这条消息太长了（5 个字符，我最多能读 4 个）"
    )
