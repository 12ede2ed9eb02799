"""The Slack channel on a real Sanic server, replying to a loopback stand-in of Slack's API.

Requests are signed with the signing secret exactly as Slack signs them; the
assertions are on the HTTP answers and on the requests the stand-in received.
One server (tests/integration/bot/channels/harness.py) serves the whole module;
each test swaps the handler that plays the bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
import rasa.server as rasa_server
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.rest import FAILURE_REPLY
from bot.channels.slack import SlackInput, SlackOutput, SlackWebClient
from bot.channels.slack_events import signature
from tests.integration.bot.channels.harness import ChannelServer, echo
from tests.standins.slack_api import SlackApiStandIn

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
TEAM, DM, CHANNEL, USER = "T0001", "D0001", "C0001", "U0001"


class _Server(ChannelServer):
    def __init__(self, slack: SlackApiStandIn) -> None:
        channel = SlackInput(
            slack_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            max_message_chars=200,
        )
        super().__init__(channel, url_prefix="/webhooks/slack")
        self.channel: SlackInput = channel

    def post(
        self,
        path: str,
        body: bytes,
        *,
        secret: str | None = SECRET,
        timestamp: int | None = None,
        content_type: str = "application/json",
        extra: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        headers = {"Content-Type": content_type}
        if secret is not None:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature(secret, ts, body)
        headers.update(extra or {})
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/slack/{path}",
            data=body,
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackApiStandIn]:
    with SlackApiStandIn(token=TOKEN, team=TEAM) as standin:
        yield standin


@pytest.fixture(scope="module")
def module_server(slack: SlackApiStandIn) -> Iterator[_Server]:
    srv = _Server(slack)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server(module_server: _Server, slack: SlackApiStandIn) -> _Server:
    slack.reset()
    module_server.seen.clear()
    module_server.handler = echo
    return module_server


def event_body(event: dict[str, Any], *, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            "event": event,
        }
    ).encode()


def dm(text: str, **extra: Any) -> bytes:
    event = {"type": "message", "channel_type": "im", "channel": DM, "user": USER}
    return event_body({**event, "text": text, "ts": "1700000000.000100", **extra})


def mention(text: str, ts: str = "1700000000.000200") -> bytes:
    event = {"type": "app_mention", "channel": CHANNEL, "user": USER, "text": text, "ts": ts}
    return event_body(event)


def click(message: dict[str, Any], value: str, title: str) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": USER, "team_id": TEAM},
        "team": {"id": TEAM},
        "channel": {"id": message["channel"]},
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": message["channel"],
        },
        "message": message,
        "actions": [
            {
                "type": "button",
                "action_id": "tandem_button_0",
                "block_id": "tandem_actions_0",
                "value": value,
                "text": {"type": "plain_text", "text": title},
                "action_ts": "1700000100.000001",
            }
        ],
        "response_url": "https://hooks.slack.invalid/actions/unused",
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def settle(server: _Server, slack: SlackApiStandIn, calls_before: int) -> None:
    """Send one more DM and wait for its reply, so anything sent before it has been handled."""
    status, _ = server.post("webhook", dm("sentinel"))
    assert status == 200
    slack.wait_for_calls(calls_before + 1, method="chat.postMessage")


def test_url_verificationechoes_the_challenge(server: _Server) -> None:
    body = json.dumps({"type": "url_verification", "token": "x", "challenge": "3eZbrw1aB"})
    assert server.post("webhook", body.encode()) == (200, {"challenge": "3eZbrw1aB"})


def test_a_dm_round_trip(server: _Server, slack: SlackApiStandIn) -> None:
    status, answer = server.post("webhook", dm("hi &amp; hello"))
    assert (status, answer) == (200, {"status": "accepted"})
    [call] = slack.wait_for_calls(1)
    assert (call.method, call.http_method, call.token) == ("chat.postMessage", "POST", TOKEN)
    assert call.content_type == "application/json; charset=utf-8"
    assert call.body == {
        "channel": DM,
        "text": "echo: hi &amp; hello",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "echo: hi &amp; hello"}}],
    }
    assert call.answer["ok"] is True
    [message] = server.seen
    assert message.sender_id == f"slack:{TEAM}:{DM}"
    assert message.input_channel == "slack"
    assert message.metadata is not None
    assert (message.metadata["user_id"], message.metadata["team_id"]) == (USER, TEAM)
    assert message.metadata["channel_id"] == DM


def test_a_mention_is_answered_in_its_thread(server: _Server, slack: SlackApiStandIn) -> None:
    assert server.post("webhook", mention("<@UBOT> when do you open?"))[0] == 200
    [call] = slack.wait_for_calls(1)
    assert call.body["channel"] == CHANNEL
    assert call.body["thread_ts"] == "1700000000.000200"
    assert call.body["text"] == "echo: when do you open?"
    assert server.seen[0].sender_id == f"slack:{TEAM}:{CHANNEL}:1700000000.000200"


def test_a_button_click_comes_back_as_its_payload_in_the_same_thread(
    server: _Server, slack: SlackApiStandIn
) -> None:
    async def offer_or_record(message: UserMessage) -> None:
        if message.text == "help":
            await message.output_channel.send_response(
                message.sender_id,
                {
                    "text": "Shall I get a colleague?",
                    "buttons": [
                        {"title": "Yes, a person please", "payload": "/ask_human"},
                        {"title": "No", "payload": '/inform{"x":1}'},
                    ],
                },
            )
        else:
            await echo(message)

    server.handler = offer_or_record
    server.post("webhook", mention("<@UBOT> help", ts="1700000000.000300"))
    [offer] = slack.wait_for_calls(1)
    assert offer.body["blocks"][1]["elements"][0]["value"] == "/ask_human"
    [posted] = slack.messages()

    status, _ = server.post(
        "interactive",
        click(posted, "/ask_human", "Yes, a person please"),
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 200
    calls = slack.wait_for_calls(3)
    update, reply = calls[1], calls[2]
    assert update.method == "chat.update" and update.answer["ok"] is True
    assert update.body["ts"] == posted["ts"] and update.body["channel"] == CHANNEL
    assert [b["type"] for b in update.body["blocks"]] == ["section", "context"]
    assert "chose *Yes, a person please*" in update.body["blocks"][1]["elements"][0]["text"]
    assert reply.method == "chat.postMessage"
    assert reply.body["thread_ts"] == "1700000000.000300"
    assert reply.body["text"] == "echo: /ask_human"
    assert [m.sender_id for m in server.seen] == [f"slack:{TEAM}:{CHANNEL}:1700000000.000300"] * 2


def test_a_retried_event_is_answered_exactly_once(server: _Server, slack: SlackApiStandIn) -> None:
    body = dm("once please", event_id="EvRETRY0001")
    assert server.post("webhook", body) == (200, {"status": "accepted"})
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert server.post("webhook", body, extra=retry) == (200, {"status": "duplicate"})
    settle(server, slack, 1)
    texts = [c.body["text"] for c in slack.calls("chat.postMessage")]
    assert sorted(texts) == ["echo: once please", "echo: sentinel"]
    assert [m.text for m in server.seen].count("once please") == 1


@pytest.mark.parametrize("path", ["webhook", "interactive"])
@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        ("missing headers", {"secret": None}),
        ("wrong secret", {"secret": "not-the-secret"}),
        ("stale timestamp", {"timestamp": int(time.time()) - 301}),
        ("future timestamp", {"timestamp": int(time.time()) + 3600}),
        ("forged signature", {"extra": {"X-Slack-Signature": "v0=" + "ab" * 32}}),
    ],
)
def test_unsigned_or_replayed_requests_are_401_and_never_reach_the_bot(
    server: _Server, slack: SlackApiStandIn, path: str, how: str, kwargs: dict[str, Any]
) -> None:
    status, answer = server.post(path, dm("let me in"), **kwargs)
    assert status == 401, how
    assert "error" in answer
    settle(server, slack, 0)
    assert [m.text for m in server.seen] == ["sentinel"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("webhook", b"{not json", "not valid UTF-8 JSON"),
        ("webhook", b'{"type": "event_callback", "team_id": "T0001"}', '"event" object'),
        ("webhook", json.dumps({"type": "url_verification"}).encode(), "challenge"),
        ("interactive", b"payload=%7Bbroken", "form-encoded"),
    ],
)
def test_malformed_but_signed_bodies_are_400(
    server: _Server, slack: SlackApiStandIn, path: str, body: bytes, message: str
) -> None:
    status, answer = server.post(path, body)
    assert status == 400
    assert message in answer["error"]
    settle(server, slack, 0)
    assert [m.text for m in server.seen] == ["sentinel"]


def test_slack_is_acknowledged_before_a_slow_handler_finishes(
    server: _Server, slack: SlackApiStandIn
) -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    async def slow(message: UserMessage) -> None:
        started.set()
        await asyncio.to_thread(release.wait, 30)
        await echo(message)
        finished.set()

    server.handler = slow
    status, answer = server.post("webhook", dm("take your time"))
    assert (status, answer) == (200, {"status": "accepted"})
    assert started.wait(10), "the handler never started"
    assert not finished.is_set() and slack.calls() == []
    release.set()
    [call] = slack.wait_for_calls(1)
    assert call.body["text"] == "echo: take your time"


@pytest.mark.parametrize(
    "body",
    [
        dm("I am the bot", bot_id="B0001"),
        dm("I am the bot", user="UBOT"),
        dm("edited", subtype="message_changed"),
    ],
    ids=["bot_id", "own-user", "edit"],
)
def test_the_bots_own_messages_and_edits_are_ignored(
    server: _Server, slack: SlackApiStandIn, body: bytes
) -> None:
    status, answer = server.post("webhook", body)
    assert status == 200 and answer["status"] == "ignored"
    settle(server, slack, 0)
    assert [m.text for m in server.seen] == ["sentinel"]


def test_an_oversized_message_gets_a_polite_reply_without_the_model(
    server: _Server, slack: SlackApiStandIn
) -> None:
    assert server.post("webhook", dm("x" * 201))[0] == 200
    [call] = slack.wait_for_calls(1)
    assert "too long" in call.body["text"] and "201 characters" in call.body["text"]
    assert server.seen == []


def test_a_crashing_handler_becomes_an_apology(server: _Server, slack: SlackApiStandIn) -> None:
    async def explode(message: UserMessage) -> None:
        raise RuntimeError("model crashed")

    server.handler = explode
    server.post("webhook", dm("hello?"))
    [call] = slack.wait_for_calls(1)
    assert call.body["text"] == FAILURE_REPLY


def test_slack_api_errors_are_logged_and_429_is_retried_once(
    server: _Server, slack: SlackApiStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.channels.slack")
    slack.fail_next("chat.postMessage", "not_in_channel")
    server.post("webhook", dm("first"))
    [refused] = slack.wait_for_calls(1)
    assert refused.answer == {"ok": False, "error": "not_in_channel"}

    slack.rate_limit_next("chat.postMessage", retry_after_s=1)
    server.post("webhook", dm("second"))
    limited, delivered = slack.wait_for_calls(3)[1:]
    assert (limited.status, delivered.status) == (429, 200)
    assert limited.body == delivered.body
    assert delivered.answer["ok"] is True

    wrong = SlackWebClient(token="xoxb-wrong", api_url=slack.url)
    assert server.run(wrong.call("chat.postMessage", {"channel": DM, "text": "x"})) is None
    server.run(wrong.close())

    logged = caplog.text
    assert "not_in_channel" in logged and "/invite" in logged
    assert "rate-limited chat.postMessage" in logged
    assert "invalid_auth" in logged and "xoxb-" in logged
    assert TOKEN not in logged and "xoxb-wrong" not in logged


def test_an_agent_message_reaches_the_thread_from_the_conversation_id_alone(
    server: _Server, slack: SlackApiStandIn
) -> None:
    """What Rasa does for ``POST /conversations/<id>/tracker/events?output_channel=latest``."""
    recipient = f"slack:{TEAM}:{CHANNEL}:1700000000.000200"
    tracker = DialogueStateTracker.from_events(
        recipient, [UserUttered("help", input_channel="slack")]
    )
    request = SimpleNamespace(
        args={"output_channel": "latest"},
        app=SimpleNamespace(ctx=SimpleNamespace(input_channels=[server.channel])),
    )
    output = rasa_server._get_output_channel(request, tracker)  # type: ignore[arg-type]
    assert isinstance(output, SlackOutput)
    server.run(
        output.send_response(
            recipient,
            {"text": "Hi, I'm Alice.", "custom": {"type": "agent_message", "agent": "Alice"}},
        )
    )
    server.run(output.send_response(f"slack:{TEAM}:{DM}", {"text": "Back to the bot."}))
    agent, dm_call = slack.wait_for_calls(2)
    assert agent.body["channel"] == CHANNEL
    assert agent.body["thread_ts"] == "1700000000.000200"
    assert agent.body["text"] == "Alice (Voltline team): Hi, I'm Alice."
    assert agent.body["blocks"][0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": ":bust_in_silhouette: *Alice* (Voltline team)"}],
    }
    assert dm_call.body["channel"] == DM and "thread_ts" not in dm_call.body
