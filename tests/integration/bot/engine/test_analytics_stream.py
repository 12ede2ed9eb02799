"""Every stored event reaches analytics, numbered, redacted, through the real endpoints.yml.

The tracker store and the event broker are built as Rasa builds them, from
``endpoints.yml`` (embedded: fan-out to the handoff notifier and the outbox
file) and ``endpoints.production.yml`` (RabbitMQ through Rasa's own Pika
broker; skipped when nothing listens on 127.0.0.1:5672).
"""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.contract.outbox import Outbox
from bot.engine.fanout import FanOutBroker
from bot.engine.notifier import HandoffNotifier
from bot.engine.outbox import OutboxBroker
from bot.engine.tracker_store import RedactingSQLTrackerStore
from tests.conftest import PROJECT_ROOT

DOMAIN = Domain.from_yaml(
    'version: "3.1"\nslots:\n  contact:\n    type: any\n    mappings: [{type: custom}]\n'
)
CARD, EMAIL = "4111 1111 1111 1111", "jane.doe@example.com"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TANDEM_ACTION_SERVER_URL", "")
    monkeypatch.setenv("TANDEM_HANDOFF_URL", "http://127.0.0.1:9")  # nothing there: logged
    monkeypatch.setenv("TANDEM_HANDOFF_SERVICE_TOKEN", "t")
    monkeypatch.setenv("TANDEM_TRACKER_DB", str(tmp_path / "tracker.db"))
    monkeypatch.setenv("TANDEM_ANALYTICS_OUTBOX", str(tmp_path / "outbox.db"))
    for name, value in (
        ("HOST", "127.0.0.1"),
        ("PORT", "5672"),
        ("USER", "guest"),
        ("PASSWORD", "guest"),
    ):
        monkeypatch.setenv(f"TANDEM_RABBITMQ_{name}", value)
    return tmp_path / "outbox.db"


def turns(sender: str) -> list[list[Event]]:
    """Three saves: two turns of one session, then a new session."""
    return [
        [
            ActionExecuted("action_session_start"),
            SessionStarted(timestamp=1000.0),
            ActionExecuted("action_listen"),
            UserUttered(f"my card is {CARD}", timestamp=1001.0),
        ],
        [
            SlotSet("contact", EMAIL),
            BotUttered(f"Noted {EMAIL}", timestamp=1002.0),
            ActionExecuted("action_listen"),
        ],
        [
            ActionExecuted("action_session_start"),
            SessionStarted(timestamp=2000.0),
            ActionExecuted("action_listen"),
            UserUttered("hello again", timestamp=2001.0),
        ],
    ]


async def converse(endpoints: Path, sender: str) -> tuple[list[dict[str, Any]], EventBroker]:
    broker = await EventBroker.create(read_endpoint_config(str(endpoints), "event_broker"))
    assert broker is not None
    store = create_tracker_store(
        read_endpoint_config(str(endpoints), "tracker_store"), DOMAIN, broker
    )
    assert isinstance(store, RedactingSQLTrackerStore)
    for events in turns(sender):
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        for event in events:
            tracker.update(event)
        await store.save(tracker)
    full = await store.retrieve_full_tracker(sender)
    assert full is not None
    return [e.as_dict() for e in full.events], broker


def test_each_stored_event_is_in_the_outbox_once_numbered_across_sessions(env: Path) -> None:
    async def run() -> tuple[list[dict[str, Any]], EventBroker]:
        stored, broker = await converse(PROJECT_ROOT / "endpoints.yml", "rest:ana")
        await broker.close()
        return stored, broker

    stored, broker = asyncio.run(run())
    assert isinstance(broker, FanOutBroker)
    assert [type(b) for b in broker.brokers] == [HandoffNotifier, OutboxBroker]
    with Outbox(env) as outbox:
        queued = [json.loads(row.body) for row in outbox.read(100)]
    assert len(stored) == 11
    assert [e["tandem_seq"] for e in queued] == list(range(11))
    assert {e["sender_id"] for e in queued} == {"rest:ana"}
    # the outbox holds exactly what the tracker store holds, in its order
    assert [
        {k: v for k, v in e.items() if k not in ("sender_id", "tandem_seq")} for e in queued
    ] == stored
    raw = env.read_bytes()
    assert b"[card]" in raw and b"[email]" in raw
    assert CARD.encode() not in raw and EMAIL.encode() not in raw
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_the_old_notifier_only_config_still_streams(env: Path, tmp_path: Path) -> None:
    """An endpoints.yml from before the fan-out: the notifier alone, ``forward`` to the outbox."""
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: bot.engine.tracker_store.RedactingSQLTrackerStore\n"
        "  dialect: sqlite\n  db: ${TANDEM_TRACKER_DB}\n"
        "event_broker:\n  type: bot.engine.notifier.HandoffNotifier\n"
        "  url: ${TANDEM_HANDOFF_URL}\n  service_token: ${TANDEM_HANDOFF_SERVICE_TOKEN}\n"
        "  forward:\n    type: bot.engine.outbox.OutboxBroker\n"
        "    path: ${TANDEM_ANALYTICS_OUTBOX}\n"
    )

    async def run() -> EventBroker:
        _, broker = await converse(endpoints, "rest:bo")
        await broker.close()
        return broker

    assert isinstance(asyncio.run(run()), HandoffNotifier)
    with Outbox(env) as outbox:
        assert [json.loads(r.body)["tandem_seq"] for r in outbox.read(100)] == list(range(11))


class Failing(EventBroker):
    def publish(self, event: dict[str, Any]) -> None:
        raise ConnectionError("down")


class Collecting(EventBroker):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def test_one_failing_broker_does_not_starve_the_others(caplog: pytest.LogCaptureFixture) -> None:
    collecting = Collecting()
    fanout = FanOutBroker([Failing(), collecting])
    fanout.publish({"sender_id": "a", "tandem_seq": 0, "event": "user"})
    assert collecting.events == [{"sender_id": "a", "tandem_seq": 0, "event": "user"}]
    assert "Failing failed to take 1 event(s)" in caplog.text


def test_a_fanout_without_brokers_says_what_to_write() -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="brokers:"):
        asyncio.run(FanOutBroker.from_endpoint_config(EndpointConfig(brokers=[])))
    with pytest.raises(ConfigError, match="path:"):
        OutboxBroker(path="")


def rabbitmq_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5672)) == 0


@pytest.mark.skipif(not rabbitmq_up(), reason="RabbitMQ is not on 127.0.0.1:5672")
def test_the_production_profile_streams_to_a_durable_rabbitmq_queue(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aio_pika

    queue_name = f"tandem-test-{uuid.uuid4().hex[:8]}"
    exchange = f"tandem-test-{uuid.uuid4().hex[:8]}"
    endpoints = tmp_path / "endpoints.production.yml"
    text = (
        "event_broker:"
        + (PROJECT_ROOT / "endpoints.production.yml").read_text().split("\nevent_broker:", 1)[1]
    )  # its broker; the embedded tracker store of endpoints.yml
    endpoints.write_text(
        text.replace("tandem-analytics", queue_name).replace("tandem-events", exchange)
        + (PROJECT_ROOT / "endpoints.yml").read_text().split("event_broker:")[0]
    )

    async def run() -> list[aio_pika.abc.AbstractIncomingMessage]:
        stored, broker = await converse(endpoints, "rest:cy")
        assert len(stored) == 11
        await asyncio.sleep(1)  # Rasa's Pika broker publishes in the background
        await broker.close()
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(queue_name, durable=True)
            messages = []
            while (message := await queue.get(fail=False)) is not None:
                messages.append(message)
                await message.ack()
            await queue.delete(if_unused=False, if_empty=False)
            await channel.exchange_delete(exchange)
        return messages

    messages = asyncio.run(run())
    bodies = [json.loads(m.body) for m in messages]
    assert [b["tandem_seq"] for b in bodies] == list(range(11))
    assert all(m.delivery_mode == aio_pika.DeliveryMode.PERSISTENT for m in messages)
    assert not env.exists() or Outbox(env).pending() == 0  # no outbox in this profile
