"""The knowledge benchmark's path on a tiny set: before and after side by side, all outputs."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import knowledge
from generators.answer import Answer


def test_the_question_set_is_big_enough_and_well_formed() -> None:
    rows = knowledge.load_questions()
    assert len(rows) >= 100
    assert sum(r["split"] == "heldout" for r in rows) >= 30
    assert {r["category"] for r in rows} == {"knowledge", "catalogue", "follow-up", "unanswerable"}
    assert all(r["split"] in {"dev", "heldout"} for r in rows)


def test_a_reply_is_judged_on_its_text_not_its_source_line() -> None:
    row = {"facts": ["Voltline Care"]}
    cited = Answer("Not covered.", "answered", ("Warranty and repairs: Voltline Care",))
    assert not knowledge.is_correct(row, cited)
    assert knowledge.is_correct({"facts": ["£1,099"]}, Answer("It costs £1099.", "answered"))
    assert knowledge.is_correct({"facts": []}, Answer("I don't know", "abstained"))


def test_before_and_after_run_side_by_side_and_write_every_output(tmp_path: Path) -> None:
    from generators.embeddings import SentenceTransformerEmbedder

    rows = [
        r
        for r in knowledge.load_questions()
        if r["q"]
        in {
            "one side of my headphones stopped working, I bought them 3 weeks ago",
            "how much is the Nova 8?",
            "and does it come in blue?",
            "what's your customer service phone number?",
            "what's the capital of peru",
        }
    ]
    assert len(rows) == 5
    result = knowledge.run(SentenceTransformerEmbedder(), rows)
    assert result["after"]["answer_accuracy"] == 1.0
    assert result["before"]["answer_accuracy"] < result["after"]["answer_accuracy"]
    assert result["after"]["p95_ms"] > 0
    result["machine"] = "test"
    knowledge.write(result, tmp_path)
    saved = json.loads((tmp_path / "knowledge.json").read_text())
    assert saved["answer_accuracy"] == 1.0 and "before" in saved
    assert "| answer_accuracy |" in (tmp_path / "knowledge.md").read_text()
    assert (tmp_path / "knowledge.png").stat().st_size > 1000
