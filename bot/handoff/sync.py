"""Keeps each active handoff's transcript in step with Rasa's tracker.

A sync reads the whole tracker, stores the user and bot events from the
handoff's start that are not stored yet (the database's unique constraint on
``(conversation, seq)`` makes repeats harmless) and publishes the new lines
to the console. Syncs of one conversation never overlap (an asyncio lock per
conversation, and on PostgreSQL an advisory lock that holds across the
service's processes, :mod:`bot.handoff.locks`), so lines are stored and
published in tracker order.

Triggers: the engine's notify call, every agent action, a sweep of all active
handoffs every ``sweep_s`` seconds and start-up — which is why a restart or a
lost notification costs only latency, never a message.

Each sweep sync reads the whole tracker from Rasa, which costs the engine as much
as a customer's message. So a conversation whose syncs find nothing new is swept
less often: after 1, 2, then every :data:`QUIET_MAX_SWEEPS` sweeps, and again at
every sweep as soon as a sync finds a new line. Under load, waiting customers
nobody has claimed yet were a seventh of an engine replica's CPU (py-spy,
docs/capacity.md). The cap is low because the sweep is also how a message
reaches the console when the engine replica that took it did not know the
conversation was paused (``HandoffNotifier._paused`` is per replica): such a
message waits at most ``QUIET_MAX_SWEEPS * sweep_s`` seconds (8 s by default).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from bot.handoff import transcript
from bot.handoff.errors import GatewayError
from bot.handoff.gateway import RasaGateway
from bot.handoff.live import Hub
from bot.handoff.locks import SharedLocks
from bot.handoff.models import Handoff, Message
from bot.handoff.store import Store

logger = logging.getLogger(__name__)
T = TypeVar("T")
LOCK_STRIPES = 256
QUIET_MAX_SWEEPS = 4


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking database work off the event loop."""
    return await asyncio.to_thread(partial(fn, *args, **kwargs))


def message_json(message: Message) -> dict[str, Any]:
    return {
        "seq": message.seq,
        "sender": message.sender,
        "agent": message.agent,
        "text": message.text,
        "at": message.sent_at.isoformat(),
    }


class Syncer:
    def __init__(
        self,
        *,
        store: Store,
        gateway: RasaGateway,
        hub: Hub,
        shared_locks: SharedLocks | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.hub = hub
        self.shared_locks = shared_locks
        # Striped, so memory stays bounded however many conversations pass by;
        # one conversation always maps to the same lock.
        self._locks = [asyncio.Lock() for _ in range(LOCK_STRIPES)]
        self._pending: set[str] = set()
        # Quiet conversations: sweeps still to skip, and the current gap (in sweeps).
        self._quiet: dict[str, tuple[int, int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Called with the handoff and its new messages, still under the lock
        # (the service reacts to what the customer wrote: a cancelled request).
        self.after_sync: Callable[[Handoff, list[Message]], Awaitable[None]] | None = None

    def _stripe(self, conversation_id: str) -> asyncio.Lock:
        digest = hashlib.blake2b(conversation_id.encode(), digest_size=4).digest()
        return self._locks[int.from_bytes(digest, "big") % LOCK_STRIPES]

    @asynccontextmanager
    async def lock(self, conversation_id: str) -> AsyncIterator[None]:
        """The lock every change to this conversation's transcript happens under."""
        async with self._stripe(conversation_id):
            if self.shared_locks is None:
                yield
            else:
                async with self.shared_locks.hold("conversation:" + conversation_id):
                    yield

    async def sync(self, conversation_id: str) -> list[Message]:
        async with self.lock(conversation_id):
            return await self.sync_locked(conversation_id)

    async def sync_locked(self, conversation_id: str) -> list[Message]:
        """Sync while holding :meth:`lock`; raises :class:`GatewayError` if Rasa is away."""
        handoff = await in_thread(self.store.active_handoff, conversation_id)
        if handoff is None:
            return []
        events = await self.gateway.tracker_events(conversation_id)
        start = handoff.start_index
        if start is None:
            start = transcript.infer_start(events, handoff.created_at)
            context = transcript.context(events[:start])
            if (handoff.context or {}).get("form"):
                context["form"] = handoff.context["form"]
            await in_thread(self.store.set_start, handoff.id, start, context)
        lines = transcript.lines(events, start=start, after=handoff.last_synced_index)
        try:
            new = await in_thread(self.store.add_lines, handoff, lines, last_index=len(events) - 1)
        except IntegrityError:
            # Another process stored some of them in between; the rest on the next round.
            logger.info("concurrent sync of %s; retrying", conversation_id)
            new = await in_thread(self.store.add_lines, handoff, lines, last_index=-1)
        self._note_activity(conversation_id, bool(new))
        for message in new:
            self.hub.publish(self._event(handoff, message))
        if new and self.after_sync is not None:
            await self.after_sync(handoff, new)
        return new

    def _event(self, handoff: Handoff, message: Message) -> dict[str, Any]:
        return {
            "type": "message",
            "handoff_id": handoff.id,
            "status": handoff.status,
            "agent_id": handoff.agent_id,
            "message": message_json(message),
        }

    def schedule(self, conversation_id: str) -> None:
        """Sync soon, in the background; notifications that pile up meanwhile coalesce."""
        if conversation_id in self._pending:
            return
        self._pending.add(conversation_id)
        task = asyncio.get_running_loop().create_task(self._scheduled(conversation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _scheduled(self, conversation_id: str) -> None:
        async with self.lock(conversation_id):
            self._pending.discard(conversation_id)
            try:
                await self.sync_locked(conversation_id)
            except GatewayError as e:
                logger.warning("could not sync %s (%s); the sweep retries", conversation_id, e)

    def _note_activity(self, conversation_id: str, found_new: bool) -> None:
        """Back off a conversation whose sync found nothing; reset it when one did."""
        if found_new:
            self._quiet.pop(conversation_id, None)
            return
        _, gap = self._quiet.get(conversation_id, (0, 0))
        gap = min(max(1, gap * 2), QUIET_MAX_SWEEPS)
        self._quiet[conversation_id] = (gap - 1, gap)

    async def sweep(self) -> None:
        """Schedule a sync of every active handoff that is due (quiet ones back off)."""
        active = {h.conversation_id for h in await in_thread(self.store.active)}
        for conversation_id in list(self._quiet):
            if conversation_id not in active:
                del self._quiet[conversation_id]
        for conversation_id in active:
            skip, gap = self._quiet.get(conversation_id, (0, 0))
            if skip > 0:
                self._quiet[conversation_id] = (skip - 1, gap)
                continue
            self.schedule(conversation_id)

    async def run_forever(self, interval_s: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # a database hiccup must not end the sweeps for good
                logger.exception("sweep failed; trying again in %s s", interval_s)
            await asyncio.sleep(interval_s)

    async def drain(self) -> None:
        """Wait for scheduled syncs (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
