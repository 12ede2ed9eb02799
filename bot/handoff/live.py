"""Live updates for the console: an in-process publish/subscribe hub.

Each open ``/console/api/stream`` subscribes a queue; publishing puts the
event on every queue, in order, without waiting. A subscriber that falls too
far behind is dropped (its stream ends) instead of growing without bound: the
browser's EventSource reconnects and reloads what it shows, so nothing is lost
from the database's point of view.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

LiveEvent = dict[str, Any]
DROPPED: LiveEvent = {"type": "dropped"}


class Hub:
    def __init__(self, *, max_backlog: int = 10_000) -> None:
        self.max_backlog = max_backlog
        self._subscribers: set[asyncio.Queue[LiveEvent]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def publish(self, event: LiveEvent) -> None:
        """Queue ``event`` for every subscriber; call from the event loop's thread."""
        for queue in list(self._subscribers):
            if queue.qsize() >= self.max_backlog:
                logger.warning("a console stream fell %d events behind; closing it", queue.qsize())
                self._subscribers.discard(queue)
                queue.put_nowait(DROPPED)
            else:
                queue.put_nowait(event)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[LiveEvent]]:
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
