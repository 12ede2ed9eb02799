"""The Chinese knowledge benchmark's path on a few questions, with the hashing fake."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import knowledge_languages as bench
from benchmarks.knowledge import load_questions
from generators.embeddings import HashingEmbedder


def test_the_chinese_question_set_has_both_splits_and_unanswerable_questions() -> None:
    rows = load_questions(bench.QUESTIONS)
    assert len(rows) >= 50 and sum(r["split"] == "heldout" for r in rows) >= 15
    assert sum(not r["facts"] for r in rows) >= 5
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["q"]) for r in rows)


def test_an_encoder_is_calibrated_on_dev_then_scored_and_every_output_written(
    tmp_path: Path,
) -> None:
    rows = [r for r in load_questions(bench.QUESTIONS) if r["q"] in _FEW]
    result = bench.run_encoder("hashing", HashingEmbedder(), rows)
    assert result["questions"] == len(_FEW) and 0.0 <= result["threshold"] <= 1.0
    assert result["answer_accuracy"] is not None and result["p50_ms"] >= 0
    report = {"questions": len(rows), "language": "zh", "encoders": [result], "machine": "test"}
    bench.write(report, tmp_path)
    assert json.loads((tmp_path / "knowledge_zh.json").read_text())["encoders"][0]["encoder"]
    assert "| hashing |" in (tmp_path / "knowledge_zh.md").read_text()
    assert (tmp_path / "knowledge_zh.png").stat().st_size > 0


_FEW = {"运费多少", "退货要多久", "今天天气怎么样", "能寄到国外吗", "你们卖自行车吗"}
