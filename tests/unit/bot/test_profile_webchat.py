"""The production profile shares web chat emits through its Redis; `make run` does not."""

from __future__ import annotations

from bot.settings import Settings, socketio_redis_url


def test_the_embedded_profile_keeps_one_process() -> None:
    env = Settings.from_env({}).engine_env({})
    assert not env.get("TANDEM_SOCKETIO_REDIS_URL")


def test_production_points_the_web_chat_at_its_redis() -> None:
    env = Settings.from_env({"TANDEM_PROFILE": "production"}).engine_env({})
    assert env["TANDEM_SOCKETIO_REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_production_uses_the_redis_settings_and_quotes_the_password() -> None:
    base = {
        "TANDEM_REDIS_HOST": "redis.internal",
        "TANDEM_REDIS_PORT": "6380",
        "TANDEM_REDIS_DB": "2",
        "TANDEM_REDIS_PASSWORD": "p@ss/w:rd",
    }
    env = Settings.from_env({"TANDEM_PROFILE": "production"}).engine_env(base)
    assert env["TANDEM_SOCKETIO_REDIS_URL"] == "redis://:p%40ss%2Fw%3Ard@redis.internal:6380/2"


def test_a_url_that_is_set_wins() -> None:
    base = {"TANDEM_SOCKETIO_REDIS_URL": "rediss://:x@managed.example.com:6380/0"}
    env = Settings.from_env({"TANDEM_PROFILE": "production"}).engine_env(base)
    assert env["TANDEM_SOCKETIO_REDIS_URL"] == base["TANDEM_SOCKETIO_REDIS_URL"]


def test_an_ipv6_host_is_bracketed() -> None:
    env = {"TANDEM_REDIS_HOST": "::1", "TANDEM_REDIS_PORT": "6379", "TANDEM_REDIS_DB": "0"}
    assert socketio_redis_url(env) == "redis://[::1]:6379/0"
