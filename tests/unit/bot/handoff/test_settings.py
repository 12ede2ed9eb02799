from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.handoff import HandoffSettings


def test_defaults_are_the_embedded_run(tmp_path: Path) -> None:
    settings = HandoffSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path)})
    assert settings.db_url == f"sqlite:///{tmp_path / 'handoff.db'}"
    assert (settings.host, settings.port) == ("127.0.0.1", 5070)
    assert settings.rasa_url == "http://127.0.0.1:5005"
    # the support hours written in data/knowledge/support.md, in UK time
    assert settings.open_hours.describe() == "Mon-Sat 09:00-18:00 (Europe/London time)"
    assert settings.status_channels == ("webchat",)
    assert (settings.max_queue, settings.session_idle_min, settings.session_max_h) == (20, 30, 8)
    assert settings.sweep_s == 2.0
    assert settings.secure_cookies is False


def test_everything_from_the_environment() -> None:
    settings = HandoffSettings.from_env(
        {
            "TANDEM_HANDOFF_DB_URL": "postgresql+psycopg://u@db/handoff",
            "TANDEM_HANDOFF_HOST": "0.0.0.0",
            "TANDEM_HANDOFF_PORT": "6070",
            "TANDEM_HANDOFF_RASA_URL": "http://rasa:5005/",
            "TANDEM_HANDOFF_RASA_TOKEN": "rasa-secret-xyz",
            "TANDEM_HANDOFF_SERVICE_TOKEN": "service-secret-0123456789",
            "TANDEM_HANDOFF_OPEN_HOURS": "mon-fri 09:00-17:00",
            "TANDEM_HANDOFF_TIMEZONE": "Europe/London",
            "TANDEM_HANDOFF_MAX_QUEUE": "5",
            "TANDEM_HANDOFF_SESSION_IDLE_MIN": "10",
            "TANDEM_HANDOFF_SESSION_MAX_H": "2",
            "TANDEM_HANDOFF_SWEEP_S": "0.5",
            "TANDEM_HANDOFF_PUBLIC_ORIGIN": "https://console.example.com/",
        }
    )
    assert settings.secure_cookies is True  # not loopback
    assert settings.rasa_url == "http://rasa:5005"
    assert settings.public_origin == "https://console.example.com"
    assert settings.open_hours.timezone == "Europe/London"
    assert (settings.port, settings.max_queue, settings.sweep_s) == (6070, 5, 0.5)
    assert settings.check() is settings
    assert "service-secret" not in repr(settings) and "rasa-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TANDEM_HANDOFF_PORT": "http"}, "whole number"),
        ({"TANDEM_HANDOFF_MAX_QUEUE": "0"}, "out of range"),
        ({"TANDEM_HANDOFF_SWEEP_S": "fast"}, "not a number"),
        ({"TANDEM_HANDOFF_SECURE_COOKIES": "maybe"}, "boolean"),
        ({"TANDEM_HANDOFF_OPEN_HOURS": "always open"}, "OPEN_HOURS"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HandoffSettings.from_env(env)


def test_check_wants_a_real_service_token_and_urls() -> None:
    with pytest.raises(ConfigError, match="make run"):
        HandoffSettings(service_token="short").check()
    with pytest.raises(ConfigError, match="http"):
        HandoffSettings(service_token="s" * 32, rasa_url="rasa:5005").check()
    loopback_but_secure = HandoffSettings.from_env({"TANDEM_HANDOFF_SECURE_COOKIES": "true"})
    assert loopback_but_secure.secure_cookies is True


def test_the_support_hours_come_from_the_page_the_bot_answers_from(tmp_path: Path) -> None:
    page = tmp_path / "support.md"
    page.write_text(
        "# Support\nOur team answers Monday to Friday 08:30-17:00 and Saturday 10:00-14:00.\n",
        encoding="utf-8",
    )
    settings = HandoffSettings.from_env(
        {"TANDEM_HANDOFF_HOURS_FILE": str(page), "TANDEM_HANDOFF_TIMEZONE": "Europe/Paris"}
    )
    assert [r.text for r in settings.open_hours.ranges] == [
        "mon-fri 08:30-17:00",
        "sat 10:00-14:00",
    ]
    assert settings.open_hours.timezone == "Europe/Paris"
    # an operator's explicit hours win
    always = HandoffSettings.from_env(
        {"TANDEM_HANDOFF_HOURS_FILE": str(page), "TANDEM_HANDOFF_OPEN_HOURS": "always"}
    )
    assert always.open_hours.always


@pytest.mark.parametrize("content", [None, "# Support\nWrite to us any time.\n"])
def test_an_unreadable_hours_page_is_a_clear_error(tmp_path: Path, content: str | None) -> None:
    page = tmp_path / "support.md"
    if content is not None:
        page.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"HOURS|support hours"):
        HandoffSettings.from_env({"TANDEM_HANDOFF_HOURS_FILE": str(page)})


def test_the_name_and_support_hours_come_from_the_project(tmp_path: Path) -> None:
    from tests.conftest import PROJECT_ROOT

    volt = HandoffSettings.from_env({"TANDEM_PROJECT_DIR": str(PROJECT_ROOT)})
    assert volt.assistant_name == "Volt"
    assert volt.open_hours.describe() == "Mon-Sat 09:00-18:00 (Europe/London time)"
    assert volt.db_url == f"sqlite:///{PROJECT_ROOT / '.tandem' / 'handoff.db'}"
    bare = HandoffSettings.from_env({"TANDEM_PROJECT_DIR": str(tmp_path)})
    assert bare.assistant_name == "the assistant" and bare.open_hours.always
    named = {"TANDEM_PROJECT_DIR": str(tmp_path), "TANDEM_HANDOFF_ASSISTANT_NAME": "Ada"}
    assert HandoffSettings.from_env(named).assistant_name == "Ada"


def test_live_updates_follow_the_database_unless_told(tmp_path: Path) -> None:
    embedded = HandoffSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path)})
    assert (embedded.live, embedded.live_backend) == ("auto", "process")
    shared = {"TANDEM_HANDOFF_DB_URL": "postgresql+psycopg://u@db/handoff"}
    assert HandoffSettings.from_env(shared).live_backend == "postgres"
    forced = HandoffSettings.from_env({**shared, "TANDEM_HANDOFF_LIVE": "Process"})
    assert forced.live_backend == "process"
    token = "service-secret-0123456789"
    with pytest.raises(ConfigError, match="needs the handoff database on PostgreSQL"):
        HandoffSettings(service_token=token, live="postgres").check()
    with pytest.raises(ConfigError, match="TANDEM_HANDOFF_LIVE='redis' is not one of"):
        HandoffSettings(service_token=token, live="redis").check()
