"""The production profile is one switch: TANDEM_PROFILE or ``bot run --profile``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import _parser, _settings
from bot.errors import ConfigError
from bot.settings import PRODUCTION_DEFAULTS, Settings, handoff_postgres_url
from bot.supervisor import Supervisor
from tests.conftest import PROJECT_ROOT


def test_the_embedded_run_stays_the_default(tmp_path: Path) -> None:
    s = Settings.from_env({})
    assert (s.profile, s.endpoints_file) == ("embedded", "endpoints.yml")
    assert "TANDEM_POSTGRES_HOST" not in s.engine_env({})
    supervisor = Supervisor(s, model=tmp_path / "m.tar.gz")
    assert supervisor.rasa.command[supervisor.rasa.command.index("--endpoints") + 1] == (
        "endpoints.yml"
    )
    assert "--rabbitmq" not in supervisor.analytics.command


def test_production_reads_its_endpoints_and_streams_through_rabbitmq(tmp_path: Path) -> None:
    s = Settings.from_env({"TANDEM_PROFILE": "Production"})
    assert s.endpoints_file == "endpoints.production.yml"
    assert (PROJECT_ROOT / s.endpoints_file).is_file()
    supervisor = Supervisor(s, model=tmp_path / "m.tar.gz")
    rasa, analytics = supervisor.rasa, supervisor.analytics
    assert rasa.command[rasa.command.index("--endpoints") + 1] == "endpoints.production.yml"
    assert analytics.command[-1] == "--rabbitmq"
    assert analytics.env["TANDEM_RABBITMQ_HOST"] == "127.0.0.1"


def test_production_fills_what_the_endpoints_file_expands_and_keeps_what_is_set() -> None:
    s = Settings.from_env({"TANDEM_PROFILE": "production"})
    env = s.engine_env({"TANDEM_REDIS_HOST": "redis.internal", "TANDEM_POSTGRES_PASSWORD": "pw"})
    assert env["TANDEM_REDIS_HOST"] == "redis.internal"
    assert env["TANDEM_POSTGRES_PASSWORD"] == "pw"
    assert env["TANDEM_POSTGRES_HOST"] == "127.0.0.1"
    text = (PROJECT_ROOT / "endpoints.production.yml").read_text()
    expanded = set(re.findall(r"\$\{(\w+)\}", text))
    assert "TANDEM_POSTGRES_PASSWORD" in expanded
    assert expanded <= set(env)  # an unset ${VAR} stops Rasa at start
    assert set(PRODUCTION_DEFAULTS) <= expanded


def test_the_cli_flag_selects_the_profile_and_a_bad_name_says_which_exist() -> None:
    args = _parser().parse_args(["run", "--profile", "production", "--no-train"])
    assert _settings(args).profile == "production"
    with pytest.raises(SystemExit):
        _parser().parse_args(["run", "--profile", "cluster"])
    with pytest.raises(ConfigError, match="embedded, production"):
        Settings.from_env({"TANDEM_PROFILE": "cluster"})


def test_production_puts_the_handoff_database_on_postgresql_without_the_password() -> None:
    assert "TANDEM_HANDOFF_DB_URL" not in Settings.from_env({}).handoff_env({})
    s = Settings.from_env({"TANDEM_PROFILE": "production"})
    env = s.handoff_env({"TANDEM_POSTGRES_PASSWORD": "s3cret"})
    assert env["TANDEM_HANDOFF_DB_URL"] == (
        "postgresql+psycopg://tandem@127.0.0.1:5432/tandem_handoff"
    )
    assert env["PGPASSWORD"] == "s3cret"  # libpq's variable, never the URL
    assert "PGPASSWORD" not in s.handoff_env({})
    own = s.handoff_env({"TANDEM_HANDOFF_DB_URL": "postgresql+psycopg://desk@db/desk"})
    assert own["TANDEM_HANDOFF_DB_URL"] == "postgresql+psycopg://desk@db/desk"
    assert (
        handoff_postgres_url(
            {
                "TANDEM_POSTGRES_HOST": "::1",
                "TANDEM_POSTGRES_PORT": "6432",
                "TANDEM_POSTGRES_USER": "a b",
                "TANDEM_HANDOFF_DB": "desk",
            }
        )
        == "postgresql+psycopg://a%20b@[::1]:6432/desk"
    )


def test_every_action_server_of_a_run_gets_one_order_verification_key() -> None:
    s = Settings.from_env({})
    assert (
        s.engine_env({})["TANDEM_ORDERS_VERIFY_KEY"] == s.engine_env({})["TANDEM_ORDERS_VERIFY_KEY"]
    )
    assert len(s.orders_verify_key) >= 32
    kept = Settings.from_env({"TANDEM_ORDERS_VERIFY_KEY": "k" * 40})
    assert kept.engine_env({})["TANDEM_ORDERS_VERIFY_KEY"] == "k" * 40
