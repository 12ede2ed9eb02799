"""benchmarks/turn.py's bookkeeping: which turns are timed, the breakdown, the checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.turn import (
    OUTSIDE,
    ROUND_TRIP,
    TOTAL,
    UNTIMED,
    breakdown,
    custom_actions,
    ordered,
    timed_stages,
)


def stage_lines(path: Path, conversations: int, turns: int) -> Path:
    lines = [{"sender": "rest:warm-up", "stages": {TOTAL: 9.0}}]
    for c in range(conversations):
        lines.append({"sender": f"rest:bench-{c}", "stages": {TOTAL: 9.0}})  # first message
        lines += [
            {
                "sender": f"rest:bench-{c}",
                "stages": {
                    TOTAL: 0.030,
                    "nlu (all components)": 0.010,
                    "graph:SentenceEncoderFeaturizer": 0.006,
                    "dialogue (policies + actions)": 0.015,
                    "graph:TEDPolicy": 0.010,
                    "tracker: save (all)": 0.004,
                    "broker: OutboxBroker": 0.001,
                },
            }
            for _ in range(turns)
        ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_only_the_timed_turns_count_in_ms(tmp_path: Path) -> None:
    stages = timed_stages(stage_lines(tmp_path / "s.jsonl", 2, 3), conversation_turns=3)
    assert len(stages) == 6
    assert all(turn[TOTAL] == pytest.approx(30.0) for turn in stages)


def test_breakdown_splits_the_round_trip(tmp_path: Path) -> None:
    stages = timed_stages(stage_lines(tmp_path / "s.jsonl", 1, 4), conversation_turns=4)
    result = breakdown(stages, [32.0, 33.0, 31.0, 32.0])
    assert result[ROUND_TRIP] == 32.0
    assert result[OUTSIDE] == pytest.approx(2.0)
    assert result[UNTIMED] == pytest.approx(1.0)  # 30 - (10 + 15 + 4)
    assert result["graph:TEDPolicy"] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="3 turns"):
        breakdown(stages, [1.0, 2.0, 3.0])


def test_the_table_nests_components_under_their_stage(tmp_path: Path) -> None:
    stages = timed_stages(stage_lines(tmp_path / "s.jsonl", 1, 2), conversation_turns=2)
    rows = [(name, depth) for name, depth, _ in ordered(breakdown(stages, [40.0, 40.0]))]
    assert rows[:3] == [(ROUND_TRIP, 0), (OUTSIDE, 1), (TOTAL, 1)]
    at = {name: i for i, (name, _) in enumerate(rows)}
    assert at["nlu (all components)"] < at["graph:SentenceEncoderFeaturizer"]
    assert at["dialogue (policies + actions)"] < at["graph:TEDPolicy"]
    assert at["tracker: save (all)"] < at["broker: OutboxBroker"]
    assert dict(rows)["graph:TEDPolicy"] == 3


def test_responses_and_builtins_are_not_custom_actions() -> None:
    ran = {
        "utter_greet": 3,
        "action_listen": 6,
        "action_session_start": 1,
        "action_unlikely_intent": 2,
        "action_store_hours": 1,
    }
    assert custom_actions(ran) == {"action_store_hours": 1}
