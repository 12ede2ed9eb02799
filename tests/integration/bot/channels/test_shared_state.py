"""Slack and Teams channel state shared by two engine replicas through the real Redis.

Two Slack channels on two real Sanic servers stand for two replicas behind
one Slack app: Slack's retry of an event reaches the other replica and must
still be answered once. Two Teams reference stores stand for two replicas:
the reference one stored must let the other deliver an agent's reply.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.channels.botframework_connector import ConversationReference
from bot.channels.shared_state import (
    RedisEventDeduplicator,
    RedisReferenceStore,
    redis_client,
)
from bot.channels.slack import SlackInput
from bot.channels.teams import TeamsInput
from bot.errors import ConfigError
from tests.integration.bot.channels.harness import ChannelServer
from tests.integration.bot.channels.replicas import REDIS_URL, redis_up
from tests.integration.bot.channels.test_slack_http import SECRET, TOKEN, _Server, dm
from tests.standins.slack_api import SlackApiStandIn

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not redis_up(), reason="Redis is not on 127.0.0.1:6379"),
]


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"tandem-test-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)


class _Replica(_Server):
    def __init__(self, slack: SlackApiStandIn, state_url: str | None, prefix: str) -> None:
        channel = SlackInput(
            slack_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            state_url=state_url,
            state_key_prefix=prefix,
        )
        ChannelServer.__init__(self, channel, url_prefix="/webhooks/slack")
        self.channel = channel


def _handled(replicas: tuple[_Replica, _Replica], text: str, *, at_least: int) -> int:
    deadline = time.monotonic() + 10
    while True:
        count = sum([m.text for m in r.seen].count(text) for r in replicas)
        if count >= at_least or time.monotonic() > deadline:
            return count
        time.sleep(0.05)


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "in-process"])
def test_a_retry_that_reaches_the_other_replica_is_dropped_only_when_shared(
    shared: bool, prefix: str
) -> None:
    with SlackApiStandIn(token=TOKEN, team="T0001") as slack:
        url = REDIS_URL if shared else None
        a, b = _Replica(slack, url, prefix), _Replica(slack, url, prefix)
        a.start()
        b.start()
        try:
            body = dm("once please", event_id=f"Ev{uuid.uuid4().hex[:10].upper()}")
            assert a.post("webhook", body) == (200, {"status": "accepted"})
            retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            status = b.post("webhook", body, extra=retry)
            if shared:
                assert status == (200, {"status": "duplicate"})
                assert _handled((a, b), "once please", at_least=2) == 1
            else:  # what one process alone gets wrong
                assert status == (200, {"status": "accepted"})
                assert _handled((a, b), "once please", at_least=2) == 2
        finally:
            a.stop()
            b.stop()


def test_the_dedup_fails_open_when_redis_is_away() -> None:
    away = RedisEventDeduplicator(redis_client("redis://127.0.0.1:1/0", timeout_s=0.2))
    assert away.seen_before("Ev1") is False
    assert away.seen_before("Ev1") is False  # handled twice rather than lost


def test_a_reference_stored_by_one_replica_is_found_by_the_other(prefix: str) -> None:
    one = RedisReferenceStore(redis_client(REDIS_URL), prefix=prefix)
    other = RedisReferenceStore(redis_client(REDIS_URL), prefix=prefix)
    reference = ConversationReference(
        service_url="https://smba.trafficmanager.net/emea/",
        conversation_id="a:1Xyz",
        bot={"id": "28:bot", "name": "Volt"},
        user={"id": "29:user", "name": "Ana"},
        tenant_id="tenant-1",
    )
    assert other.load(reference.sender_id) is None
    one.save(reference)
    assert other.load(reference.sender_id) == reference


def test_the_channels_take_the_url_from_credentials_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    monkeypatch.setenv("TANDEM_CHANNELS_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("TANDEM_REDIS_KEY_PREFIX", prefix)
    slack = SlackInput.from_credentials({"slack_token": TOKEN, "slack_signing_secret": SECRET})
    assert isinstance(slack, SlackInput)
    assert isinstance(slack.dedup, RedisEventDeduplicator)
    assert slack.dedup.prefix == f"{prefix}:slack:event:"
    teams = TeamsInput.from_credentials({"app_id": "app", "app_password": "pw"})
    assert isinstance(teams, TeamsInput)
    assert isinstance(teams.references, RedisReferenceStore)
    monkeypatch.setenv("TANDEM_CHANNELS_REDIS_URL", "")
    local = TeamsInput.from_credentials({"app_id": "app", "app_password": "pw"})
    assert isinstance(local, TeamsInput)
    assert not isinstance(local.references, RedisReferenceStore)
    with pytest.raises(ConfigError) as error:
        SlackInput.from_credentials(
            {
                "slack_token": TOKEN,
                "slack_signing_secret": SECRET,
                "state_url": "http://user:hunter2@redis:6379",
            }
        )
    assert "hunter2" not in str(error.value) and "not a Redis URL" in str(error.value)
