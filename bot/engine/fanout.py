"""One event broker slot, several consumers: handoff notifications and analytics.

Rasa gives an assistant a single ``event_broker``. :class:`FanOutBroker` fills
it with a list of brokers and hands every event to each of them, in order::

    event_broker:
      type: bot.engine.fanout.FanOutBroker
      brokers:
        - type: bot.engine.notifier.HandoffNotifier   # pokes the handoff service
          url: ${TANDEM_HANDOFF_URL}
          service_token: ${TANDEM_HANDOFF_SERVICE_TOKEN}
        - type: bot.engine.outbox.OutboxBroker         # analytics, embedded
          path: ${TANDEM_ANALYTICS_OUTBOX}

In production the analytics entry is Rasa's own Pika broker instead (durable
queue, persistent messages; ``endpoints.production.yml``). A broker that fails
does not starve the others: its error is logged with its name and the next
broker still gets the event.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.errors import ConfigError

logger = logging.getLogger(__name__)


def publish_all(broker: EventBroker, events: Sequence[Mapping[str, Any]]) -> None:
    """``broker.publish_many(events)`` where it has one (one write per turn), else each."""
    many = getattr(broker, "publish_many", None)
    if callable(many):
        many(events)
        return
    for event in events:
        broker.publish(dict(event))


class FanOutBroker(EventBroker):
    """Hands every event to each of ``brokers``; see the module docstring."""

    def __init__(self, brokers: Sequence[EventBroker]) -> None:
        if not brokers:
            raise ConfigError(
                "FanOutBroker needs at least one entry under `brokers:` in endpoints.yml's "
                "event_broker section."
            )
        self.brokers = list(brokers)

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> FanOutBroker:
        configs = broker_config.kwargs.get("brokers") or []
        if not isinstance(configs, list) or not all(isinstance(c, dict) for c in configs):
            raise ConfigError(
                "FanOutBroker's `brokers:` must be a list of broker sections, each with a "
                "`type:` (e.g. bot.engine.outbox.OutboxBroker or pika)."
            )
        brokers = []
        for config in configs:
            broker = await EventBroker.create(EndpointConfig.from_dict(config), event_loop)
            if broker is None:
                raise ConfigError(f"the event broker {config.get('type')!r} could not be built.")
            brokers.append(broker)
        return cls(brokers)

    def publish(self, event: dict[str, Any]) -> None:
        self.publish_many([event])

    def publish_many(self, events: Iterable[Mapping[str, Any]]) -> None:
        batch = list(events)
        for broker in self.brokers:
            try:
                publish_all(broker, batch)
            except Exception:  # one sink's failure must not starve the others
                logger.exception(
                    "the event broker %s failed to take %d event(s) of %s",
                    type(broker).__name__,
                    len(batch),
                    batch[0].get("sender_id") if batch else None,
                )

    def is_ready(self) -> bool:
        return all(broker.is_ready() for broker in self.brokers)

    async def close(self) -> None:
        for broker in self.brokers:
            await broker.close()
