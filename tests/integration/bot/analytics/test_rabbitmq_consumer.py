"""The consumer against a real RabbitMQ (127.0.0.1:5672, guest/guest; skipped when absent).

Messages are published as Rasa's Pika broker publishes them (JSON body,
persistent, through a fanout exchange into a durable queue). A consumer that
dies after the store committed but before it acknowledged leaves the batch
unacknowledged; RabbitMQ redelivers it to the next consumer and the store
keeps each event once.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.analytics.consumer import Consumer, ConsumerSettings, Delivery, RabbitSource, parse
from bot.analytics.db import make_engine, migrate
from bot.analytics.store import EVENTS, AnalyticsStore
from tests.unit.bot.analytics.conftest import KEY, NOW
from tests.unit.bot.analytics.streams import Stream

pika = pytest.importorskip("pika", reason="pika (the actions extra) is not installed")


def rabbitmq_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5672)) == 0


pytestmark = pytest.mark.skipif(not rabbitmq_up(), reason="RabbitMQ is not on 127.0.0.1:5672")


class Crash(BaseException):
    """The consumer process dying before it acknowledged."""


class DiesBeforeAck(RabbitSource):
    def ack(self, deliveries: Sequence[Delivery]) -> None:
        raise Crash


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[ConsumerSettings]:
    suffix = uuid.uuid4().hex[:8]
    made = ConsumerSettings(
        outbox=tmp_path / "unused.db",
        batch_size=7,
        rabbitmq_queue=f"tandem-test-{suffix}",
        rabbitmq_exchange=f"tandem-test-{suffix}",
    )
    yield made
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    channel = connection.channel()
    for queue in (made.rabbitmq_queue, f"{made.rabbitmq_queue}.dead"):
        channel.queue_delete(queue)
    channel.exchange_delete(made.rabbitmq_exchange)
    connection.close()


def publish(settings: ConsumerSettings, bodies: list[str]) -> None:
    """As Rasa's PikaEventBroker: persistent JSON messages through the fanout exchange."""
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", 5672))
    channel = connection.channel()
    channel.confirm_delivery()
    persistent = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
    for body in bodies:
        channel.basic_publish(settings.rabbitmq_exchange, "", body, properties=persistent)
    connection.close()


def test_a_batch_stored_but_not_acknowledged_is_redelivered_and_kept_once(
    tmp_path: Path, settings: ConsumerSettings
) -> None:
    stream = Stream("rest:ana").session().user("hi", "greet").action("utter_greet")
    for i in range(6):
        stream.bot(f"reply {i}").listen().user(f"question {i}", "ask_faq")
    events: list[dict[str, Any]] = stream.events
    engine = make_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    migrate(engine)
    store = AnalyticsStore(engine, KEY, clock=lambda: NOW)

    first = DiesBeforeAck(**source_kwargs(settings))  # declares the queue before publishing
    publish(settings, [json.dumps(e) for e in events] + ["{not json"])
    with pytest.raises(Crash):
        Consumer(first, store, batch_size=settings.batch_size).drain()
    first._connection.close()  # what a killed process's socket does: unacked go back
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(EVENTS)) == settings.batch_size

    second = settings.rabbit_source()
    consumer = Consumer(second, store, batch_size=settings.batch_size)
    assert consumer.drain() == len(events) + 1
    second.close()
    with engine.connect() as conn:
        seqs = conn.scalars(select(EVENTS.c.seq).order_by(EVENTS.c.seq)).all()
    assert seqs == list(range(len(events)))  # each event once, none lost
    assert consumer.dead == 1

    check = settings.rabbit_source()
    assert check.read(10) == []  # everything acknowledged
    dead = check._channel.basic_get(f"{settings.rabbitmq_queue}.dead", auto_ack=True)
    check.close()
    assert dead[0] is not None and "not JSON" in json.loads(dead[2])["reason"]
    assert [parse(json.dumps(e))["tandem_seq"] for e in events] == seqs


def source_kwargs(settings: ConsumerSettings) -> dict[str, Any]:
    return {
        "host": settings.rabbitmq_host,
        "port": settings.rabbitmq_port,
        "username": settings.rabbitmq_user,
        "password": settings.rabbitmq_password,
        "queue": settings.rabbitmq_queue,
        "exchange": settings.rabbitmq_exchange,
        "prefetch": settings.batch_size,
    }


def test_a_broker_restart_mid_stream_loses_nothing_and_needs_no_consumer_restart(
    tmp_path: Path,
) -> None:
    from tests.support.services import PrivateRabbitMQ, missing

    if missing("rabbitmq"):
        pytest.skip(f"{', '.join(missing('rabbitmq'))} missing: no private RabbitMQ to restart")
    stream = Stream("rest:restart").session().user("hi", "greet").action("utter_greet")
    for i in range(10):
        stream.bot(f"reply {i}").listen().user(f"question {i}", "ask_faq")
    events: list[dict[str, Any]] = stream.events
    half = len(events) // 2
    engine = make_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    migrate(engine)
    store = AnalyticsStore(engine, KEY, clock=lambda: NOW)
    with PrivateRabbitMQ() as rabbit:
        settings = ConsumerSettings(outbox=tmp_path / "unused.db", batch_size=5,
                                    rabbitmq_port=rabbit.port)  # fmt: skip
        source = settings.rabbit_source()
        consumer = Consumer(source, store, batch_size=settings.batch_size)
        publish_to(rabbit.port, settings, [json.dumps(e) for e in events[:half]])
        consumer.step()  # one batch stored; the rest wait, durable, in the queue
        rabbit.restart()
        publish_to(rabbit.port, settings, [json.dumps(e) for e in events[half:]])
        for _ in range(20):
            consumer.step()
        source.close()
    with engine.connect() as conn:
        seqs = conn.scalars(select(EVENTS.c.seq).order_by(EVENTS.c.seq)).all()
    assert seqs == list(range(len(events)))
    assert source.connections == 2


def publish_to(port: int, settings: ConsumerSettings, bodies: list[str]) -> None:
    """As Rasa's broker after it (re)connects: it declares its exchange (not durable:
    gone after a broker restart) and binds its durable queue, then publishes."""
    connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
    channel = connection.channel()
    channel.exchange_declare(settings.rabbitmq_exchange, exchange_type="fanout")
    channel.queue_declare(settings.rabbitmq_queue, durable=True)
    channel.queue_bind(settings.rabbitmq_queue, settings.rabbitmq_exchange)
    channel.confirm_delivery()
    persistent = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
    for body in bodies:
        channel.basic_publish(settings.rabbitmq_exchange, "", body, properties=persistent)
    connection.close()
