"""TextSettings: TANDEM_* variables, safe defaults, and the extractive fallback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from generators.backends.extractive import ExtractiveGenerator
from generators.errors import GeneratorError
from generators.settings import TextSettings


def test_defaults_need_no_environment() -> None:
    settings = TextSettings.from_env({})
    assert settings.backend == "ortgenai"
    assert settings.deadline_s == 8.0
    assert settings.knowledge_dir.name == "knowledge"


def test_reads_tandem_variables() -> None:
    settings = TextSettings.from_env(
        {
            "TANDEM_TEXT_BACKEND": "openai",
            "TANDEM_TEXT_DEADLINE_S": "3.5",
            "TANDEM_OPENAI_BASE_URL": "http://gpu:8000/v1",
            "TANDEM_OPENAI_MODEL": "qwen",
            "TANDEM_RETRIEVAL_THRESHOLD": "0.5",
        }
    )
    assert settings.backend_kwargs() == {
        "base_url": "http://gpu:8000/v1",
        "model": "qwen",
        "api_key": "not-needed",
        "timeout_s": 3.5,
    }
    assert settings.retrieval_threshold == 0.5


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TANDEM_TEXT_BACKEND": "gpt5"}, "is unknown"),
        ({"TANDEM_TEXT_DEADLINE_S": "soon"}, "is not a number"),
    ],
)
def test_bad_values_fail_with_a_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(GeneratorError, match=message):
        TextSettings.from_env(env)


def test_a_missing_model_falls_back_to_extractive_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = TextSettings.from_env({"TANDEM_TEXT_MODEL_PATH": str(tmp_path / "absent")})
    with caplog.at_level(logging.WARNING):
        assert isinstance(settings.build_generator(), ExtractiveGenerator)
    assert "unavailable" in caplog.text and "convert" in caplog.text


def test_answers_are_extractive_unless_generation_is_asked_for() -> None:
    assert TextSettings.from_env({}).answer_mode == "extractive"
    assert not TextSettings.from_env({}).generates_answers
    assert TextSettings.from_env({"TANDEM_ANSWER_MODE": "generate"}).generates_answers
    assert TextSettings.from_env({"TANDEM_CATALOG_DIR": "/srv/cat"}).catalog_dir == Path("/srv/cat")
    with pytest.raises(GeneratorError, match="TANDEM_ANSWER_MODE='llm' is unknown"):
        TextSettings.from_env({"TANDEM_ANSWER_MODE": "llm"})
