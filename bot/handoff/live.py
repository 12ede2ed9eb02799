"""Live updates for the console: a publish/subscribe hub, shared by every service process.

Each open ``/console/api/stream`` subscribes a queue; publishing puts the
event on every queue, in order, without waiting. A subscriber that falls too
far behind is dropped (its stream ends) instead of growing without bound: the
browser's EventSource reconnects and reloads what it shows, so nothing is lost
from the database's point of view.

One process alone needs nothing more. Several processes behind a balancer
give the hub a :class:`Relay` (:mod:`bot.handoff.relay`): what one process
publishes is also sent to the others, which deliver it to their own streams,
so a console connected to process B sees the customer message that process A
stored. When a relay loses its connection it ends every stream here
(:meth:`Hub.drop_all`) so the consoles reload instead of missing events.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

logger = logging.getLogger(__name__)

LiveEvent = dict[str, Any]
DROPPED: LiveEvent = {"type": "dropped"}


class Relay(Protocol):
    """Carries events between the hubs of several processes."""

    def send(self, event: LiveEvent) -> None:
        """Pass ``event`` (published here) to the other processes; never blocks."""

    async def start(self, deliver: Callable[[LiveEvent], None], reset: Callable[[], None]) -> None:
        """Begin: ``deliver`` what other processes publish, ``reset`` after a gap."""

    async def aclose(self) -> None:
        """Stop, sending what is still queued if that is quick."""


class Hub:
    def __init__(self, *, max_backlog: int = 10_000, relay: Relay | None = None) -> None:
        self.max_backlog = max_backlog
        self.relay = relay
        self._subscribers: set[asyncio.Queue[LiveEvent]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, event: LiveEvent) -> None:
        """Queue ``event`` for every subscriber, here and in the other processes.

        Call from the event loop's thread.
        """
        self.deliver(event)
        if self.relay is not None:
            self.relay.send(event)

    def deliver(self, event: LiveEvent) -> None:
        """Queue ``event`` for this process's subscribers only."""
        for queue in list(self._subscribers):
            if queue.qsize() >= self.max_backlog:
                logger.warning("a console stream fell %d events behind; closing it", queue.qsize())
                self._subscribers.discard(queue)
                queue.put_nowait(DROPPED)
            else:
                queue.put_nowait(event)

    def drop_all(self) -> None:
        """End every stream here; the browsers reconnect and reload what they show."""
        for queue in list(self._subscribers):
            self._subscribers.discard(queue)
            queue.put_nowait(DROPPED)

    async def start(self) -> None:
        if self.relay is not None:
            await self.relay.start(self.deliver, self.drop_all)

    async def aclose(self) -> None:
        if self.relay is not None:
            await self.relay.aclose()

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[LiveEvent]]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
