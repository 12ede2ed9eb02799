"""ReliablePikaBroker keeps what RabbitMQ refused and tries it again, in order, until taken.

An exchange stand-in refuses publications while "RabbitMQ is away"; no socket
is opened (the restart itself is tests/integration/bot/engine/test_pika_broker.py).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.engine.pika_broker import ReliablePikaBroker

pytestmark = pytest.mark.engine


class Exchange:
    def __init__(self) -> None:
        self.away = True
        self.taken: list[int] = []

    async def publish(self, message: Any, routing_key: str, *, mandatory: bool) -> None:
        assert mandatory, "an unroutable message must come back as an error"
        if self.away:
            raise ConnectionResetError("RabbitMQ is away")
        self.taken.append(json.loads(message.body)["n"])


async def scenario() -> tuple[list[int], int, bool]:
    broker = ReliablePikaBroker("127.0.0.1", "guest", "guest", retry_s=0.05)
    exchange = Exchange()
    broker._exchange = exchange  # type: ignore[assignment]
    for n in range(5):
        broker.publish({"n": n})
    await asyncio.sleep(0.2)
    kept_while_away = broker.kept
    exchange.away = False
    for n in range(5, 8):
        broker.publish({"n": n})
    for _ in range(100):
        if broker.settled:
            break
        await asyncio.sleep(0.02)
    return exchange.taken, kept_while_away, broker.settled


def test_refused_events_are_kept_and_all_published_once_rabbitmq_takes_them() -> None:
    taken, kept_while_away, settled = asyncio.run(scenario())
    assert kept_while_away == 5
    assert settled
    assert sorted(taken) == list(range(8))
    assert [n for n in taken if n < 5] == [0, 1, 2, 3, 4]  # the kept ones in their order
