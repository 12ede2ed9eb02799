"""A model trained with ``rasa train nlu`` loads and parses like ``rasa shell --nlu``."""

from __future__ import annotations

import asyncio
import shutil
import tarfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]

BAD_INPUT = ["", "😀🙈🎉", ("opening hours " * 800).strip(), "Когда вы открыты? 营业时间 hours?"]


def _train(project: Path) -> Path:
    from rasa.model_training import train_nlu

    result = train_nlu(
        config=str(project / "config.yml"),
        nlu_data=str(project / "data"),
        output=str(project / "models"),
        domain=str(project / "domain.yml"),
        fixed_model_name="nlu",
    )
    assert result, "rasa train nlu produced no model"
    return Path(result)


def _parse(model: Path, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [asyncio.run(agent.parse_message(text)) for text in texts]


def test_trained_model_is_self_contained_and_parses(
    tiny_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _train(tiny_project)
    with tarfile.open(model) as archive:
        assert any(name.endswith("encoder.onnx") for name in archive.getnames())
    moved = tmp_path / "elsewhere" / model.name
    moved.parent.mkdir()
    shutil.move(model, moved)
    # The encoder travels inside the model: parsing must not need the export folder.
    monkeypatch.chdir(moved.parent)

    greet, hours, nonsense, *bad = _parse(
        moved, ["hello!", "are you open on saturday?", "purple elephant quantum", *BAD_INPUT]
    )

    assert greet["intent"]["name"] == "greet"
    assert hours["intent"]["name"] == "ask_store_hours"
    assert hours["intent_ranking"][0]["name"] == "ask_store_hours"
    assert nonsense["intent"]["name"] in {"nlu_fallback", "out_of_scope"}
    assert [p["text"] for p in bad] == BAD_INPUT
    assert bad[0]["intent"]["name"] is None
    assert all(p["intent"]["name"] is not None for p in bad[1:])


def test_cascade_classifier_trains_and_parses_through_rasa(
    tiny_project: Path, encoder_dir: Path
) -> None:
    # The second encoder is the same MiniLM export here (mpnet is an optional download);
    # escalate_below: 1 sends every message through it, so its path is exercised.
    config = (tiny_project / "config.yml").read_text()
    (tiny_project / "config.yml").write_text(
        config.replace(
            "bot.nlu.classifier.SentenceEmbeddingIntentClassifier",
            f"bot.nlu.cascade.CascadeIntentClassifier\n"
            f"    second_encoder_path: {encoder_dir}\n"
            f"    num_threads: 1\n"
            f"    escalate_below: 1.0",
        )
    )
    model = _train(tiny_project)
    with tarfile.open(model) as archive:
        assert any(name.endswith("second_opinion.npz") for name in archive.getnames())

    greet, hours, *bad = _parse(model, ["hello!", "are you open on saturday?", *BAD_INPUT])

    assert greet["intent"]["name"] == "greet"
    assert hours["intent"]["name"] == "ask_store_hours"
    assert [p["text"] for p in bad] == BAD_INPUT
    assert bad[0]["intent"]["name"] is None
    assert all(p["intent"]["name"] is not None for p in bad[1:])
