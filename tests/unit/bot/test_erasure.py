"""The pure parts of bot.erasure: which database, and which log lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.erasure import id_pattern, tracker_store_url
from bot.errors import ConfigError
from tests.conftest import PROJECT_ROOT


def endpoints(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "endpoints.yml"
    path.write_text(f"tracker_store:\n{section}")
    return path


def test_the_project_endpoints_yml_gives_the_sqlite_file_of_the_run(tmp_path: Path) -> None:
    url = tracker_store_url(
        PROJECT_ROOT / "endpoints.yml",
        {"TANDEM_TRACKER_DB": str(tmp_path / "tracker.db")},
        base_dir=PROJECT_ROOT,
    )
    assert url.get_backend_name() == "sqlite" and url.database == str(tmp_path / "tracker.db")


def test_postgresql_settings_become_a_psycopg_url(tmp_path: Path) -> None:
    path = endpoints(
        tmp_path,
        "  type: bot.engine.tracker_store.RedactingSQLTrackerStore\n  dialect: postgresql\n"
        "  url: db.internal\n  port: 5433\n  db: tandem\n  username: rasa\n"
        "  password: ${PGPASSWORD}\n",
    )
    url = tracker_store_url(path, {"PGPASSWORD": "s3:cret"}, base_dir=tmp_path)
    assert url.render_as_string(hide_password=False) == (
        "postgresql+psycopg://rasa:s3%3Acret@db.internal:5433/tandem"
    )


def test_a_full_url_and_a_relative_sqlite_file(tmp_path: Path) -> None:
    full = endpoints(tmp_path, "  type: SQL\n  url: postgresql+psycopg://u@h/d\n")
    assert str(tracker_store_url(full, {}, base_dir=tmp_path)) == "postgresql+psycopg://u@h/d"
    relative = endpoints(tmp_path, "  type: SQL\n  db: state/t.db\n")
    assert tracker_store_url(relative, {}, base_dir=tmp_path).database == str(
        tmp_path / "state" / "t.db"
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  type: redis\n  url: localhost\n", "SQL stores only"),
        ("  type: SQL\n  db: ${NOT_SET}\n", "NOT_SET"),
    ],
)
def test_what_erase_cannot_handle_is_a_config_error(
    tmp_path: Path, section: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        tracker_store_url(endpoints(tmp_path, section), {}, base_dir=tmp_path)


@pytest.mark.parametrize(
    ("conversation_id", "line", "names_it"),
    [
        ("rest:alice", "handling a message from rest:alice failed", True),
        ("rest:alice", 'GET /conversations/rest%3Aalice/tracker "200"', True),
        ("rest:alice", "from rest:alice2 and rest:alicex", False),
        ("web:ünï çødé", '{"sender": "web:\\u00fcn\\u00ef \\u00e7\\u00f8d\\u00e9"}', True),
        ("web:ünï çødé", "GET /conversations/web%3A%C3%BCn%C3%AF%20%C3%A7%C3%B8d%C3%A9", True),
        ("slack:T1:C2:1700.1", "sync of slack:T1:C2:1700.1 failed", True),
        ("slack:T1:C2:1700.1", "sync of slack:T1:C2:1700.12 failed", False),
    ],
)
def test_id_pattern(conversation_id: str, line: str, names_it: bool) -> None:
    assert bool(id_pattern(conversation_id).search(line)) is names_it
