"""Rasa's Pika event broker, keeping every event until RabbitMQ has routed it.

Rasa's ``PikaEventBroker`` keeps an event whose publication failed in a queue
in memory and publishes that queue again when the connection comes back. A
RabbitMQ restart still lost events (benchmarks/faults.py measured 148 of 564
in one restart), for two reasons:

* the queue is tried again once, from the reconnect callback, before the
  channel, exchange and bindings are restored: what fails then stays in
  memory until the *next* reconnection;
* Rasa's exchange is not durable, so a restarted broker has none until the
  robust channel declares it again, and then no queue bound to it until the
  bindings are restored: a message published in that gap is acknowledged by
  RabbitMQ and dropped, because publisher confirms ack unroutable messages.

:class:`ReliablePikaBroker` opens its channel with returns raised
(``on_return_raises``: an unroutable message is an error, not a success) and
tries the kept events again every ``retry_s`` seconds until RabbitMQ has
taken them all. Messages are persistent and the queues durable, as in Rasa.
Delivery is at least once: an event in flight when the connection drops may
arrive twice (its confirmation was lost); the analytics consumer keeps each
``(sender_id, tandem_seq)`` once.
Events wait in memory while RabbitMQ is away: an engine killed meanwhile
loses them (its tracker in PostgreSQL keeps them). Same options as ``type:
pika``::

    event_broker:
      type: bot.engine.pika_broker.ReliablePikaBroker
      url: ${TANDEM_RABBITMQ_HOST}
      ...
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa.core.brokers.pika import PikaEventBroker

logger = logging.getLogger(__name__)


class ReliablePikaBroker(PikaEventBroker):
    """:class:`PikaEventBroker` that keeps an event until RabbitMQ routed it."""

    retry_s = 1.0

    def __init__(self, *args: Any, retry_s: float | str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if retry_s is not None and str(retry_s).strip():
            self.retry_s = float(retry_s)
        self._retrying: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Rasa's connect, with a channel on which a returned message is an error."""
        self._connection = await self._connect()
        self._connection.reconnect_callbacks.add(self._publish_unpublished_messages)
        logger.info("RabbitMQ connection to '%s' was established.", self.host)
        channel = await self._connection.channel(on_return_raises=True)
        self._exchange = await self._set_up_exchange(channel)  # type: ignore[arg-type]

    @property
    def settled(self) -> bool:
        """Nothing kept, nothing being published: RabbitMQ has taken every event."""
        retrying = self._retrying is not None and not self._retrying.done()
        return not (self._unpublished_events or self._background_tasks or retrying)

    @property
    def kept(self) -> int:
        """Events waiting in memory to be published."""
        return len(self._unpublished_events)

    async def _publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        try:
            if self._exchange is None:
                raise ConnectionError("the RabbitMQ channel is not open yet")
            await self._exchange.publish(self._message(event, headers), "", mandatory=True)
        except Exception as e:  # aio-pika raises many kinds while RabbitMQ is away
            if not self._unpublished_events:
                logger.warning(
                    "RabbitMQ did not take an event (%s: %s); keeping events in memory and "
                    "trying again every %.1f s",
                    type(e).__name__,
                    e,
                    self.retry_s,
                )
            self._unpublished_events.append(event)
            self._retry_soon()

    def _retry_soon(self) -> None:
        if self._retrying is None or self._retrying.done():
            self._retrying = self._loop.create_task(self._retry_kept())

    async def _retry_kept(self) -> None:
        while self._unpublished_events:
            await asyncio.sleep(self.retry_s)
            kept = list(self._unpublished_events)
            self._unpublished_events.clear()
            for number, event in enumerate(kept):
                await self._publish(event)
                if self._unpublished_events:  # still away: keep the rest, in order
                    self._unpublished_events.extend(kept[number + 1 :])
                    break
        logger.info("RabbitMQ took every kept event again.")

    def _publish_unpublished_messages(self, *_: Any, **__: Any) -> None:
        """On reconnection: the retry loop publishes them once the channel works."""
        if self._unpublished_events:
            self._retry_soon()

    async def close(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
        await super().close()
