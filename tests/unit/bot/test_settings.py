from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings


def test_defaults_are_the_embedded_run() -> None:
    s = Settings.from_env({})
    assert (s.host, s.rasa_port, s.action_port) == ("127.0.0.1", 5005, 5055)
    assert s.tracker_db == s.state_dir / "tracker.db"
    assert s.action_server_url == "http://127.0.0.1:5055/webhook"


def test_environment_overrides(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "TANDEM_RASA_PORT": "6005",
            "TANDEM_ACTION_PORT": "6055",
            "TANDEM_STATE_DIR": str(tmp_path),
        }
    )
    assert (s.rasa_port, s.action_port, s.state_dir) == (6005, 6055, tmp_path)
    env = s.engine_env({})
    assert env["TANDEM_ACTION_SERVER_URL"] == "http://127.0.0.1:6055/webhook"
    assert env["TANDEM_TRACKER_DB"] == str(tmp_path / "tracker.db")
    assert env["RASA_TELEMETRY_ENABLED"] == "false"


@pytest.mark.parametrize(("value", "match"), [("http", "not a whole number"), ("70000", "range")])
def test_bad_ports_say_what_to_do(value: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Settings.from_env({"TANDEM_RASA_PORT": value})


def test_flags_override_and_none_is_ignored() -> None:
    s = Settings.from_env({}).with_overrides(rasa_port=7000, action_port=None)
    assert (s.rasa_port, s.action_port) == (7000, 5055)


def test_rasa_url_uses_loopback_for_wildcard_host() -> None:
    assert Settings(host="0.0.0.0", rasa_port=1).rasa_url == "http://127.0.0.1:1"


def test_off_loopback_tokens_are_required_and_reach_rasa_through_its_environment(
    tmp_path: Path,
) -> None:
    from bot.supervisor import Supervisor

    Settings.from_env({}).check_exposure()  # loopback: nothing needed
    secret, token, api_secret = "s" * 40, "t" * 40, "a" * 40
    s = Settings.from_env(
        {
            "TANDEM_HOST": "0.0.0.0",
            "TANDEM_JWT_SECRET": secret,
            "TANDEM_RASA_TOKEN": token,
            "TANDEM_API_JWT_SECRET": api_secret,
        }
    )
    s.check_exposure()
    rasa = Supervisor(s, model=tmp_path / "m.tar.gz").rasa
    assert not {secret, token, api_secret} & set(rasa.command)
    assert "--auth-token" not in rasa.command and "--jwt-secret" not in rasa.command
    assert rasa.env["TANDEM_RASA_TOKEN"] == token
    assert rasa.env["TANDEM_API_JWT_SECRET"] == api_secret  # the API's key, not the visitors'
    assert rasa.env["TANDEM_HOST"] == "0.0.0.0"
    assert "TANDEM_API_JWT_SECRET" not in s.handoff_env()
    with pytest.raises(ConfigError, match="TANDEM_JWT_SECRET"):
        Settings.from_env({"TANDEM_HOST": "0.0.0.0", "TANDEM_RASA_TOKEN": token}).check_exposure()
    with pytest.raises(ConfigError, match="TANDEM_API_JWT_SECRET"):
        Settings.from_env(
            {"TANDEM_HOST": "0.0.0.0", "TANDEM_JWT_SECRET": secret, "TANDEM_API_JWT_SECRET": "x"}
        ).check_exposure()


def test_the_rasa_api_token_is_random_per_run_unless_set() -> None:
    a, b = Settings.from_env({}), Settings.from_env({})
    assert a.rasa_token != b.rasa_token and len(a.rasa_token) >= 32
    assert a.handoff_env()["TANDEM_HANDOFF_RASA_TOKEN"] == a.rasa_token
    assert Settings.from_env({"TANDEM_RASA_TOKEN": "chosen"}).rasa_token == "chosen"
    assert a.rasa_token not in repr(a)


def test_internal_tokens_are_random_per_run_and_shared_through_the_environment() -> None:
    a, b = Settings.from_env({}), Settings.from_env({})
    assert a.service_token != b.service_token
    env = a.handoff_env()
    assert env["TANDEM_HANDOFF_SERVICE_TOKEN"] == a.service_token
    assert env["TANDEM_HANDOFF_RASA_URL"] == a.rasa_url
    assert Settings.from_env(env).service_token == a.service_token
    assert a.service_token not in repr(a)


def test_the_venvs_default_to_the_projects_own_then_to_the_running_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project outside the repository finds the venvs its ``tandem`` runs in."""
    from bot import settings as settings_module

    venvs = tmp_path / "venvs"
    (venvs / "engine" / "bin").mkdir(parents=True)
    (venvs / "engine" / "bin" / "python").write_text("")
    (venvs / "actions").mkdir()
    project = tmp_path / "shop"
    project.mkdir()
    monkeypatch.setattr(settings_module.sys, "prefix", str(venvs / "actions"))
    assert settings_module.default_venv_dir(project) == venvs
    (project / ".venv" / "engine").mkdir(parents=True)
    assert settings_module.default_venv_dir(project) == project / ".venv"
    monkeypatch.setattr(settings_module.sys, "prefix", str(tmp_path / "elsewhere"))
    (project / ".venv" / "engine").rmdir()
    assert settings_module.default_venv_dir(project) == project / ".venv"
