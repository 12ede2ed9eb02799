"""The shipped credentials.yml, read the way Rasa reads it, with the environment `bot run` gives."""

from __future__ import annotations

import pytest
from rasa.core.run import create_http_input_channels

from bot.channels.rest import RestInput
from bot.channels.webchat import WebChatInput
from bot.settings import Settings
from tests.conftest import PROJECT_ROOT

SECRET = "visitor-key-" + "k" * 32


def channels(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, base: dict[str, str] | None = None
) -> dict[str, object]:
    for key, value in settings.engine_env(base or {}).items():
        monkeypatch.setenv(key, value)
    built = create_http_input_channels(None, str(PROJECT_ROOT / "credentials.yml"))
    return {channel.name(): channel for channel in built}


def test_on_loopback_without_secrets_the_channels_need_no_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = channels(monkeypatch, Settings.from_env({}))
    rest, web = built["rest"], built["webchat"]
    assert isinstance(rest, RestInput) and not rest.requires_auth
    assert isinstance(web, WebChatInput) and web.jwt_key is None


def test_off_loopback_rest_and_web_chat_require_visitor_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings.from_env(
        {"TANDEM_HOST": "0.0.0.0", "TANDEM_JWT_SECRET": SECRET, "TANDEM_RASA_TOKEN": "r" * 32}
    )
    settings.check_exposure()
    built = channels(monkeypatch, settings)
    rest, web = built["rest"], built["webchat"]
    assert isinstance(rest, RestInput) and rest.requires_auth and rest.jwt_key == SECRET
    assert isinstance(web, WebChatInput) and web.jwt_key == SECRET


def test_the_rest_shared_secret_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = channels(monkeypatch, Settings.from_env({}), {"TANDEM_REST_TOKEN": "s" * 24})
    rest = built["rest"]
    assert isinstance(rest, RestInput) and rest.auth_token == "s" * 24
