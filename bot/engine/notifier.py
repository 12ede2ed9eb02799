"""Tells the handoff service when a conversation with a person has news.

Rasa publishes every event it stores to its event broker. This broker watches
the stream for conversations handed to a person (a ``pause`` event) and pokes
the handoff service (``POST /api/conversations/<id>/notify``) when one of
them gets a new message, so the agent sees it at once. It sends no content:
the service reads the conversation from Rasa's tracker, the source of truth,
so a lost poke costs only latency (the service also sweeps active handoffs
every few seconds).

Enable it in ``endpoints.yml``; ``forward`` keeps an analytics broker (Pika,
Kafka, SQL...) fed with every event as before::

    event_broker:
      type: bot.engine.notifier.HandoffNotifier
      url: ${TANDEM_HANDOFF_URL}
      service_token: ${TANDEM_HANDOFF_SERVICE_TOKEN}
      forward:            # optional
        type: pika
        url: localhost
"""

from __future__ import annotations

import asyncio
import logging
from asyncio import AbstractEventLoop
from typing import Any

import aiohttp
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.contract.paths import notify_path

logger = logging.getLogger(__name__)

# Events after which the handoff service has something to read.
_NEWS = frozenset({"user", "bot", "pause", "resume"})
_MAX_TRACKED = 100_000


class HandoffNotifier(EventBroker):
    """An event broker that notifies the handoff service; see the module docstring."""

    def __init__(
        self,
        *,
        url: str,
        service_token: str,
        forward: EventBroker | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        if not url:
            raise ValueError(
                "HandoffNotifier needs the handoff service's url (TANDEM_HANDOFF_URL) in "
                "endpoints.yml's event_broker section."
            )
        self.url = url.rstrip("/")
        self.service_token = service_token
        self.forward = forward
        self.timeout_s = timeout_s
        # True: handed to a person; False: with the bot. A conversation not seen
        # since start-up is unknown and gets one notification to find out.
        self._paused: dict[str, bool] = {}
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures = 0

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None
    ) -> HandoffNotifier:
        kwargs = dict(broker_config.kwargs)
        forward_config = kwargs.get("forward")
        forward = None
        if forward_config:
            forward = await EventBroker.create(EndpointConfig.from_dict(forward_config))
        return cls(
            url=broker_config.url or "",
            service_token=str(kwargs.get("service_token") or ""),
            forward=forward,
            timeout_s=float(kwargs.get("timeout_s", 2.0)),
        )

    def publish(self, event: dict[str, Any]) -> None:
        if self.forward is not None:
            self.forward.publish(event)
        sender = event.get("sender_id")
        kind = event.get("event")
        if not isinstance(sender, str) or kind not in _NEWS:
            return
        if self.should_notify(sender, kind):
            self._schedule(sender)

    def should_notify(self, sender: str, kind: str) -> bool:
        """Update what is known of ``sender`` and say whether the service cares."""
        known = self._paused.get(sender)
        if kind == "pause":
            self._remember(sender, True)
            return True
        if kind == "resume":
            self._remember(sender, False)
            return False
        if known is None:
            self._remember(sender, False)
            return kind == "user"  # unknown since start-up: let the service decide
        return known

    def _remember(self, sender: str, paused: bool) -> None:
        if len(self._paused) >= _MAX_TRACKED and sender not in self._paused:
            self._paused.pop(next(iter(self._paused)))
        self._paused[sender] = paused

    def _schedule(self, sender: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            logger.debug("no event loop to notify the handoff service about %s", sender)
            return
        task = loop.create_task(self._notify(sender))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, sender: str) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        url = f"{self.url}{notify_path(sender)}"
        headers = {"Authorization": f"Bearer {self.service_token}"}
        try:
            async with self._session.post(url, headers=headers) as response:
                if response.status >= 400:
                    raise aiohttp.ClientResponseError(
                        response.request_info, (), status=response.status
                    )
        except (aiohttp.ClientError, asyncio.TimeoutError) as e:
            self._failures += 1
            # The service's own sweep catches up; say so once, not per message.
            log = logger.warning if self._failures == 1 else logger.debug
            log("could not notify the handoff service at %s (%s); it will catch up", url, e)
        else:
            self._failures = 0

    def is_ready(self) -> bool:
        return self.forward.is_ready() if self.forward is not None else True

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.timeout_s)
        if self._session is not None:
            await self._session.close()
        if self.forward is not None:
            await self.forward.close()
