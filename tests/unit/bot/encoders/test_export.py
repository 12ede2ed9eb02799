"""The ONNX export of bot.encoders.export reproduces sentence-transformers' embeddings.

Runs in the actions venv (torch), like the module it tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_export_matches_sentence_transformers(tmp_path: Path) -> None:
    from bot.encoders.export import export
    from bot.nlu.encoder import OnnxSentenceEncoder
    from generators.embeddings import SentenceTransformerEmbedder, default_model_path

    manifest = export(default_model_path(), tmp_path)
    texts = ["where is my card?", "", "😀", "Мой платёж hasn't arrived", "word " * 600]

    onnx = OnnxSentenceEncoder(tmp_path, num_threads=1).embed(texts)
    reference = SentenceTransformerEmbedder().embed(texts)

    assert manifest["pooling"] == "mean" and manifest["normalize"] is True
    assert np.allclose((onnx * reference).sum(axis=1), 1.0, atol=1e-4)


def test_export_refuses_a_folder_without_a_model(tmp_path: Path) -> None:
    from bot.encoders.export import ExportError, export

    with pytest.raises(ExportError, match=r"config\.json"):
        export(tmp_path, tmp_path / "out")


def test_sentence_layers_are_each_layers_pooled_vector_at_unit_length(tmp_path: Path) -> None:
    """``sentence_layers`` concatenates the chosen hidden layers' mean-pooled vectors, each
    normalised; the last layer's part is the ordinary sentence embedding."""
    import json

    import torch
    from transformers import AutoModel, AutoTokenizer

    from bot.encoders.export import export
    from bot.nlu.encoder import EncoderNotFound, OnnxSentenceEncoder
    from generators.embeddings import default_model_path

    manifest = export(default_model_path(), tmp_path / "enc")
    assert manifest["hidden_layers"] == 7  # the input embeddings and MiniLM-L6's 6 layers
    texts = ["where is my card?", "Мой платёж 未到", "open on sunday?"]
    plain = OnnxSentenceEncoder(tmp_path / "enc", num_threads=1)
    layered = OnnxSentenceEncoder(tmp_path / "enc", num_threads=1, sentence_layers=[-1, -4])
    assert (plain.sentence_dim, layered.sentence_dim) == (384, 768)
    vectors = layered.embed(texts)
    assert vectors.shape == (3, 768)
    assert np.allclose(vectors[:, :384], plain.embed(texts), atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors[:, 384:], axis=1), 1.0, atol=1e-5)
    # the lower part is layer 3's mean over the words, as transformers computes it
    tokenizer = AutoTokenizer.from_pretrained(str(default_model_path()))
    model = AutoModel.from_pretrained(str(default_model_path())).eval()
    with torch.no_grad():
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        states = model(**batch, output_hidden_states=True).hidden_states[-4]
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=1)
    assert np.allclose((vectors[:, 384:] * pooled.numpy()).sum(axis=1), 1.0, atol=1e-4)
    # the token vectors stay the last layer's, whatever the sentence reads
    assert layered.encode(texts[:1])[0].tokens.shape[1] == 384

    with pytest.raises(ValueError, match="out of range"):
        OnnxSentenceEncoder(tmp_path / "enc", sentence_layers=[7])
    # an encoder exported before the layers output: a message that says to export again
    old = json.loads((tmp_path / "enc" / "encoder.json").read_text())
    del old["hidden_layers"]
    (tmp_path / "enc" / "encoder.json").write_text(json.dumps(old))
    with pytest.raises(EncoderNotFound, match="export it again"):
        OnnxSentenceEncoder(tmp_path / "enc", sentence_layers=[-1])
    assert OnnxSentenceEncoder(tmp_path / "enc").sentence_dim == 384  # without layers: fine
