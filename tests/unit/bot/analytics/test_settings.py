"""TANDEM_ANALYTICS_* variables: defaults, the generated key, and errors that say how to fix."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.analytics.settings import KEY_FILE, AnalyticsSettings
from bot.errors import ConfigError


def test_defaults_put_the_store_and_a_generated_key_in_the_state_dir(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    caplog.set_level(logging.DEBUG)
    settings = AnalyticsSettings.from_env({"TANDEM_STATE_DIR": str(state)})
    assert settings.db_url == f"sqlite:///{state.resolve() / 'analytics.db'}"
    assert (settings.retention_days, settings.abandon_after_s) == (400, 1800.0)
    assert (settings.settle_every_s, settings.prune_every_s) == (60.0, 3600.0)
    key_file = state / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(settings.key) == 64 and key_file.read_text().strip() == settings.key
    assert settings.key not in repr(settings) and settings.key not in caplog.text
    again = AnalyticsSettings.from_env({"TANDEM_STATE_DIR": str(state)})
    assert again.key == settings.key  # made once, then kept


def test_the_project_folder_places_the_state_dir(tmp_path: Path) -> None:
    settings = AnalyticsSettings.from_env({"TANDEM_PROJECT_DIR": str(tmp_path)})
    assert settings.db_url == f"sqlite:///{tmp_path.resolve() / '.tandem' / 'analytics.db'}"
    assert (tmp_path / ".tandem" / KEY_FILE).exists()


def test_variables_override_the_defaults(tmp_path: Path) -> None:
    env = {
        "TANDEM_STATE_DIR": str(tmp_path),
        "TANDEM_ANALYTICS_DB_URL": "postgresql+psycopg://u@db/analytics",
        "TANDEM_ANALYTICS_KEY": "k" * 40,
        "TANDEM_ANALYTICS_RETENTION_DAYS": "90",
        "TANDEM_ANALYTICS_ABANDON_AFTER_S": "600",
        "TANDEM_ANALYTICS_SETTLE_EVERY_S": "5",
        "TANDEM_ANALYTICS_PRUNE_EVERY_S": "120",
    }
    settings = AnalyticsSettings.from_env(env)
    assert settings == AnalyticsSettings(
        "postgresql+psycopg://u@db/analytics", "k" * 40, 90, 600.0, 5.0, 120.0
    )
    assert not (tmp_path / KEY_FILE).exists()


def test_without_create_key_no_key_is_made(tmp_path: Path) -> None:
    settings = AnalyticsSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path)}, create_key=False)
    assert settings.key == "" and not (tmp_path / KEY_FILE).exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TANDEM_ANALYTICS_KEY", "too-short", "secrets.token_hex"),
        ("TANDEM_ANALYTICS_RETENTION_DAYS", "a year", "not a whole number"),
        ("TANDEM_ANALYTICS_RETENTION_DAYS", "0", "between 1 and"),
        ("TANDEM_ANALYTICS_ABANDON_AFTER_S", "soon", "not a number"),
        ("TANDEM_ANALYTICS_SETTLE_EVERY_S", "0", "between 0.1 and"),
        ("TANDEM_ANALYTICS_PRUNE_EVERY_S", "hourly", "not a number"),
    ],
)
def test_bad_values_are_config_errors_naming_the_fix(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        AnalyticsSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path), variable: value})
    assert variable in str(caught.value)


def test_a_damaged_key_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(ConfigError, match="delete the file"):
        AnalyticsSettings.from_env({"TANDEM_STATE_DIR": str(tmp_path)})
