"""bot.encoders.finetune: the contrastive loss, input checks, a real (short) fine-tune + export.

Runs in the actions venv (torch), like the module it tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from bot.encoders.finetune import (
    FineTuneConfig,
    FineTuneError,
    fine_tune,
    main,
    read_examples,
    supervised_contrastive_loss,
)

EXAMPLES = [
    ("I lost my card", "lost_card"),
    ("my card is gone, I can't find it", "lost_card"),
    ("I misplaced my bank card", "lost_card"),
    ("someone stole my card", "stolen_card"),
    ("my wallet with the card was stolen", "stolen_card"),
    ("a thief took my card", "stolen_card"),
    ("how long does a transfer take", "transfer_time"),
    ("when will my transfer arrive", "transfer_time"),
    ("is my transfer still pending", "transfer_time"),
]


def test_loss_is_lower_when_intents_form_tight_clusters() -> None:
    import torch

    labels = torch.tensor([0, 0, 1, 1])
    clustered = torch.nn.functional.normalize(
        torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0], [0.1, 0.99]]), dim=1
    )
    mixed = clustered[[0, 2, 1, 3]]
    assert supervised_contrastive_loss(clustered, labels, 0.1) < supervised_contrastive_loss(
        mixed, labels, 0.1
    )


def test_a_multilingual_vocabulary_keeps_its_embeddings_frozen() -> None:
    from bot.encoders.finetune import embeddings_frozen

    assert embeddings_frozen("auto", 250_037) and not embeddings_frozen("auto", 30_522)
    assert embeddings_frozen("yes", 30_522) and not embeddings_frozen("no", 250_037)
    with pytest.raises(FineTuneError, match="auto, yes or no"):
        embeddings_frozen("sometimes", 10)


def test_one_intent_is_refused_with_a_fix() -> None:
    with pytest.raises(FineTuneError, match="at least two intents"):
        fine_tune(Path("unused"), [("a", "x"), ("b", "x")], Path("unused"))


def test_steps_follow_epochs_and_are_capped() -> None:
    config = FineTuneConfig(epochs=10, max_steps=300, intents_per_batch=32, examples_per_intent=2)
    assert config.steps_for(770) == 120  # Banking77, 10 per intent
    assert config.steps_for(15_000) == 300  # CLINC150: capped
    assert config.steps_for(3) == 10


def test_malformed_examples_file_gets_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "examples.json"
    bad.write_text('{"text": "hi"}')
    with pytest.raises(FineTuneError, match="JSON list"):
        read_examples(bad)
    bad.write_text("not json")
    with pytest.raises(FineTuneError, match="cannot read"):
        read_examples(bad)
    assert main(["--examples", str(bad), "--out", str(tmp_path / "out")]) == 2


@pytest.mark.slow
def test_fine_tune_pulls_intents_apart_and_exports_a_working_encoder(tmp_path: Path) -> None:
    from bot.nlu.encoder import ENCODER_FILES, OnnxSentenceEncoder
    from generators.embeddings import default_model_path

    base = default_model_path()
    out = tmp_path / "tuned"
    config = FineTuneConfig(epochs=30, max_steps=30, intents_per_batch=3, examples_per_intent=3,
                            learning_rate=5e-5, threads=1)  # fmt: skip
    manifest = fine_tune(base, EXAMPLES, out, config)

    assert all((out / name).exists() for name in ENCODER_FILES)
    written = json.loads((out / "encoder.json").read_text())
    assert written == manifest
    assert manifest["source"] == str(base)
    assert manifest["fine_tune"]["steps"] == 30 and manifest["fine_tune"]["intents"] == 3

    def margin(vectors: np.ndarray) -> float:
        labels = np.array([i for _, i in EXAMPLES])
        sim = vectors @ vectors.T
        same = labels[:, None] == labels[None, :]
        np.fill_diagonal(same, False)
        other = labels[:, None] != labels[None, :]
        return float(sim[same].mean() - sim[other].mean())

    texts = [t for t, _ in EXAMPLES]
    tuned = OnnxSentenceEncoder(out, num_threads=1).embed(texts)
    assert np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-4)
    from sentence_transformers import SentenceTransformer

    frozen = SentenceTransformer(str(base), device="cpu").encode(texts, normalize_embeddings=True)
    assert margin(tuned) > margin(frozen) + 0.1
