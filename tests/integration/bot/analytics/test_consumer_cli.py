"""``python -m bot analytics consume --once`` against an unreachable database: a clear exit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.analytics.consumer import main
from bot.cli import EXIT_STORE
from bot.cli import main as tandem
from bot.contract.outbox import Outbox
from bot.errors import StoreError

ENVELOPES = [
    {"sender_id": "rest:a", "tandem_seq": i, "event": "user", "timestamp": 1.7e9 + i}
    for i in range(2)
]


def env(tmp_path: Path) -> dict[str, str]:
    return {
        "TANDEM_ANALYTICS_OUTBOX": str(tmp_path / "outbox.db"),
        "TANDEM_STATE_DIR": str(tmp_path),
        "TANDEM_ANALYTICS_KEY": "k" * 32,
        "TANDEM_ANALYTICS_DB_URL": "postgresql+psycopg://tandem@127.0.0.1:9/analytics",
    }


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.analytics.consumer.Backoff.next_delay", lambda self: 0.0)


def test_once_gives_up_with_a_store_error_and_keeps_the_events(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.append(ENVELOPES)
    with pytest.raises(StoreError, match="TANDEM_ANALYTICS_DB_URL"):
        main(["consume", "--once"], env(tmp_path))
    assert Outbox(tmp_path / "outbox.db").pending() == 2


def test_the_tandem_command_maps_it_to_its_store_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for key, value in env(tmp_path).items():
        monkeypatch.setenv(key, value)
    with caplog.at_level(logging.ERROR):
        assert tandem(["analytics", "consume", "--once"]) == EXIT_STORE
    assert "could not be reached" in caplog.text
