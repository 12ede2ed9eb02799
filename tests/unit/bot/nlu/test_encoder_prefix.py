"""An encoder whose manifest names a query prefix (e5's "query: ") adds it itself."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from bot.nlu.encoder import MANIFEST, OnnxSentenceEncoder


def test_the_prefix_is_encoded_but_offsets_stay_those_of_the_text(
    encoder_dir: Path, tmp_path: Path
) -> None:
    prefixed = tmp_path / "prefixed"
    shutil.copytree(encoder_dir, prefixed)
    manifest = json.loads((prefixed / MANIFEST).read_text())
    (prefixed / MANIFEST).write_text(json.dumps({**manifest, "prefix": "query: "}))
    plain = OnnxSentenceEncoder(encoder_dir, num_threads=1)
    with_prefix = OnnxSentenceEncoder(prefixed, num_threads=1)

    text = "where is my card"
    [encoded] = with_prefix.encode([text])
    assert np.allclose(encoded.sentence, plain.embed(["query: " + text])[0], atol=1e-5)
    assert [text[a:b] for a, b in encoded.offsets] == ["where", "is", "my", "card"]
    assert len(encoded.tokens) == len(encoded.offsets)
