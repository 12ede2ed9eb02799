"""The analytics consumer: event envelopes from the engine into the analytics store.

``python -m bot analytics consume [--once] [--rabbitmq]``

Delivery is at least once and nothing is lost: a batch is read from its
source (the embedded outbox file, or RabbitMQ in production), ingested into
the analytics store in one transaction, and only then deleted from the outbox
or acknowledged to RabbitMQ. A consumer killed between the commit and the
acknowledgement reads the batch again; the store's idempotent ingestion (key
``(sender_id, tandem_seq)``) keeps it exact. While the store is down the same
batch is retried with exponential backoff; nothing is dropped. An envelope
that cannot be read (not JSON, no ``sender_id``/``tandem_seq``, refused by the
store as malformed) is moved to a dead-letter place with the reason and logged,
so one bad event never blocks the others.

    read batch ──> parse ──> AnalyticsStore.ingest ──> ack / delete
                     │              │ store down: back off, retry the batch
                     └─ bad ──> dead letters (outbox table / ``<queue>.dead``)

Between batches, busy or idle, the consumer also keeps the store up to date
(:class:`Upkeep`): every ``TANDEM_ANALYTICS_SETTLE_EVERY_S`` it marks the forms
left open in conversations gone quiet as abandoned
(:meth:`~bot.analytics.store.AnalyticsStore.settle`), and at start and every
``TANDEM_ANALYTICS_PRUNE_EVERY_S`` it drops conversations past the retention
window (:meth:`~bot.analytics.store.AnalyticsStore.prune`). ``--once`` does
both once, after the queue is empty.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from bot.contract.analytics import event_key
from bot.contract.errors import ContractError
from bot.contract.outbox import Outbox, OutboxRow
from bot.env import env_int
from bot.errors import ConfigError, StoreError
from bot.settings import Settings, read_environment

if TYPE_CHECKING:
    from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
    from sqlalchemy.engine import URL

    from bot.analytics.store import AnalyticsStore

logger = logging.getLogger(__name__)

# Errors of one event's content, not of the store: retrying cannot help.
_BAD_EVENT = (ContractError, ValueError, TypeError, KeyError)
# The store cannot be reached or is busy: the same batch is retried.
_STORE_DOWN = (SQLAlchemyError, OSError, TimeoutError)


@dataclass(frozen=True)
class Delivery:
    """One envelope as read from a source; ``ref`` is the source's handle to acknowledge it."""

    ref: Any
    body: str


class Source(Protocol):
    """Where envelopes wait: read a batch, acknowledge it once stored, set bad ones aside."""

    def read(self, limit: int) -> list[Delivery]: ...

    def ack(self, deliveries: Sequence[Delivery]) -> None: ...

    def dead_letter(self, delivery: Delivery, reason: str) -> None: ...

    def close(self) -> None: ...


class Store(Protocol):
    """:class:`bot.analytics.store.AnalyticsStore`'s ingestion, as the consumer uses it."""

    def ingest(self, events: Sequence[Mapping[str, Any]]) -> Any: ...


class Upkept(Protocol):
    """:class:`bot.analytics.store.AnalyticsStore`'s housekeeping, as :class:`Upkeep` uses it."""

    def settle(self, *, limit: int | None = None) -> int: ...

    def prune(self, older_than_days: float, *, limit: int | None = None) -> int: ...


class OutboxSource:
    """The embedded outbox file (:mod:`bot.contract.outbox`) the engine appends to."""

    def __init__(self, path: Path) -> None:
        self.outbox = Outbox(path)

    def read(self, limit: int) -> list[Delivery]:
        return [Delivery(row, row.body) for row in self.outbox.read(limit)]

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        self.outbox.ack([d.ref for d in deliveries if isinstance(d.ref, OutboxRow)])

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        self.outbox.dead_letter(delivery.ref, reason)

    def close(self) -> None:
        self.outbox.close()


class RabbitSource:
    """A durable RabbitMQ queue fed by Rasa's Pika broker (``endpoints.production.yml``).

    Declares the same fanout exchange and durable queue as Rasa, so either may
    start first. Messages are acknowledged one by one after the store commits;
    unacknowledged ones go back to the queue when the connection drops.

    A broker that restarts or drops the connection does not stop the consumer:
    the next :meth:`read` connects again (a failed attempt reads nothing, and
    the consumer's loop tries again after its poll interval). What was read on
    the lost connection is not acknowledged on the new one: RabbitMQ delivers
    it again and the store keeps each event once.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        password: str,
        queue: str,
        exchange: str,
        prefetch: int = 500,
        wait_s: float = 1.0,
    ) -> None:
        try:
            import pika
        except ImportError as e:
            raise ConfigError(
                "The RabbitMQ consumer needs the `pika` package: install the actions "
                "extra again (`make setup`)."
            ) from e
        self._pika = pika
        self.queue = queue
        self.exchange = exchange
        self.prefetch = prefetch
        self.wait_s = wait_s
        self.where = f"{host}:{port}"
        self._parameters = pika.ConnectionParameters(
            host=host,
            port=port,
            credentials=pika.PlainCredentials(username, password),
            heartbeat=60,
            blocked_connection_timeout=30,
            connection_attempts=3,
            retry_delay=1,
        )
        self._persistent = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
        self._connection: BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self.connections = 0  # how many times it connected: 1 + reconnections
        try:
            self._connect()
        except pika.exceptions.AMQPError as e:
            raise StoreError(
                f"RabbitMQ at {self.where} refused the consumer ({type(e).__name__}); check "
                "TANDEM_RABBITMQ_HOST/PORT/USER/PASSWORD and that the broker runs."
            ) from e

    def _connect(self) -> BlockingChannel:
        connection = self._pika.BlockingConnection(self._parameters)
        channel = connection.channel()
        channel.exchange_declare(self.exchange, exchange_type="fanout")  # as Rasa declares it
        channel.queue_declare(self.queue, durable=True)
        channel.queue_bind(self.queue, self.exchange)
        channel.queue_declare(self.dead_queue, durable=True)
        channel.basic_qos(prefetch_count=self.prefetch)
        self._connection, self._channel = connection, channel
        self.connections += 1
        return channel

    def _lost(self, error: Exception) -> None:
        """Forget the connection; the next read makes a new one."""
        logger.warning(
            "the RabbitMQ connection to %s was lost (%s); reconnecting, unacknowledged "
            "events will be delivered again",
            self.where,
            type(error).__name__,
        )
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(self._pika.exceptions.AMQPError, OSError):
                connection.close()

    @property
    def dead_queue(self) -> str:
        return f"{self.queue}.dead"

    def read(self, limit: int) -> list[Delivery]:
        deliveries: list[Delivery] = []
        try:
            channel = self._channel or self._connect()
            for method, _properties, body in channel.consume(
                self.queue, inactivity_timeout=self.wait_s
            ):
                if method is None:
                    break
                deliveries.append(
                    Delivery((channel, method.delivery_tag), body.decode("utf-8", "replace"))
                )
                if len(deliveries) >= limit:
                    break
        except (self._pika.exceptions.AMQPError, OSError) as e:
            self._lost(e)
            return []  # their tags died with the channel; RabbitMQ delivers them again
        return deliveries

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        current = self._channel
        try:
            for delivery in deliveries:
                channel, tag = delivery.ref
                if current is not None and channel is current:  # else requeued already
                    current.basic_ack(delivery_tag=tag)
        except (self._pika.exceptions.AMQPError, OSError) as e:
            self._lost(e)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        channel, tag = delivery.ref
        current = self._channel
        if current is None or channel is not current:
            return  # delivered again on the new connection, and set aside then
        body = json.dumps({"reason": reason, "body": delivery.body})
        try:
            current.basic_publish("", self.dead_queue, body, properties=self._persistent)
            current.basic_ack(delivery_tag=tag)
        except (self._pika.exceptions.AMQPError, OSError) as e:
            self._lost(e)

    def close(self) -> None:
        connection, channel = self._connection, self._channel
        if connection is not None and channel is not None and connection.is_open:
            with contextlib.suppress(self._pika.exceptions.AMQPError, OSError):
                channel.cancel()  # what was delivered but not acked goes back to the queue
                connection.close()


@dataclass
class Backoff:
    """Exponential backoff: ``first_s``, doubling, at most ``max_s``; ``reset`` after success."""

    first_s: float = 0.5
    max_s: float = 30.0
    _next: float = field(default=0.0, init=False)

    def next_delay(self) -> float:
        self._next = self.first_s if self._next == 0.0 else min(self._next * 2, self.max_s)
        return self._next

    def reset(self) -> None:
        self._next = 0.0


class Upkeep:
    """Settles quiet conversations and prunes old ones on a timer, between batches.

    Each call does one bounded transaction (``limit`` conversations) so that
    ingestion waits little; a call that hit the limit is due again at once.
    Both are due at start. A store that is down is logged and tried again at
    the next interval: ingestion's own retries deal with the outage.
    """

    def __init__(
        self,
        store: Upkept,
        *,
        retention_days: float,
        settle_every_s: float = 60.0,
        prune_every_s: float = 3600.0,
        limit: int = 500,
        clock: Callable[[], float] = time.monotonic,
        reconcile: Callable[[], int] | None = None,
    ) -> None:
        self.store = store
        self.reconcile = reconcile  # TrackerReconciler.run_due: keeps its own timer
        self.retention_days = retention_days
        self.settle_every_s = settle_every_s
        self.prune_every_s = prune_every_s
        self.limit = limit
        self.clock = clock
        self.settled = 0
        self.pruned = 0
        self._settle_at = self._prune_at = clock()

    def run_due(self) -> None:
        """Prune and settle if their time has come; cheap when it has not."""
        now = self.clock()
        if now >= self._prune_at:
            full = self._prune() >= self.limit
            self._prune_at = now if full else now + self.prune_every_s
        if now >= self._settle_at:
            full = self._settle() >= self.limit
            self._settle_at = now if full else now + self.settle_every_s
        if self.reconcile is not None:
            self.reconcile()

    def run_all(self) -> None:
        """Prune and settle all there is to, now (``--once``)."""
        while self._prune() >= self.limit:
            pass
        while self._settle() >= self.limit:
            pass

    def _prune(self) -> int:
        n = self._safely("prune", partial(self.store.prune, self.retention_days, limit=self.limit))
        self.pruned += n
        if n:
            logger.info("analytics upkeep: %d conversations past the retention window pruned", n)
        return n

    def _settle(self) -> int:
        n = self._safely("settle", partial(self.store.settle, limit=self.limit))
        self.settled += n
        if n:
            logger.info(
                "analytics upkeep: %d quiet conversations settled (open forms abandoned)", n
            )
        return n

    @staticmethod
    def _safely(task: str, call: Callable[[], int]) -> int:
        try:
            return call()
        except _STORE_DOWN as e:
            logger.warning(
                "analytics upkeep: %s failed (%s); it runs again at its next interval",
                task,
                type(e).__name__,
            )
            return 0


class Consumer:
    """Moves envelopes from ``source`` into ``store``; see the module docstring."""

    def __init__(
        self,
        source: Source,
        store: Store,
        *,
        batch_size: int = 500,
        backoff: Backoff | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        upkeep: Upkeep | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.upkeep = upkeep
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.max_attempts = max_attempts  # None: retry while the store is down, forever
        self.sleep = sleep
        self.ingested = 0
        self.dead = 0

    def step(self) -> int:
        """One batch: read, ingest (retrying while the store is down), acknowledge.

        Returns how many deliveries were taken off the source (0: it was empty).
        """
        deliveries = self.source.read(self.batch_size)
        if not deliveries:
            return 0
        good: list[tuple[Delivery, dict[str, Any]]] = []
        for delivery in deliveries:
            try:
                good.append((delivery, parse(delivery.body)))
            except ContractError as e:
                self._set_aside(delivery, str(e))
        if good:
            self.source.ack(self._ingest(good))
        return len(deliveries)

    def drain(self, *, stop: threading.Event | None = None) -> int:
        """Steps until the source is empty, then settles and prunes once (``--once``);
        returns how many were taken."""
        total = 0
        while stop is None or not stop.is_set():
            taken = self.step()
            if not taken:
                break
            total += taken
        if self.upkeep is not None and (stop is None or not stop.is_set()):
            self.upkeep.run_all()
        return total

    def run(self, stop: threading.Event, *, poll_s: float = 0.5) -> None:
        """Steps until ``stop`` is set, waiting ``poll_s`` whenever the source is empty;
        settles and prunes when their time comes, busy or idle."""
        while not stop.is_set():
            taken = self.step()
            if self.upkeep is not None:
                self.upkeep.run_due()
            if not taken:
                stop.wait(poll_s)

    def _ingest(self, batch: list[tuple[Delivery, dict[str, Any]]]) -> list[Delivery]:
        """Store ``batch``; returns the deliveries stored (the rest were set aside)."""
        try:
            report = self._with_retries(partial(self.store.ingest, [event for _, event in batch]))
        except _BAD_EVENT as e:
            if len(batch) == 1:
                self._set_aside(batch[0][0], f"the analytics store refused it: {e}")
                return []
            return self._one_by_one(batch)
        if getattr(report, "malformed", 0):
            return self._one_by_one(batch)
        self.ingested += len(batch)
        return [d for d, _ in batch]

    def _one_by_one(self, batch: list[tuple[Delivery, dict[str, Any]]]) -> list[Delivery]:
        """Find the events the store cannot read and set them aside; the rest are stored
        (again: those of the batch call are duplicates now, which the store skips)."""
        stored = []
        for delivery, event in batch:
            try:
                report = self._with_retries(partial(self.store.ingest, [event]))
            except _BAD_EVENT as e:
                self._set_aside(delivery, f"the analytics store refused it: {e}")
                continue
            if getattr(report, "malformed", 0):
                self._set_aside(delivery, "the analytics store could not read it (see its log)")
            else:
                stored.append(delivery)
        self.ingested += len(stored)
        return stored

    def _with_retries(self, call: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                result = call()
            except _STORE_DOWN as e:
                if self.max_attempts is not None and attempt >= self.max_attempts:
                    raise StoreError(
                        f"The analytics store is unreachable after {attempt} attempts "
                        f"({type(e).__name__}); the events stay queued. Check "
                        "TANDEM_ANALYTICS_DB_URL and that the database runs."
                    ) from e
                delay = self.backoff.next_delay()
                logger.warning(
                    "the analytics store failed (%s); retrying the batch in %.1f s",
                    type(e).__name__,
                    delay,
                )
                self.sleep(delay)
            else:
                self.backoff.reset()
                return result

    def _set_aside(self, delivery: Delivery, reason: str) -> None:
        logger.error("analytics event set aside as a dead letter: %s", reason)
        self.source.dead_letter(delivery, reason)
        self.dead += 1


def parse(body: str) -> dict[str, Any]:
    """One envelope from its JSON text; :class:`ContractError` says what is wrong with it."""
    try:
        event = json.loads(body)
    except ValueError as e:
        raise ContractError(f"an analytics event is not JSON ({e}).") from e
    if not isinstance(event, dict):
        raise ContractError(
            f"an analytics event must be a JSON object, not {type(event).__name__}."
        )
    event_key(event)
    if not isinstance(event.get("event"), str) or not event["event"]:
        raise ContractError("an analytics event needs Rasa's 'event' name (user, bot, action...).")
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, (int, float)) or isinstance(timestamp, bool):
        raise ContractError("an analytics event needs a numeric 'timestamp' (epoch seconds).")
    return event


@dataclass(frozen=True)
class ConsumerSettings:
    """Where the consumer reads from (``TANDEM_ANALYTICS_OUTBOX``, ``TANDEM_RABBITMQ_*``)."""

    outbox: Path
    # Ingestion rebuilds each conversation a batch touches: big batches catch up faster
    # (benchmarks/NOTES.md, "Analytics pipeline: consumer batch size").
    batch_size: int = 5000
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = field(default="guest", repr=False)
    rabbitmq_queue: str = "tandem-analytics"
    rabbitmq_exchange: str = "tandem-events"
    # The production profile's tracker database: events it holds that no broker
    # carried are ingested from it (bot/analytics/reconcile.py); None: not checked.
    tracker_url: URL | None = None  # no password in it: that is tracker_password
    tracker_password: str = field(default="", repr=False)
    reconcile_every_s: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ConsumerSettings:
        base = cls(outbox=Settings.from_env(env).analytics_outbox)
        return cls(
            outbox=Path(env.get("TANDEM_ANALYTICS_OUTBOX") or base.outbox),
            batch_size=env_int(env, "TANDEM_ANALYTICS_BATCH", base.batch_size, high=100_000),
            rabbitmq_host=env.get("TANDEM_RABBITMQ_HOST") or base.rabbitmq_host,
            rabbitmq_port=env_int(env, "TANDEM_RABBITMQ_PORT", base.rabbitmq_port),
            rabbitmq_user=env.get("TANDEM_RABBITMQ_USER") or base.rabbitmq_user,
            rabbitmq_password=env.get("TANDEM_RABBITMQ_PASSWORD") or base.rabbitmq_password,
            rabbitmq_queue=env.get("TANDEM_RABBITMQ_QUEUE") or base.rabbitmq_queue,
            rabbitmq_exchange=env.get("TANDEM_RABBITMQ_EXCHANGE") or base.rabbitmq_exchange,
            tracker_url=_tracker_url(env),
            tracker_password=env.get("TANDEM_POSTGRES_PASSWORD") or "",
            reconcile_every_s=float(
                env_int(env, "TANDEM_ANALYTICS_RECONCILE_EVERY_S", 60, low=1, high=86_400)
            ),
        )

    def rabbit_source(self) -> RabbitSource:
        return RabbitSource(
            host=self.rabbitmq_host,
            port=self.rabbitmq_port,
            username=self.rabbitmq_user,
            password=self.rabbitmq_password,
            queue=self.rabbitmq_queue,
            exchange=self.rabbitmq_exchange,
            prefetch=self.batch_size,
        )


def _tracker_url(env: Mapping[str, str]) -> URL | None:
    """``TANDEM_POSTGRES_*`` (the production profile's tracker store) without the
    password, or None when unset."""
    from sqlalchemy.engine import URL

    if not env.get("TANDEM_POSTGRES_HOST"):
        return None
    return URL.create(
        "postgresql+psycopg",
        username=env.get("TANDEM_POSTGRES_USER") or None,
        host=env["TANDEM_POSTGRES_HOST"],
        port=env_int(env, "TANDEM_POSTGRES_PORT", 5432),
        database=env.get("TANDEM_POSTGRES_DB") or "tandem",
    )


def open_store(env: Mapping[str, str]) -> AnalyticsStore:
    """The analytics store ``TANDEM_ANALYTICS_DB_URL`` names, migrated to the newest schema."""
    from bot.analytics.db import make_engine, migrate
    from bot.analytics.settings import AnalyticsSettings
    from bot.analytics.store import AnalyticsStore

    settings = AnalyticsSettings.from_env(env)
    engine = make_engine(settings.db_url)
    migrate(engine)
    return AnalyticsStore(engine, settings.key, abandon_after_s=settings.abandon_after_s)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem analytics", description="Move conversation events into the analytics store."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    consume = sub.add_parser("consume", help="ingest queued events (the embedded outbox)")
    consume.add_argument("--once", action="store_true", help="stop when the queue is empty")
    consume.add_argument(
        "--rabbitmq", action="store_true", help="read RabbitMQ (TANDEM_RABBITMQ_*), not the outbox"
    )
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``python -m bot analytics consume [--once] [--rabbitmq]``; 0 on a clean stop."""
    from bot.analytics.settings import AnalyticsSettings

    args = _parser().parse_args(argv)
    env = read_environment() if env is None else env
    settings = ConsumerSettings.from_env(env)
    analytics = AnalyticsSettings.from_env(env)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()  # finish the batch in hand, then leave

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, request_stop) if in_main else None
    try:
        source: Source = (
            settings.rabbit_source() if args.rabbitmq else OutboxSource(settings.outbox)
        )
        try:
            store = _open_with_retries(env, stop, max_attempts=5 if args.once else None)
            reconciler = None
            if args.rabbitmq and settings.tracker_url is not None:
                from bot.analytics.reconcile import TrackerReconciler

                reconciler = TrackerReconciler(
                    settings.tracker_url,
                    store,
                    password=settings.tracker_password,
                    every_s=settings.reconcile_every_s,
                )
            upkeep = Upkeep(
                store,
                retention_days=analytics.retention_days,
                settle_every_s=analytics.settle_every_s,
                prune_every_s=analytics.prune_every_s,
                reconcile=reconciler.run_due if reconciler is not None else None,
            )
            consumer = Consumer(
                source,
                store,
                batch_size=settings.batch_size,
                max_attempts=5 if args.once else None,
                upkeep=upkeep,
            )
            if args.once:
                consumer.drain(stop=stop)
            else:
                logger.info(
                    "analytics consumer started (%s)", "RabbitMQ" if args.rabbitmq else "outbox"
                )
                consumer.run(stop)
        finally:
            source.close()
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    logger.info(
        "analytics consumer: %d events ingested, %d set aside; %d conversations settled, %d pruned",
        consumer.ingested,
        consumer.dead,
        upkeep.settled,
        upkeep.pruned,
    )
    return 0


def _open_with_retries(
    env: Mapping[str, str], stop: threading.Event, *, max_attempts: int | None
) -> AnalyticsStore:
    """The store, waiting with backoff while its database is down at start-up."""
    backoff = Backoff()
    attempt = 0
    while True:
        attempt += 1
        try:
            return open_store(env)
        except _STORE_DOWN as e:
            if stop.is_set() or (max_attempts is not None and attempt >= max_attempts):
                raise StoreError(
                    f"The analytics store could not be reached ({type(e).__name__}); the events "
                    "stay queued. Check TANDEM_ANALYTICS_DB_URL and that the database runs."
                ) from e
            delay = backoff.next_delay()
            logger.warning(
                "the analytics store is not reachable (%s); trying again in %.1f s",
                type(e).__name__,
                delay,
            )
            stop.wait(delay)
