"""One input channel on a real Sanic server, for the channel test modules.

Sanic 21 allows one running app per test process, so each module starts one
server on its own event-loop thread for the whole module and each test swaps
the ``handler`` that plays the bot. ``seen`` records every message that reached
the bot, so tests can assert that a rejected request never did.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic

from bot.supervisor import free_port

Handler = Callable[[UserMessage], Awaitable[None]]
T = TypeVar("T")


async def echo(message: UserMessage) -> None:
    await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


class ChannelServer:
    def __init__(self, channel: InputChannel, *, url_prefix: str) -> None:
        self.channel = channel
        self.url_prefix = url_prefix
        self.handler: Handler = echo
        self.seen: list[UserMessage] = []
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_prefix}"

    async def _dispatch(self, message: UserMessage) -> None:
        self.seen.append(message)
        await self.handler(message)

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()
        assert self._ready.wait(30), "the test server did not start"

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = Sanic(f"{type(self.channel).__name__.lower()}_test")
        app.blueprint(self.channel.blueprint(self._dispatch), url_prefix=self.url_prefix)

        async def boot() -> None:
            server = await app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
            assert server is not None
            await server.startup()
            self._ready.set()

        self.loop.run_until_complete(boot())
        self.loop.run_forever()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the server's loop, where the channel's HTTP sessions live."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        close = getattr(self.channel, "close", None)
        if close is not None:
            self.run(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
