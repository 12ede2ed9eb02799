"""The embedded analytics sink: an event broker that appends to the outbox file.

Rasa's other brokers (Pika, Kafka) publish in the background and may keep
unsent events in memory; this one writes each turn's events to the outbox
(:mod:`bot.contract.outbox`) before :meth:`publish_many` returns, so nothing
the tracker store committed is lost when the analytics consumer is down, or
when the engine is killed right after the turn. Configure it in
``endpoints.yml`` (``path`` is set by ``python -m bot run``)::

    - type: bot.engine.outbox.OutboxBroker
      path: ${TANDEM_ANALYTICS_OUTBOX}
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from collections.abc import Iterable, Mapping
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.contract.outbox import Outbox
from bot.errors import ConfigError

logger = logging.getLogger(__name__)


class OutboxBroker(EventBroker):
    """Appends every published event envelope to the outbox at ``path``."""

    def __init__(self, *, path: str) -> None:
        if not path:
            raise ConfigError(
                "The analytics outbox broker needs `path:` in endpoints.yml (e.g. "
                "${TANDEM_ANALYTICS_OUTBOX}, which `python -m bot run` sets)."
            )
        self.outbox = Outbox(path)

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> OutboxBroker:
        path = broker_config.kwargs.get("path") or broker_config.url or ""
        return cls(path=str(path))

    def publish(self, event: dict[str, Any]) -> None:
        self.outbox.append([event])

    def publish_many(self, events: Iterable[Mapping[str, Any]]) -> None:
        """One transaction (one fsync) for a turn's events."""
        self.outbox.append(events)

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        self.outbox.close()
