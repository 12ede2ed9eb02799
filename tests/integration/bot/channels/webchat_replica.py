"""One engine replica for the cross-replica web chat test, as its own OS process.

    python -m tests.integration.bot.channels.webchat_replica PORT KEY_PREFIX [REDIS_URL]

Rasa's own app (``configure_app``: its ``/conversations/<id>/tracker/events`` route,
its CORS layer) with Tandem's web chat channel built from credentials as
``credentials.yml`` gives them, and a stand-in agent over Rasa's
``RedisTrackerStore`` (conversations shared by the replicas, as PostgreSQL shares
them in production). The bot echoes; the test is about where its messages go.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.processor import MessageProcessor
from rasa.core.run import configure_app
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.webchat import WebChatInput

STREAM_TOKEN = "replica-stream-token-0123456789"


class _Processor:
    def __init__(self, store: RedisTrackerStore) -> None:
        self.store = store

    async def fetch_tracker_with_initial_session(self, sender_id: str) -> DialogueStateTracker:
        return await self.store.get_or_create_tracker(sender_id)

    get_tracker = fetch_tracker_with_initial_session

    async def execute_side_effects(self, events: list[Any], tracker: Any, output: Any) -> None:
        await MessageProcessor._send_bot_messages(events, tracker, output)


class _Agent:
    def __init__(
        self, store: RedisTrackerStore, handle: Callable[[UserMessage], Awaitable[None]]
    ) -> None:
        self.domain = Domain.empty()
        self.tracker_store = store
        self.lock_store = InMemoryLockStore()
        self.processor = _Processor(store)
        self.handle_message = handle

    def is_ready(self) -> bool:
        return True


def main(port: int, key_prefix: str, redis_url: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = RedisTrackerStore(
        Domain.empty(), host="127.0.0.1", port=6379, key_prefix=key_prefix, record_exp=900
    )

    async def echo(message: UserMessage) -> None:
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        reply = BotUttered(f"echo from {port}: {message.text}")
        tracker.update(reply)
        await store.save(tracker)
        await message.output_channel.send_response(message.sender_id, reply.message())

    channel = WebChatInput.from_credentials(
        {
            "client_manager_url": redis_url,  # empty: the in-process manager
            "client_manager_channel": f"{key_prefix}-webchat",
            "stream_token": STREAM_TOKEN,
        }
    )
    app = configure_app([channel], cors=None, enable_api=True, use_uvloop=False)
    app.ctx.agent = _Agent(store, echo)
    app.run(host="127.0.0.1", port=port, access_log=False, workers=1)


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
