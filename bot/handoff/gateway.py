"""How the handoff service talks to Rasa, the source of truth of every conversation.

:class:`RasaGateway` needs two methods, reading a tracker's events and
appending events; what an agent message, a "joined" announcement and the
return to the bot look like is defined once, here, in its default methods.
:class:`HttpxRasaGateway` speaks Rasa's HTTP API; :class:`FakeRasaGateway`
keeps trackers in memory so tests and demos need no Rasa.

Appending to a tracker with ``execute_side_effects=true&output_channel=latest``
makes Rasa deliver bot events to the channel the customer last wrote from.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any
from urllib.parse import quote

import httpx

from bot.contract.csat import prompt_metadata, rating_buttons
from bot.handoff.errors import GatewayError

logger = logging.getLogger(__name__)

Event = dict[str, Any]


def agent_message_event(text: str, agent: str) -> Event:
    return {
        "event": "bot",
        "text": text,
        "data": {"custom": {"type": "agent_message", "agent": agent}},
        "metadata": {"agent": agent},
    }


def csat_question_event(text: str) -> Event:
    """The rating question after a person helped: buttons 1-5, context ``handoff``."""
    return {
        "event": "bot",
        "text": text,
        "data": {"buttons": rating_buttons()},
        "metadata": prompt_metadata("handoff"),
    }


class RasaGateway(ABC):
    """Reads and appends to Rasa trackers; raise :class:`GatewayError` on failure."""

    @abstractmethod
    async def tracker_events(self, conversation_id: str) -> list[Event]:
        """Every event of the conversation's tracker, oldest first."""

    @abstractmethod
    async def append_events(self, conversation_id: str, events: list[Event]) -> None:
        """Append ``events`` and deliver bot events to the customer's channel."""

    async def send_agent_message(self, conversation_id: str, text: str, agent: str) -> None:
        await self.append_events(conversation_id, [agent_message_event(text, agent)])

    async def announce(self, conversation_id: str, text: str, custom: dict[str, Any]) -> None:
        await self.append_events(
            conversation_id, [{"event": "bot", "text": text, "data": {"custom": custom}}]
        )

    async def update_status(self, conversation_id: str, custom: dict[str, Any]) -> None:
        """A text-less message that channels which show the queue (the widget) render."""
        await self.append_events(conversation_id, [{"event": "bot", "data": {"custom": custom}}])

    async def resume(
        self,
        conversation_id: str,
        text: str,
        *,
        custom: dict[str, Any] | None = None,
        buttons: list[dict[str, str]] | None = None,
        csat_question: str | None = None,
    ) -> None:
        """Give the conversation back to the bot and tell the customer so.

        The closing ``action_listen`` marks a turn boundary, as after any bot
        turn: without it the dialogue policies would read the customer's next
        message as following the handoff action and its rules would not match.
        ``buttons`` offer a next step (carrying on with an interrupted form).
        ``csat_question`` follows as a message of its own with the 1-5 rating
        buttons and the ``csat_prompt`` record (context ``handoff``,
        :mod:`bot.contract.csat`); the assistant's rating action records the answer.
        """
        data: dict[str, Any] = {"custom": {"type": "handoff", "state": "bot", **(custom or {})}}
        if buttons:
            data["buttons"] = buttons
        events: list[Event] = [{"event": "resume"}, {"event": "bot", "text": text, "data": data}]
        if csat_question:
            events.append(csat_question_event(csat_question))
        events.append({"event": "action", "name": "action_listen"})
        await self.append_events(conversation_id, events)

    async def aclose(self) -> None:  # noqa: B027 - optional hook with a working default
        """Release connections; nothing to do by default."""


class HttpxRasaGateway(RasaGateway):
    """Rasa's HTTP API (``--enable-api``), with timeouts and retries.

    The token goes in the ``Authorization`` header; the engine refuses it in
    the URL. Conversation ids travel percent-encoded (``quote(id, safe='')``)
    and the engine decodes them, so Slack, Teams and non-ASCII ids round-trip.

    Reads are retried on any transport error or 5xx. Appends are retried only
    when the connection could not be made, because a request that reached
    Rasa and timed out may have been applied; retrying it could send the
    customer the same message twice.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        timeout_s: float = 5.0,
        retries: int = 3,
        backoff_s: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff_s = backoff_s
        # In a header, not the URL: httpx logs every request's URL.
        headers = {"Authorization": f"Bearer {token}"} if token else None
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
        )

    async def _request(
        self,
        method: str,
        conversation_id: str,
        path: str,
        *,
        params: dict[str, str],
        json: Any = None,
        idempotent: bool,
    ) -> httpx.Response:
        url = f"/conversations/{quote(conversation_id, safe='')}{path}"
        for attempt in range(self.retries + 1):
            try:
                response = await self._client.request(method, url, params=params, json=json)
            except (httpx.ConnectError, httpx.ConnectTimeout) as e:
                error: Exception = e
            except httpx.TransportError as e:
                if not idempotent:
                    raise GatewayError(
                        f"Rasa at {self.base_url} did not answer in time ({type(e).__name__}); "
                        "the message may not have reached the customer. Check the conversation "
                        "before sending it again.",
                        conversation_id=conversation_id,
                    ) from e
                error = e
            else:
                if response.status_code < 500 or not idempotent or attempt == self.retries:
                    return self._check(response, conversation_id)
                error = GatewayError(f"Rasa answered {response.status_code}")
            if attempt < self.retries:
                logger.info("retrying %s %s after %s", method, url, error)
                await asyncio.sleep(self.backoff_s * 2**attempt)
        raise GatewayError(
            f"Rasa is not reachable at {self.base_url} ({error}); is it running with "
            "--enable-api? Nothing was sent; try again in a moment.",
            conversation_id=conversation_id,
        ) from error

    def _check(self, response: httpx.Response, conversation_id: str) -> httpx.Response:
        status = response.status_code
        if status < 400:
            return response
        if status in (401, 403):
            hint = "set TANDEM_HANDOFF_RASA_TOKEN to the engine's TANDEM_RASA_TOKEN"
        elif status == 404:
            hint = "is Rasa's HTTP API enabled (--enable-api)?"
        else:
            hint = f"see Rasa's log; it said: {response.text[:200]}"
        raise GatewayError(
            f"Rasa refused the request for conversation {conversation_id} with {status}; {hint}.",
            conversation_id=conversation_id,
            status=status,
        )

    async def tracker_events(self, conversation_id: str) -> list[Event]:
        response = await self._request(
            "GET",
            conversation_id,
            "/tracker",
            params={"include_events": "ALL"},
            idempotent=True,
        )
        try:
            events = response.json().get("events") or []
        except (ValueError, AttributeError) as e:
            raise GatewayError(
                "Rasa's tracker answer was not the expected JSON object with 'events'.",
                conversation_id=conversation_id,
            ) from e
        return [e for e in events if isinstance(e, dict)]

    async def append_events(self, conversation_id: str, events: list[Event]) -> None:
        await self._request(
            "POST",
            conversation_id,
            "/tracker/events",
            params={"execute_side_effects": "true", "output_channel": "latest"},
            json=events,
            idempotent=False,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class FakeRasaGateway(RasaGateway):
    """In-memory trackers that behave like Rasa's for the events this service uses.

    ``customer_says`` and ``bot_says`` play the customer and the bot; set
    ``down`` to make every call fail as if Rasa were stopped. ``appended``
    records every append for assertions. Thread-safe, so a test can drive it
    while a server thread syncs from it.
    """

    def __init__(self) -> None:
        self.trackers: dict[str, list[Event]] = {}
        self.appended: list[tuple[str, list[Event]]] = []
        self.down = False
        self._lock = threading.Lock()

    def _add(self, conversation_id: str, events: list[Event]) -> None:
        with self._lock:
            tracker = self.trackers.setdefault(conversation_id, [])
            for event in events:
                tracker.append({**event, "timestamp": event.get("timestamp", time.time())})

    def _check_up(self, conversation_id: str) -> None:
        if self.down:
            raise GatewayError(
                "Rasa is not reachable (fake gateway is down).", conversation_id=conversation_id
            )

    def customer_says(self, conversation_id: str, text: str) -> None:
        self._add(conversation_id, [{"event": "user", "text": text, "parse_data": {}}])

    def bot_says(self, conversation_id: str, text: str) -> None:
        self._add(conversation_id, [{"event": "bot", "text": text, "data": {}}])

    def set_slot(self, conversation_id: str, name: str, value: Any) -> None:
        self._add(conversation_id, [{"event": "slot", "name": name, "value": value}])

    def pause(self, conversation_id: str) -> None:
        self._add(conversation_id, [{"event": "pause"}])

    async def tracker_events(self, conversation_id: str) -> list[Event]:
        self._check_up(conversation_id)
        with self._lock:
            return [dict(e) for e in self.trackers.get(conversation_id, [])]

    async def append_events(self, conversation_id: str, events: list[Event]) -> None:
        self._check_up(conversation_id)
        with self._lock:
            self.appended.append((conversation_id, [dict(e) for e in events]))
        self._add(conversation_id, events)
