"""A Redis lock store that stays correct when several engine replicas share it.

Rasa serialises a conversation's turns with a ticket lock: each message takes
the next ticket, waits until it is served, and gives it back. Rasa's
``RedisLockStore`` keeps the whole ``TicketLock`` as one JSON value and changes
it by get → modify → set from Python. Two replicas that take a ticket at the
same moment both read the same lock, both append "the next number", and the
second write wins: both hold the same ticket, both are "served", and two turns
of one conversation run at once (RasaHQ/rasa#9213). Rasa's fix, an ``INCR``
for the ticket number (RasaHQ/rasa#11256), was reverted from the open-source
edition (RasaHQ/rasa#11428).

Here every change of a conversation's lock is one Lua script, which Redis runs
atomically, on three keys that share a hash tag (so Redis Cluster keeps them
in one slot):

* ``<prefix>{<conversation>}:next``: the ticket counter (``INCR``). Numbers are
  never reused while a holder could still be running, so a holder whose ticket
  expired cannot give back somebody else's.
* ``<prefix>{<conversation>}:queue``: the waiting tickets, a sorted set scored
  by number; the lowest is served.
* ``<prefix>{<conversation>}:expires``: the same tickets scored by the time
  (Redis's clock, in ms) they expire.

A ticket expires ``lock_lifetime`` seconds (20 by default; Rasa's is 60)
after it was taken or last renewed: a waiter renews it each time it asks
whether it is served, a holder every quarter lifetime while its turn runs. So
a replica that dies (``kill -9``) while holding or waiting blocks the
conversation for at most one lifetime, while a live turn or a waiter in a long
queue never times out. The queue keys expire with their last ticket and
the counter a day after its last use: a dead replica leaves nothing behind.

:meth:`AtomicRedisLockStore.lock` keeps the meaning of Rasa's: an async context
manager that yields a :class:`~rasa.core.lock.TicketLock` whose ``now_serving``
is the caller's ticket, raises :class:`~rasa.core.lock_store.LockError` when
the ticket expired before it was served, and gives the ticket back on exit.

A Redis that restarts or is briefly unreachable makes a turn wait, up to
``outage_s`` (10 s), rather than fail: taking a ticket and asking whether it is
served are tried again until Redis answers (benchmarks/faults.py). A Redis
without persistence comes back empty: a turn that held a ticket then finishes
beside the next one, and a waiting ticket is gone (``LockError``, the customer
is asked to try again); enable persistence where that matters.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "tandem"
COUNTER_TTL_S = 24 * 3600
"""How long a conversation's ticket counter outlives its last ticket."""
DEFAULT_POLL_S = 0.02
DEFAULT_LOCK_LIFETIME_S = 20.0
"""How long a ticket of a dead replica blocks its conversation (holders renew theirs)."""
DEFAULT_OUTAGE_S = 10.0
"""How long a turn waits for an unreachable Redis before it fails with ``LockError``."""
_T = TypeVar("_T")
"""How often a waiter asks whether it is served (Rasa waits a whole second)."""
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# KEYS: next, queue, expires.  ARGV: lifetime in ms, counter TTL in ms.
_ISSUE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ticket = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local expires = now_ms + tonumber(ARGV[1])
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('ZADD', KEYS[3], expires, ticket)
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local ttl = tonumber(last[2]) - now_ms + 1000
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return ticket
"""

# KEYS: queue, expires.  ARGV: ticket, lifetime in ms.
# Returns the ticket served now, 0 if none, or -1 if ARGV's ticket has expired.
_SERVE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now_ms)
for _, t in ipairs(expired) do
  redis.call('ZREM', KEYS[1], t)
  redis.call('ZREM', KEYS[2], t)
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return -1
end
local expires = now_ms + tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], expires, ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ttl = tonumber(last[2]) - now_ms + 1000
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
return tonumber(head[1])
"""

# KEYS: queue, expires.  ARGV: ticket.  Returns how many tickets still wait.
_RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local left = redis.call('ZCARD', KEYS[1])
if left == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
end
return left
"""


def _none_if_blank(value: Any) -> Any:
    """``${VAR}`` in endpoints.yml expands to ``''`` when the variable is empty."""
    return None if value is None or str(value).strip() == "" else value


class AtomicRedisLockStore(LockStore):
    """Rasa's ticket lock kept in Redis, every change one atomic script.

    In ``endpoints.yml``::

        lock_store:
          type: bot.engine.lock_store.AtomicRedisLockStore
          url: ${TANDEM_REDIS_HOST}
          port: ${TANDEM_REDIS_PORT}
          db: ${TANDEM_REDIS_DB}
          password: ${TANDEM_REDIS_PASSWORD}
          key_prefix: ${TANDEM_REDIS_KEY_PREFIX}

    Rasa builds it as ``AtomicRedisLockStore(endpoint_config=...)``; code and
    tests pass the keywords. The password goes to the client only: it is in
    no URL and no log line.
    """

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int | str = 6379,
        db: int | str = 0,
        username: str | None = None,
        password: str | None = None,
        use_ssl: bool | str = False,
        key_prefix: str | None = DEFAULT_KEY_PREFIX,
        socket_timeout: float | str = 10.0,
        poll_s: float | str = DEFAULT_POLL_S,
        outage_s: float | str = DEFAULT_OUTAGE_S,
        lock_lifetime: float | str = DEFAULT_LOCK_LIFETIME_S,
    ) -> None:
        if endpoint_config is not None:
            options = {k: _none_if_blank(v) for k, v in endpoint_config.kwargs.items()}
            host = _none_if_blank(endpoint_config.url) or host
            port = options.pop("port", None) or port
            db = options.pop("db", None) or db
            username = options.pop("username", None) or username
            password = options.pop("password", None) or password
            use_ssl = options.pop("use_ssl", None) or use_ssl
            key_prefix = options.pop("key_prefix", None) or key_prefix
            socket_timeout = options.pop("socket_timeout", None) or socket_timeout
            poll_s = options.pop("poll_s", None) or poll_s
            outage_s = options.pop("outage_s", None) or outage_s
            lock_lifetime = options.pop("lock_lifetime", None) or lock_lifetime
            if options:
                raise ValueError(
                    f"lock_store in endpoints.yml has unknown options {sorted(options)}; "
                    "AtomicRedisLockStore takes url, port, db, username, password, "
                    "use_ssl, key_prefix, socket_timeout, poll_s, outage_s and lock_lifetime."
                )
        prefix = key_prefix or DEFAULT_KEY_PREFIX
        if not _PREFIX.match(prefix):
            raise ValueError(
                f"lock_store key_prefix {prefix!r} may hold only letters, digits, '-' "
                "and '_' (at most 64): it starts every Redis key of the lock store."
            )
        self.key_prefix = f"{prefix}:lock:"
        self.poll_s = float(poll_s)
        self.outage_s = float(outage_s)
        self.lock_lifetime = float(lock_lifetime)
        self.red = redis.Redis(
            host=host,
            port=int(port),
            db=int(db),
            username=_none_if_blank(username),
            password=_none_if_blank(password),
            ssl=str(use_ssl).lower() in ("true", "1", "yes"),
            socket_timeout=float(socket_timeout),
            socket_connect_timeout=float(socket_timeout),
        )
        self._issue = self.red.register_script(_ISSUE)
        self._serve = self.red.register_script(_SERVE)
        self._release = self.red.register_script(_RELEASE)
        logger.debug("Lock store on Redis %s:%s db %s.", host, port, db)
        super().__init__()

    def _keys(self, conversation_id: str) -> tuple[str, str, str]:
        base = f"{self.key_prefix}{{{conversation_id}}}"
        return f"{base}:next", f"{base}:queue", f"{base}:expires"

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Take the conversation's next ticket, valid for ``lock_lifetime`` seconds."""
        try:
            return self._take(conversation_id, lock_lifetime)
        except redis.RedisError as e:
            raise LockError(f"Could not take a ticket from the Redis lock store: {e}") from e

    def _take(self, conversation_id: str, lock_lifetime: float) -> int:
        counter, queue, expires = self._keys(conversation_id)
        return int(
            self._issue(
                keys=[counter, queue, expires],
                args=[int(lock_lifetime * 1000), COUNTER_TTL_S * 1000],
            )
        )

    async def _through_outage(self, what: str, call: Callable[[], _T]) -> _T:
        """``call()``, tried again while Redis cannot be reached, for up to ``outage_s``:
        a restarting Redis makes a turn wait, not fail."""
        deadline = time.monotonic() + self.outage_s
        delay = 0.05
        while True:
            try:
                return call()
            except (redis.ConnectionError, redis.TimeoutError) as e:
                if time.monotonic() + delay > deadline:
                    raise LockError(
                        f"The Redis lock store stayed unreachable for {self.outage_s:g} s "
                        f"while trying to {what}: {e}. Check that Redis runs and the "
                        "lock_store section of the endpoints file."
                    ) from e
                logger.warning(
                    "Redis is unreachable (%s); trying to %s again in %.2f s",
                    type(e).__name__,
                    what,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    def serving(
        self, conversation_id: str, ticket: int, lock_lifetime: float = LOCK_LIFETIME
    ) -> int | None:
        """The ticket served now, after dropping expired ones and renewing ``ticket``;
        ``None`` if ``ticket`` itself has expired."""
        _, queue, expires = self._keys(conversation_id)
        head = int(self._serve(keys=[queue, expires], args=[ticket, int(lock_lifetime * 1000)]))
        return None if head < 0 else head

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold ``conversation_id``'s lock for the body; turns run in ticket order.

        ``lock_lifetime`` (the store's ``lock_lifetime`` when not given) bounds
        how long a dead holder blocks the conversation: a live holder renews
        its ticket every quarter lifetime while the turn runs.
        ``wait_time_in_seconds`` is the pause between two questions "am I
        served?" (``poll_s`` when not given).
        """
        lifetime = self.lock_lifetime if lock_lifetime is None else float(lock_lifetime)
        ticket = await self._through_outage(
            "take a ticket", lambda: self._take(conversation_id, lifetime)
        )
        pause = self.poll_s if wait_time_in_seconds is None else wait_time_in_seconds
        renewing: asyncio.Task[None] | None = None
        try:
            served = await self._wait_for(conversation_id, ticket, lifetime, pause)
            renewing = asyncio.create_task(self._renew(conversation_id, ticket, lifetime))
            yield served
        finally:
            if renewing is not None:
                renewing.cancel()
            self.cleanup(conversation_id, ticket)

    async def _renew(self, conversation_id: str, ticket: int, lifetime: float) -> None:
        """While the turn runs, push the held ticket's expiry ``lifetime`` ahead."""
        while True:
            await asyncio.sleep(lifetime / 4)
            try:
                if self.serving(conversation_id, ticket, lifetime) is None:
                    logger.error(
                        "The ticket of conversation '%s' expired while its turn ran (the "
                        "event loop was blocked for longer than the lock lifetime, %g s); "
                        "raise lock_lifetime in the endpoints file.",
                        conversation_id,
                        lifetime,
                    )
                    return
            except redis.RedisError as e:
                logger.warning("Could not renew a ticket in Redis (%s); trying again", e)

    async def _wait_for(
        self, conversation_id: str, ticket: int, lock_lifetime: float, pause: float
    ) -> TicketLock:
        while True:
            try:
                head = await self._through_outage(
                    "ask whether a ticket is served",
                    lambda: self.serving(conversation_id, ticket, lock_lifetime),
                )
            except redis.RedisError as e:
                raise LockError(f"Lost the Redis lock store while waiting: {e}") from e
            if head is None:
                raise LockError(
                    f"The ticket for conversation '{conversation_id}' expired before it was "
                    "served: this waiter did not ask for longer than the lock lifetime "
                    "(lock_lifetime in the endpoints file)."
                )
            if head == ticket:
                return self.get_lock(conversation_id) or TicketLock(conversation_id)
            await asyncio.sleep(pause)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """A snapshot of the conversation's tickets, as Rasa's ``TicketLock``."""
        _, _, expires = self._keys(conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.time()
            pipe.zrange(expires, 0, -1, withscores=True)
            (seconds, micros), tickets = pipe.execute()
        if not tickets:
            return None
        # Expiry times are Redis's clock; TicketLock compares them with this host's.
        shift = time.time() - (seconds + micros / 1e6)
        ordered = sorted((int(t), score / 1000 + shift) for t, score in tickets)
        return TicketLock(
            conversation_id, deque(Ticket(number, until) for number, until in ordered)
        )

    def delete_lock(self, conversation_id: str) -> None:
        """Drop the conversation's waiting tickets (the counter stays, see the module)."""
        _, queue, expires = self._keys(conversation_id)
        self._log_deletion(conversation_id, bool(self.red.delete(queue, expires)))

    def save_lock(self, lock: TicketLock) -> None:
        """Refused: writing a whole lock back is the race this store exists to avoid."""
        raise NotImplementedError(
            "AtomicRedisLockStore changes tickets only through issue_ticket, lock and "
            "cleanup; a whole TicketLock is never written back."
        )

    def update_lock(self, conversation_id: str) -> None:
        """Expired tickets are dropped by every :meth:`serving` call."""

    def is_someone_waiting(self, conversation_id: str) -> bool:
        _, queue, _ = self._keys(conversation_id)
        return bool(self.red.zcard(queue))

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; the last one out deletes the queue keys."""
        _, queue, expires = self._keys(conversation_id)
        try:
            self._release(keys=[queue, expires], args=[ticket_number])
        except redis.RedisError:
            logger.warning(
                "Could not give back a ticket of conversation '%s' to Redis; it expires "
                "by itself after the lock lifetime.",
                conversation_id,
                exc_info=True,
            )
