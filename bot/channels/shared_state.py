"""What the Slack and Teams channels remember, in Redis, for every engine replica at once.

One engine process keeps these in memory or in a local SQLite file; several
replicas behind one balancer cannot, because the next request (Slack's retry
of an event, a human agent's reply sent through another replica's HTTP API)
may reach a replica that did not see the first:

* :class:`RedisEventDeduplicator`: Slack's ``event_id`` taken with ``SET NX EX``,
  so a retry that lands on another replica is still answered once.
* :class:`RedisReferenceStore`: Teams conversation references by sender id,
  so any replica can deliver a message that comes without a request.

Both are chosen by ``state_url`` in the channel's ``credentials.yml`` section,
else ``TANDEM_CHANNELS_REDIS_URL`` (the production profile sets it from
``TANDEM_REDIS_*``); without either the channels keep their one-process stores.
The URL carries the password, so it is only ever logged masked.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Protocol

import redis

from bot.channels.botframework_connector import ConversationReference
from bot.channels.webchat import redacted_url
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "tandem"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Deduplicator(Protocol):
    def seen_before(self, event_id: str) -> bool:
        """True for a repeat; otherwise remember ``event_id`` and return False."""


class ReferenceStore(Protocol):
    def save(self, reference: ConversationReference) -> None: ...

    def load(self, sender_id: str) -> ConversationReference | None: ...


def redis_client(url: str, *, timeout_s: float = 2.0) -> redis.Redis:
    """A client for ``url``; a URL that is not Redis stops the start, masked in the message."""
    if not url.startswith(REDIS_SCHEMES):
        raise ConfigError(
            f"state_url {redacted_url(url)!r} is not a Redis URL: use redis://[:password@]host:"
            "6379/0 (or rediss://, unix://), or leave it unset for one engine process."
        )
    return redis.Redis.from_url(
        url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, decode_responses=True
    )


class RedisEventDeduplicator:
    """Event ids seen in the last ``ttl_s`` seconds by any replica."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX, ttl_s: int = 3600
    ) -> None:
        self.client, self.ttl_s = client, ttl_s
        self.prefix = f"{prefix}:slack:event:"

    def seen_before(self, event_id: str) -> bool:
        """Fails open: with Redis away the event is handled (a repeat beats a loss)."""
        try:
            first = self.client.set(self.prefix + event_id, "1", nx=True, ex=self.ttl_s)
        except redis.RedisError as e:
            logger.warning("Redis is away (%s); handling Slack event %s unchecked", e, event_id)
            return False
        return not first


class RedisReferenceStore:
    """Teams conversation references by sender id, as JSON strings under one key each."""

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.client = client
        self.prefix = f"{prefix}:teams:reference:"

    def save(self, reference: ConversationReference) -> None:
        self.client.set(self.prefix + reference.sender_id, json.dumps(asdict(reference)))

    def load(self, sender_id: str) -> ConversationReference | None:
        raw = self.client.get(self.prefix + sender_id)
        return ConversationReference(**json.loads(raw)) if raw else None
