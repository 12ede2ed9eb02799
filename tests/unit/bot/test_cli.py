from __future__ import annotations

import pytest

from bot.cli import EXIT_CONFIG, main


def test_exposing_the_api_beyond_loopback_needs_tokens(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("TANDEM_JWT_SECRET", raising=False)
    monkeypatch.setenv("TANDEM_RASA_TOKEN", "short")
    assert main(["run", "--host", "0.0.0.0", "--no-train"]) == EXIT_CONFIG
    assert "Serving on 0.0.0.0" in caplog.text
    assert "set TANDEM_JWT_SECRET and TANDEM_RASA_TOKEN" in caplog.text


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fly"])
    assert exc.value.code == 2


def test_no_train_without_models_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TANDEM_MODELS_DIR", str(tmp_path))
    assert main(["run", "--no-train", "--quiet"]) == EXIT_CONFIG
    assert "No trained model" in caplog.text


def test_replicas_refuse_the_embedded_profile_and_odd_counts_before_training(
    monkeypatch: pytest.MonkeyPatch, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TANDEM_MODELS_DIR", str(tmp_path))  # no model: would fail later
    assert main(["run", "--replicas", "2", "--profile", "embedded", "--no-train"]) == EXIT_CONFIG
    assert "--replicas runs the production profile" in caplog.text
    assert main(["run", "--replicas", "0", "--no-train"]) == EXIT_CONFIG
    assert "1 to 32 replicas" in caplog.text
    assert "No trained model" not in caplog.text
