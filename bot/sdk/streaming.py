"""Showing an answer in the web chat while the model is still writing it.

A local model needs seconds for an answer; a bubble that grows tells the
customer that something is happening. The answer pipeline hands each piece of
its draft to :meth:`AnswerStream.feed` (from its worker thread);
:class:`WebChatStream` batches the pieces and posts them, from the action
server's event loop, to the web chat channel's ``POST /webhooks/webchat/stream``
(``docs/channels/web.md``; the body is
:class:`bot.contract.stream.StreamDraft`), at most one post per ``interval_s``.

The final message carries :attr:`AnswerStream.metadata` (``{"stream_id": ...}``)
through ``dispatcher.utter_message(metadata=...)``. Rasa 3.6 keeps it: the
``metadata`` key of an action's response lands in ``BotUttered.metadata`` and
comes back as the ``metadata`` of the message the channel sends, so the widget
replaces the draft with the final text and its sources (and a reloaded page's
history has the same id).

Streaming is a nicety, never a dependency: a failing endpoint is logged once,
the draft stops, and the answer goes out as usual; :class:`WebChatStreams`
then leaves streaming off for ``retry_after_s`` so a broken setup costs one
warning a minute, not one per answer. Other channels get :class:`AnswerStream`,
which shows nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx
from rasa_sdk import Tracker

from bot.contract.paths import STREAM_PATH
from bot.contract.stream import STREAM_ID_KEY, STREAMING_CHANNEL, StreamDraft, is_session_id

__all__ = ["STREAM_PATH", "AnswerStream", "WebChatStream", "WebChatStreams"]

log = logging.getLogger(__name__)

_HINTS = {
    401: "TANDEM_STREAM_TOKEN of the action server differs from the channel's stream_token",
    403: "set stream_token under bot.channels.webchat.WebChatInput in credentials.yml",
    404: "add bot.channels.webchat.WebChatInput to credentials.yml, or fix TANDEM_RASA_URL",
}


class AnswerStream:
    """Where a draft goes while it is generated: nowhere. Channels that show drafts subclass it.

    Use it as an async context manager around the generation; ``feed`` may be
    called from any thread and never blocks.
    """

    def feed(self, piece: str) -> None:
        """Take the next piece of the draft."""

    async def aclose(self) -> None:
        """The draft is complete (or abandoned): finish it without holding up the answer."""

    @property
    def metadata(self) -> dict[str, str]:
        """What the final message carries so that the channel replaces the draft with it."""
        return {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class WebChatStream(AnswerStream):
    """Posts a draft to the web chat channel in batches, as ``bot_stream`` events reach the page.

    The first piece goes out at once; later ones are batched so that there is
    at most one post per ``interval_s``. The last post has ``"done": true``.
    A post that fails (network error, timeout, non-2xx) ends the stream: it is
    logged once, reported through ``on_failure``, and later pieces are dropped.
    """

    def __init__(
        self,
        *,
        url: str,
        token: str,
        session_id: str,
        stream_id: str | None = None,
        interval_s: float = 0.1,
        timeout_s: float = 1.0,
        close_timeout_s: float = 0.5,
        on_failure: Callable[[], None] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.session_id = session_id
        self.stream_id = stream_id or f"answer-{uuid.uuid4()}"
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.close_timeout_s = close_timeout_s
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = httpx.Timeout(timeout_s)
        self._transport = transport
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._fed = False
        self._failed = False
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._finish = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._pump(), name=f"stream {self.stream_id}")
        return self

    def feed(self, piece: str) -> None:
        if not piece or self._failed or self._closing:
            return
        with self._lock:
            self._pending.append(piece)
            self._fed = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def aclose(self) -> None:
        self._closing = True
        self._finish.set()
        self._wake.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._task, self.close_timeout_s)
        except TimeoutError:
            self._fail(f"no answer within {self.close_timeout_s} s")

    @property
    def metadata(self) -> dict[str, str]:
        return {STREAM_ID_KEY: self.stream_id} if self._fed else {}

    async def _pump(self) -> None:
        async with httpx.AsyncClient(
            timeout=self._timeout, transport=self._transport, headers=self._headers
        ) as client:
            posted = False
            last = float("-inf")
            while not self._failed:
                await self._wake.wait()
                self._wake.clear()
                pause = last + self.interval_s - time.monotonic()
                if pause > 0 and not self._closing:
                    with contextlib.suppress(TimeoutError):  # a close cuts the pause short
                        await asyncio.wait_for(self._finish.wait(), pause)
                done = self._closing
                with self._lock:
                    delta, self._pending = "".join(self._pending), []
                if delta or (done and posted):
                    last = time.monotonic()
                    posted = await self._post(client, delta, done=done)
                if done:
                    return

    async def _post(self, client: httpx.AsyncClient, delta: str, *, done: bool) -> bool:
        body = StreamDraft(
            session_id=self.session_id, stream_id=self.stream_id, delta=delta, done=done
        ).to_dict()
        try:
            async with asyncio.timeout(self.timeout_s):  # a total, not httpx's per phase
                response = await client.post(self.url, json=body)
        except TimeoutError:
            self._fail(f"no answer within {self.timeout_s} s")
            return False
        except (httpx.HTTPError, httpx.InvalidURL) as e:
            self._fail(f"{type(e).__name__}: {e}".rstrip(": "))
            return False
        if response.is_success:
            return True
        hint = _HINTS.get(response.status_code)
        self._fail(
            f"HTTP {response.status_code} {response.text[:200]}" + (f"; {hint}" if hint else "")
        )
        return False

    def _fail(self, reason: str) -> None:
        if self._failed:
            return
        self._failed = True
        log.warning(
            "streaming the draft to %s failed (%s); the answer is sent without it",
            self.url,
            reason,
        )
        if self._on_failure is not None:
            self._on_failure()


class WebChatStreams:
    """A :class:`WebChatStream` per answer on the web chat, nothing elsewhere or after a failure.

    Built once per action server from ``TANDEM_RASA_URL`` and
    ``TANDEM_STREAM_TOKEN`` (which ``bot run`` gives every process and
    credentials.yml gives the channel); without both, nothing is streamed.
    """

    def __init__(
        self,
        *,
        rasa_url: str | None,
        token: str | None,
        interval_s: float = 0.1,
        timeout_s: float = 1.0,
        close_timeout_s: float = 0.5,
        retry_after_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = f"{rasa_url.rstrip('/')}{STREAM_PATH}" if rasa_url else None
        self._token = token or None
        self._stream_kwargs: dict[str, Any] = {
            "interval_s": interval_s,
            "timeout_s": timeout_s,
            "close_timeout_s": close_timeout_s,
            "transport": transport,
        }
        self.retry_after_s = retry_after_s
        self._off_until = float("-inf")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebChatStreams:
        env = os.environ if env is None else env
        return cls(rasa_url=env.get("TANDEM_RASA_URL"), token=env.get("TANDEM_STREAM_TOKEN"))

    @property
    def configured(self) -> bool:
        return self.url is not None and self._token is not None

    def open(self, tracker: Tracker) -> AnswerStream:
        """The stream for this turn's answer; one that shows nothing where streaming is off."""
        url, token = self.url, self._token
        if url is None or token is None or time.monotonic() < self._off_until:
            return AnswerStream()
        if tracker.get_latest_input_channel() != STREAMING_CHANNEL:
            return AnswerStream()
        if not is_session_id(tracker.sender_id):
            return AnswerStream()
        return WebChatStream(
            url=url,
            token=token,
            session_id=tracker.sender_id,
            on_failure=self._pause,
            **self._stream_kwargs,
        )

    def _pause(self) -> None:
        self._off_until = time.monotonic() + self.retry_after_s
