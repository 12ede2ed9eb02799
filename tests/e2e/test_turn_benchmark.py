"""benchmarks/turn.py's whole path, short: five turns per bot, structure and sanity only.

The real engines (Tandem's through the timed worker, and Rasa's starter project) on
SQLite; the starter project gets a lighter config so that it trains in seconds.
How fast each bot is, is the benchmark's business, not this test's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.serving import machine
from benchmarks.turn import (
    OUTSIDE,
    ROUND_TRIP,
    TOTAL,
    measure,
    stock_project,
    train_stock,
    write_report,
)
from bot.settings import Settings
from bot.training import ensure_model

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

LIGHT_STOCK_CONFIG = """\
recipe: default.v1
assistant_id: stock-light
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
  - name: LogisticRegressionClassifier
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
"""


def test_five_turns_each_give_a_ratio_and_a_breakdown(tmp_path: Path) -> None:
    base = Settings.from_env()
    stock = stock_project(tmp_path / "stock-train", base.engine_python, config=LIGHT_STOCK_CONFIG)
    stock_model = train_stock(
        stock, tmp_path / "stock.tar.gz", base.engine_python, base.engine_env()
    )
    result = measure(
        base,
        tmp_path / "run",
        model=ensure_model(base),
        stock_model=stock_model,
        turns=5,
        conversation_turns=5,
    )

    assert set(result["bots"]) == {"tandem", "stock_rasa"}
    assert [len(v) for v in result["latencies_ms"].values()] == [5, 5]
    assert result["ratio"] == pytest.approx(
        result["turn_p50_ms"] / result["stock_rasa_turn_p50_ms"], abs=0.01
    )
    assert result["custom_actions_in_timed_turns"]["tandem"] == {}
    assert result["actions_run"]["tandem"]["utter_greet"] >= 1
    assert result["turns_without_reply"]["tandem"] == 0
    parts = result["breakdown"]
    for stage in (
        "graph:SentenceEncoderFeaturizer",
        "graph:LanguageDetector",
        "graph:FrustrationDetector",
        "graph:TEDPolicy",
        "graph:HandoffPolicy",
        "tracker: load",
        "tracker: redact + serialise",
        "broker: OutboxBroker",
        "broker: HandoffNotifier",
    ):
        assert parts[stage] >= 0, stage
    assert 0 < parts[TOTAL] <= parts[ROUND_TRIP]
    assert parts[OUTSIDE] >= 0

    result["machine"] = machine()
    write_report(result, tmp_path / "out")
    written = json.loads((tmp_path / "out" / "turn.json").read_text())
    assert written["ratio"] == result["ratio"] and "latencies_ms" not in written
    assert "Where a Tandem turn's time goes" in (tmp_path / "out" / "turn.md").read_text()
