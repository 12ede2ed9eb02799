"""The fault benchmark's bookkeeping: what counts as lost, duplicated, felt by a customer."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from benchmarks import faults
from benchmarks.faults import APOLOGY, FaultResult, Turn, account, recover_s


def turn(text: str, replies: list[str] | None = None, *, status: int = 200, at: float = 0) -> Turn:
    return Turn(
        "s",
        text,
        started=at,
        ended=at + 1,
        status=status,
        replies=["ok"] if replies is None else replies,
    )


def test_a_conversation_stored_as_sent_loses_nothing() -> None:
    turns = [turn("hi", ["Hello!"]), turn("bye", ["Bye!"])]
    assert account(turns, ["hi", "bye"], ["Hello!", "Bye!"]) == faults.Accounting()


def test_an_answered_message_or_a_seen_reply_missing_from_the_tracker_is_lost() -> None:
    turns = [turn("hi", ["Hello!"]), turn("bye", ["Bye!"])]
    assert account(turns, ["hi"], ["Hello!"]).lost == 2
    assert account(turns, ["hi", "bye"], ["Hello!"]).lost == 1


def test_a_message_stored_twice_is_duplicated_and_disorder_is_seen() -> None:
    turns = [turn("hi", ["Hello!"]), turn("bye", ["Bye!"])]
    assert account(turns, ["hi", "bye", "bye"], ["Hello!", "Bye!"]).duplicated == 1
    assert account(turns, ["bye", "hi"], ["Hello!", "Bye!"]).out_of_order == 1


def test_a_failed_message_may_be_stored_once_and_is_not_lost_when_absent() -> None:
    turns = [turn("hi", ["Hello!"]), turn("bye", [], status=500)]
    assert account(turns, ["hi"], ["Hello!"]) == faults.Accounting()
    assert account(turns, ["hi", "bye"], ["Hello!"]).failed_but_stored == 1
    apologised = [turn("hi", ["Hello!"]), turn("bye", [f"Sorry, {APOLOGY}."])]
    assert account(apologised, ["hi"], ["Hello!"]) == faults.Accounting()


def test_errors_silence_and_apologies_are_bad_turns_and_set_the_recovery_time() -> None:
    good = turn("a", ["fine"], at=10)
    apology = turn("b", [f"Sorry, {APOLOGY}."], at=12)
    error = turn("c", status=502, at=14)
    silent = turn("d", [], at=3)
    assert [t.bad for t in (good, apology, error)] == [False, True, True]
    assert silent.bad
    assert recover_s([good, apology, error, silent], fault_at=11) == 4.0
    assert recover_s([good], fault_at=11) == 0.0
    assert "1 x an apology" in faults.customers_saw([apology, error])


def test_the_scale_results_keep_other_writers_keys(tmp_path: Path) -> None:
    path = tmp_path / "scale.json"
    path.write_text(json.dumps({"msgs_per_s_1_replica": 12.5}))
    threads = [
        threading.Thread(target=faults.merge_results, args=(path, {f"k{i}": i})) for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = json.loads(path.read_text())
    assert merged["msgs_per_s_1_replica"] == 12.5
    assert {f"k{i}" for i in range(8)} <= merged.keys()


def test_the_table_names_every_fault_and_what_was_not_tried() -> None:
    results = [
        FaultResult("redis_restart", survived=True, turns=20, customers_saw="nothing unusual"),
        FaultResult("rasa_replica_kill", tried=False, note="not possible on one replica"),
    ]
    table = faults.markdown(
        results,
        {"command": "python -m benchmarks.faults", "replicas": 1, "customers": 3, "down_s": 3},
    )
    assert "| redis_restart | yes | 20 |" in table
    assert "| rasa_replica_kill | not tried |" in table
