"""The web chat's client manager setting: empty is one process, a Redis URL shares emits."""

from __future__ import annotations

import logging

import pytest
from socketio import AsyncRedisManager

from bot.channels.webchat import (
    DEFAULT_MANAGER_CHANNEL,
    MANAGER_URL_ENV,
    WebChatInput,
    client_manager,
    redacted_url,
)
from bot.errors import ConfigError


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_url_keeps_the_in_process_manager(value: str | None) -> None:
    assert client_manager(value) is None


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:secret@redis.example.com:6380/2",
        "unix:///run/redis/redis.sock?db=1",
        "redis+sentinel://:pw@s1:26379,s2:26379/0/mymaster",
    ],
)
def test_a_redis_url_gives_the_redis_manager_on_tandems_channel(url: str) -> None:
    manager = client_manager(url)
    assert isinstance(manager, AsyncRedisManager)
    assert manager.redis_url == url
    assert manager.channel == DEFAULT_MANAGER_CHANNEL
    assert not manager.write_only  # each replica both publishes and delivers


def test_the_pubsub_channel_can_be_named_and_is_checked() -> None:
    manager = client_manager("redis://127.0.0.1:6379/0", "shop-a.webchat")
    assert isinstance(manager, AsyncRedisManager)
    assert manager.channel == "shop-a.webchat"
    with pytest.raises(ConfigError, match="client_manager_channel"):
        client_manager("redis://127.0.0.1:6379/0", "no spaces*")


@pytest.mark.parametrize(
    "url", ["amqp://guest:hunter2@rabbit:5672", "127.0.0.1:6379", "http://:hunter2@x/"]
)
def test_anything_but_redis_is_refused_without_showing_the_password(url: str) -> None:
    with pytest.raises(ConfigError, match="not a Redis URL") as caught:
        client_manager(url)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@h:6379/0", "redis://***@h:6379/0"),
        ("redis://user:s3cret@h/1", "redis://***@h/1"),
        ("redis://:p@ss@h:6379/0", "redis://***@h:6379/0"),  # an unencoded @ in it
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock"),
    ],
)
def test_logs_see_the_url_without_its_credentials(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


def test_credentials_with_an_empty_url_are_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """``client_manager_url: ${TANDEM_SOCKETIO_REDIS_URL}`` with the variable empty."""
    monkeypatch.setenv(MANAGER_URL_ENV, "redis://127.0.0.1:6379/0")  # the key wins
    channel = WebChatInput.from_credentials({"client_manager_url": ""})
    assert isinstance(channel, WebChatInput)
    assert channel.client_manager_url is None
    assert client_manager(channel.client_manager_url) is None


def test_credentials_with_a_url_share_emits_through_redis(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    channel = WebChatInput.from_credentials(
        {
            "client_manager_url": "redis://:hunter2@127.0.0.1:6379/3",
            "client_manager_channel": "tandem-test",
        }
    )
    assert isinstance(channel, WebChatInput)
    blueprint = channel.blueprint(on_new_message=_ignore)
    assert blueprint is not None
    manager = channel.sio.manager
    assert isinstance(manager, AsyncRedisManager)
    assert manager.redis_url == "redis://:hunter2@127.0.0.1:6379/3"
    assert manager.channel == "tandem-test"
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize(
    ("env", "expected"), [(None, None), ("", None), ("redis://r:6379/1", "redis://r:6379/1")]
)
def test_without_the_key_the_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: str | None, expected: str | None
) -> None:
    if env is None:
        monkeypatch.delenv(MANAGER_URL_ENV, raising=False)
    else:
        monkeypatch.setenv(MANAGER_URL_ENV, env)
    channel = WebChatInput.from_credentials({"max_message_chars": 4000})
    assert isinstance(channel, WebChatInput)
    assert channel.client_manager_url == expected


def test_a_bad_url_in_credentials_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="client_manager_url"):
        WebChatInput.from_credentials({"client_manager_url": "localhost:6379"})


def test_without_a_url_the_server_keeps_its_own_manager() -> None:
    channel = WebChatInput()
    channel.blueprint(on_new_message=_ignore)
    assert not isinstance(channel.sio.manager, AsyncRedisManager)


async def _ignore(_: object) -> None:
    return None


def test_the_shipped_credentials_follow_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """credentials.yml as Rasa reads it, with the environment ``bot run`` gives."""
    from rasa.core.run import create_http_input_channels

    from bot.settings import Settings
    from tests.conftest import PROJECT_ROOT

    def web(profile: dict[str, str]) -> WebChatInput:
        monkeypatch.delenv(MANAGER_URL_ENV, raising=False)
        for key, value in Settings.from_env(profile).engine_env({}).items():
            monkeypatch.setenv(key, value)
        built = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
        (channel,) = [c for c in built if isinstance(c, WebChatInput)]
        return channel

    assert web({}).client_manager_url is None  # make run: one process
    production = web({"TANDEM_PROFILE": "production"})
    assert production.client_manager_url == "redis://127.0.0.1:6379/0"
