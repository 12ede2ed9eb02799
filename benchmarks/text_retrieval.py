"""Retrieval half of the text benchmark: recall@k and abstention on the question set.

The abstain threshold is calibrated on the even-numbered questions and
scored on the odd-numbered ones (held out), so the reported abstention rate
is not fitted to the questions it is measured on; the whole-set figures at
the shipped threshold are reported too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from generators.retrieval import KnowledgeBase, calibrate_threshold

QUESTIONS = Path(__file__).parent / "data" / "text_questions.yml"


def load_questions(path: Path = QUESTIONS) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text())["questions"])


def _rates(rows: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    pos = np.array([r["top"] for r in rows if r["doc"]])
    neg = np.array([r["top"] for r in rows if not r["doc"]])
    return {
        "unanswerable_abstain_rate": float((neg < threshold).mean()),
        "answerable_answer_rate": float((pos >= threshold).mean()),
    }


def run(kb: KnowledgeBase, questions: list[dict[str, Any]], *, k: int = 3) -> dict[str, Any]:
    rows = []
    for q in questions:
        hits = kb.search(q["q"], k=k)
        rows.append(
            {
                "q": q["q"],
                "doc": q["doc"],
                "top": hits[0].score,
                "found": [h.chunk.doc_id for h in hits],
            }
        )
    answerable = [r for r in rows if r["doc"]]
    recall = {
        f"recall_at_{n}": float(np.mean([r["doc"] in r["found"][:n] for r in answerable]))
        for n in (1, k)
    }
    calib, held = rows[0::2], rows[1::2]
    cut = calibrate_threshold(
        [r["top"] for r in calib if r["doc"]], [r["top"] for r in calib if not r["doc"]]
    )
    return {
        "questions": len(rows),
        "unanswerable": len(rows) - len(answerable),
        **recall,
        "threshold": kb.threshold,
        **_rates(rows, kb.threshold),
        "calibrated_threshold_on_even": cut,
        "held_out_on_odd": _rates(held, cut),
        "misses": [r for r in answerable if r["doc"] not in r["found"]],
        "wrong_abstentions": [r["q"] for r in answerable if r["top"] < kb.threshold],
        "wrong_answers": [r["q"] for r in rows if not r["doc"] and r["top"] >= kb.threshold],
    }
