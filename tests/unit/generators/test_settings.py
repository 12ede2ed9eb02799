"""TextSettings: TANDEM_* variables, safe defaults, and the extractive fallback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.errors import ConfigError
from generators.backends.extractive import ExtractiveGenerator
from generators.settings import TextSettings


def test_defaults_need_no_environment(tmp_path: Path) -> None:
    settings = TextSettings.from_env({})
    assert settings.backend == "ortgenai"
    assert settings.deadline_s == 8.0
    assert settings.knowledge_dir is None and settings.catalog_dir is None
    project = TextSettings.from_env(
        {}, models_dir=tmp_path / "models", knowledge_dir=tmp_path / "kb", catalog_dir=tmp_path
    )
    assert project.knowledge_dir == tmp_path / "kb" and project.catalog_dir == tmp_path
    assert project.local_model_path.is_relative_to(tmp_path / "models")
    assert TextSettings.from_env(
        {"TANDEM_KNOWLEDGE_DIR": "/srv/kb"}, knowledge_dir=tmp_path
    ).knowledge_dir == Path("/srv/kb")


def test_the_embedder_has_one_name_and_the_old_one_warns() -> None:
    assert TextSettings.from_env({"TANDEM_EMBEDDER_PATH": "/m/minilm"}).embedder_path == Path(
        "/m/minilm"
    )
    with pytest.warns(DeprecationWarning, match="TANDEM_EMBEDDING_MODEL is deprecated"):
        old = TextSettings.from_env({"TANDEM_EMBEDDING_MODEL": "/m/old"})
    assert old.embedder_path == Path("/m/old")
    both = {"TANDEM_EMBEDDER_PATH": "/m/new", "TANDEM_EMBEDDING_MODEL": "/m/old"}
    assert TextSettings.from_env(both).embedder_path == Path("/m/new")


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
    with pytest.raises(ConfigError, match=message):
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
    with pytest.raises(ConfigError, match="TANDEM_ANSWER_MODE='llm' is unknown"):
        TextSettings.from_env({"TANDEM_ANSWER_MODE": "llm"})


def test_each_language_can_have_its_own_encoder_and_threshold(tmp_path: Path) -> None:
    settings = TextSettings.from_env(
        {
            "TANDEM_EMBEDDER_PATH_ZH": "/models/zh",
            "TANDEM_RETRIEVAL_THRESHOLD_ZH": "0.7",
            "TANDEM_RETRIEVAL_THRESHOLD": "0.4",
        },
        models_dir=tmp_path,
    )
    assert settings.language_embedder_path("zh") == Path("/models/zh")
    assert settings.language_threshold("zh") == 0.7
    assert settings.language_embedder_path("fr") is None  # no multilingual encoder built
    assert settings.language_threshold("fr") == 0.4
    assert TextSettings.from_env({}, models_dir=tmp_path).language_threshold("zh") == 0.38
    (tmp_path / "encoders" / "multilingual-e5-small" / "source").mkdir(parents=True)
    built = TextSettings.from_env({}, models_dir=tmp_path)
    assert built.language_embedder_path("zh") == tmp_path / "encoders/multilingual-e5-small/source"
    assert built.language_threshold("zh") == 0.67  # calibrated for e5 (knowledge_zh benchmark)


def test_a_bad_language_threshold_names_its_variable() -> None:
    with pytest.raises(ConfigError, match="TANDEM_RETRIEVAL_THRESHOLD_ZH='high' is not a number"):
        TextSettings.from_env({"TANDEM_RETRIEVAL_THRESHOLD_ZH": "high"})
