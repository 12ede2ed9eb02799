"""Drafts streamed to the web chat: the wire format, batching, and failures that cost nothing.

The channel's side is httpx's ``MockTransport`` recording each post; every body
is checked with the channel's own parser (``bot.channels.webchat_protocol`` is
plain Python, so it loads in this venv too), so the two sides cannot drift.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from rasa_sdk import Tracker

from bot.channels.webchat_protocol import parse_stream
from bot.sdk.streaming import STREAM_PATH, AnswerStream, WebChatStream, WebChatStreams

SESSION = str(uuid.uuid4())
TOKEN = "s" * 32
URL = f"http://127.0.0.1:5005{STREAM_PATH}"

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@dataclass
class Channel:
    """The stream endpoint as the action sees it: records posts, answers as told."""

    status: int = 200
    delay_s: float = 0.0
    error: Exception | None = None
    posts: list[dict[str, object]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    headers: list[httpx.Headers] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.times.append(time.monotonic())
        self.headers.append(request.headers)
        if self.error is not None:
            raise self.error
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        self.posts.append(parse_stream(request.content))
        return httpx.Response(self.status, json={"error": "nope"} if self.status >= 300 else {})

    @property
    def text(self) -> str:
        return "".join(str(p["delta"]) for p in self.posts)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def stream(channel: Channel, **kwargs: object) -> WebChatStream:
    return WebChatStream(
        url=URL,
        token=TOKEN,
        session_id=SESSION,
        transport=channel.transport,
        **kwargs,  # type: ignore[arg-type]
    )


def feed_from_thread(draft: AnswerStream, pieces: list[str], pause_s: float) -> threading.Thread:
    """Feed like the answer pipeline does: from a worker thread, while the loop runs."""

    def run() -> None:
        for piece in pieces:
            draft.feed(piece)
            time.sleep(pause_s)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


async def finish(thread: threading.Thread) -> None:
    await asyncio.to_thread(thread.join)


async def test_pieces_arrive_in_order_signed_and_the_last_post_is_done() -> None:
    channel = Channel()
    pieces = ["You can ", "return ", "any product ", "within ", "30 days."]
    async with stream(channel) as draft:
        await finish(feed_from_thread(draft, pieces, 0.02))
    assert channel.text == "".join(pieces)
    assert {p["session_id"] for p in channel.posts} == {SESSION}
    assert {p["stream_id"] for p in channel.posts} == {draft.stream_id}
    assert [p["done"] for p in channel.posts][-1] is True
    assert not any(p["done"] for p in channel.posts[:-1])
    assert {h["authorization"] for h in channel.headers} == {f"Bearer {TOKEN}"}
    assert draft.metadata == {"stream_id": draft.stream_id}
    assert str(draft.stream_id).startswith("answer-")


async def test_pieces_are_batched_to_at_most_one_post_per_interval() -> None:
    channel = Channel()
    pieces = [f"w{i} " for i in range(60)]
    async with stream(channel, interval_s=0.1) as draft:
        await finish(feed_from_thread(draft, pieces, 0.01))  # ~100 pieces/s
    assert channel.text == "".join(pieces)
    gaps = [b - a for a, b in zip(channel.times[:-2], channel.times[1:-1], strict=True)]
    assert all(gap >= 0.095 for gap in gaps), gaps  # the closing post may come sooner
    assert 3 <= len(channel.posts) <= (channel.times[-1] - channel.times[0]) / 0.1 + 2
    assert len(channel.posts) < len(pieces) / 4


async def test_the_first_piece_does_not_wait_for_the_interval() -> None:
    channel = Channel()
    async with stream(channel, interval_s=5.0) as draft:
        started = time.monotonic()
        draft.feed("Returns ")
        for _ in range(100):
            if channel.posts:
                break
            await asyncio.sleep(0.01)
        assert channel.posts and channel.times[0] - started < 1.0


async def test_closing_does_not_wait_out_the_batching_interval() -> None:
    channel = Channel()
    async with stream(channel, interval_s=5.0) as draft:
        draft.feed("first ")
        await asyncio.sleep(0.05)
        draft.feed("second")
        started = time.monotonic()
    assert time.monotonic() - started < 0.5
    assert [(p["delta"], p["done"]) for p in channel.posts] == [("first ", False), ("second", True)]


async def test_nothing_fed_means_nothing_posted_and_no_stream_id() -> None:
    channel = Channel()
    async with stream(channel) as draft:
        draft.feed("")
    assert channel.posts == []
    assert draft.metadata == {}


@pytest.mark.parametrize(
    ("channel", "hint"),
    [
        (Channel(error=httpx.ConnectError("connection refused")), "ConnectError"),
        (Channel(status=401), "TANDEM_STREAM_TOKEN of the action server differs"),
        (Channel(status=403), "set stream_token under bot.channels.webchat.WebChatInput"),
        (Channel(status=404), "add bot.channels.webchat.WebChatInput to credentials.yml"),
        (Channel(status=500), "HTTP 500"),
    ],
    ids=["refused", "401", "403", "404", "500"],
)
async def test_a_failing_endpoint_is_logged_once_and_the_draft_stops(
    channel: Channel, hint: str, caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[bool] = []
    async with stream(channel, on_failure=lambda: failures.append(True)) as draft:
        await finish(feed_from_thread(draft, ["a ", "b ", "c ", "d "], 0.05))
    assert len(channel.times) == 1  # no retries, no done post
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and hint in warnings[0].getMessage()
    assert "sent without it" in warnings[0].getMessage()
    assert failures == [True]


async def test_a_hanging_endpoint_delays_nothing_beyond_the_close_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = Channel(delay_s=30)
    draft = stream(channel, timeout_s=5.0, close_timeout_s=0.2)
    async with draft:
        draft.feed("hello ")
        await asyncio.sleep(0.05)
        started = time.monotonic()
    assert time.monotonic() - started < 0.5
    assert "no answer within 0.2 s" in caplog.text


async def test_a_slow_post_times_out_and_later_pieces_are_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = Channel(delay_s=30)
    async with stream(channel, timeout_s=0.1) as draft:
        draft.feed("one ")
        await asyncio.sleep(0.3)
        draft.feed("two ")
    assert len(channel.times) == 1
    assert "no answer within 0.1 s" in caplog.text


def webchat_tracker(
    sender_id: str = SESSION, channel: str | None = "webchat", text: str = "how do returns work"
) -> Tracker:
    """A real Tracker whose latest user message came in on ``channel``."""
    events = [{"event": "user", "text": text, "input_channel": channel}]
    latest = {"text": text, "intent": {"name": "ask_faq", "confidence": 1.0}, "entities": []}
    return Tracker(sender_id, {}, latest, events, False, None, {}, "action_listen")


def test_only_web_chat_conversations_with_a_configured_endpoint_stream() -> None:
    streams = WebChatStreams(rasa_url="http://127.0.0.1:5005/", token=TOKEN)
    opened = streams.open(webchat_tracker())
    assert isinstance(opened, WebChatStream)
    assert opened.url == URL and opened.session_id == SESSION
    for tracker in (
        webchat_tracker(channel="rest"),
        webchat_tracker(channel="slack"),
        webchat_tracker(channel=None),
        webchat_tracker(sender_id="not-a-session-uuid"),
    ):
        assert type(streams.open(tracker)) is AnswerStream
    for unconfigured in (
        WebChatStreams(rasa_url=None, token=TOKEN),
        WebChatStreams(rasa_url="http://127.0.0.1:5005", token=""),
    ):
        assert not unconfigured.configured
        assert type(unconfigured.open(webchat_tracker())) is AnswerStream


def test_settings_come_from_what_bot_run_gives_the_action_server() -> None:
    streams = WebChatStreams.from_env(
        {"TANDEM_RASA_URL": "http://127.0.0.1:6005", "TANDEM_STREAM_TOKEN": TOKEN}
    )
    assert streams.configured and streams.url == f"http://127.0.0.1:6005{STREAM_PATH}"
    assert not WebChatStreams.from_env({}).configured


async def test_after_a_failure_streaming_rests_then_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = Channel(status=403)
    streams = WebChatStreams(
        rasa_url="http://127.0.0.1:5005",
        token=TOKEN,
        retry_after_s=0.3,
        transport=channel.transport,
    )
    async with streams.open(webchat_tracker()) as draft:
        draft.feed("hello ")
    assert type(streams.open(webchat_tracker())) is AnswerStream  # resting: no post, no log
    await asyncio.sleep(0.35)
    channel.status = 200
    async with streams.open(webchat_tracker()) as draft:
        draft.feed("back ")
    assert [(p["delta"], p["done"]) for p in channel.posts] == [("hello ", True), ("back ", True)]
    assert caplog.text.count("failed") == 1
