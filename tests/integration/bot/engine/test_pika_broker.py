"""Events published while RabbitMQ restarts all reach the queue, once the broker is back.

A private RabbitMQ node (tests/support/services.py; the machine's shared one is
never touched) restarts while :class:`ReliablePikaBroker` publishes an event
every 20 ms; afterwards the durable queue holds every one (at least once). Skipped when
RabbitMQ is not installed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import aio_pika
import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.engine.pika_broker import ReliablePikaBroker
from tests.support.services import PrivateRabbitMQ, missing

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(bool(missing("rabbitmq")), reason="RabbitMQ is not installed"),
]


@pytest.fixture
def rabbit() -> Iterator[PrivateRabbitMQ]:
    with PrivateRabbitMQ() as server:
        yield server


async def queued(port: int, queue: str) -> list[int]:
    connection = await aio_pika.connect(
        host="127.0.0.1", port=port, login="guest", password="guest"
    )
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True)
        numbers = []
        while (message := await declared.get(fail=False, no_ack=True)) is not None:
            numbers.append(json.loads(message.body)["n"])
        return numbers


async def publish_through_a_restart(rabbit: PrivateRabbitMQ) -> tuple[list[int], int]:
    config = EndpointConfig.from_dict(
        {"type": "bot.engine.pika_broker.ReliablePikaBroker", "url": "127.0.0.1",
         "port": rabbit.port, "username": "guest", "password": "guest",
         "queues": ["tandem-test"], "exchange_name": "tandem-test", "retry_s": 0.2}
    )  # fmt: skip
    broker = await EventBroker.create(config)
    assert isinstance(broker, ReliablePikaBroker)
    restart = asyncio.get_running_loop().run_in_executor(None, rabbit.restart)
    sent = 0
    while not restart.done() or sent < 50:
        broker.publish({"n": sent})
        sent += 1
        await asyncio.sleep(0.02)
    await restart
    for _ in range(20):
        broker.publish({"n": sent})
        sent += 1
        await asyncio.sleep(0.02)
    deadline = time.monotonic() + 30
    while not broker.settled and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert broker.settled, (broker.kept, len(broker._background_tasks))
    await broker.close()
    return sorted(await queued(rabbit.port, "tandem-test")), sent


def test_a_rabbitmq_restart_loses_no_event(rabbit: PrivateRabbitMQ) -> None:
    numbers, sent = asyncio.run(publish_through_a_restart(rabbit))
    assert sent > 100  # the restart took a while: many were published while it was away
    assert sorted(set(numbers)) == list(range(sent))  # none lost
    # At least once: an event in flight when the broker went down may come twice
    # (its confirmation was lost); the analytics store keeps each (sender, seq) once.
    assert len(numbers) - sent <= 5
