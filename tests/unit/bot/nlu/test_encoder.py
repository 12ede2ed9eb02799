"""The ONNX sentence encoder: real model, bad input, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.nlu.encoder import OnnxSentenceEncoder
from bot.nlu.errors import EncoderNotFound, NLUError

pytestmark = [pytest.mark.engine, pytest.mark.slow]

BAD_INPUT = ["", "😀🙈🎉", "card " * 2000, "Мой платёж 未到 hasn't arrived ✈️"]


@pytest.fixture(scope="module")
def encoder(encoder_dir: Path) -> OnnxSentenceEncoder:
    return OnnxSentenceEncoder(encoder_dir, num_threads=1)


def test_embeddings_are_unit_vectors_and_similar_texts_are_close(
    encoder: OnnxSentenceEncoder,
) -> None:
    lost, stolen, weather = encoder.embed(
        ["I lost my card", "my card was stolen", "will it rain tomorrow"]
    )
    assert np.allclose(np.linalg.norm([lost, stolen, weather], axis=1), 1.0, atol=1e-5)
    assert lost @ stolen > lost @ weather + 0.2


def test_batching_does_not_change_results(encoder: OnnxSentenceEncoder) -> None:
    texts = ["short", "a much longer sentence about opening hours on sunday", "mid length"]
    together = encoder.embed(texts)
    alone = np.stack([encoder.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_bad_input_is_encoded_not_rejected_and_long_text_is_truncated(
    encoder: OnnxSentenceEncoder,
) -> None:
    encoded = encoder.encode(BAD_INPUT)

    assert [e.sentence.shape for e in encoded] == [(encoder.dim,)] * len(BAD_INPUT)
    assert all(np.isfinite(e.sentence).all() for e in encoded)
    assert len(encoded[2].offsets) == encoder.max_length - 2  # [CLS] and [SEP] kept
    assert encoded[0].tokens.shape == (0, encoder.dim)


def test_missing_folder_says_how_to_export(tmp_path: Path) -> None:
    with pytest.raises(EncoderNotFound, match=r"python -m bot\.encoders\.export") as caught:
        OnnxSentenceEncoder(tmp_path / "nowhere")
    assert isinstance(caught.value, NLUError)
    assert caught.value.path == tmp_path / "nowhere"


def test_idle_threads_do_not_spin_unless_asked(encoder_dir: Path) -> None:
    quiet = OnnxSentenceEncoder(encoder_dir, num_threads=1)._session.get_session_options()
    spinning = OnnxSentenceEncoder(encoder_dir, num_threads=1, allow_spinning=True)
    options = spinning._session.get_session_options()

    assert quiet.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert quiet.get_session_config_entry("session.inter_op.allow_spinning") == "0"
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
