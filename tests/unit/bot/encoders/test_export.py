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
