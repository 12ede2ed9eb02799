"""benchmarks/load/journeys.py: the journal and the tracker check of the load test."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load.journeys import (
    JOURNEY,
    Journal,
    Sent,
    Step,
    check,
    expected_reply,
    read_journal,
    tracker_id,
    user_texts,
)


def sent(*texts: str, acked: set[int] | None = None) -> Sent:
    return Sent("rest", list(texts), set(range(len(texts))) if acked is None else acked)


def test_a_whole_tracker_passes() -> None:
    verdict = check(sent("a", "b", "c"), ["a", "b", "c"])
    assert (verdict.lost, verdict.duplicated, verdict.out_of_order) == (0, 0, 0)
    assert verdict.problems == []


def test_an_answered_message_missing_is_lost() -> None:
    verdict = check(sent("a", "b", "c"), ["a", "c"])
    assert verdict.lost == 1 and "'b'" in verdict.problems[0]


def test_an_unanswered_message_may_be_missing_but_is_not_lost() -> None:
    verdict = check(sent("a", "b", acked={0}), ["a"])
    assert (verdict.lost, verdict.unacked_missing) == (0, 1)


def test_a_message_twice_is_a_duplicate_even_unanswered() -> None:
    assert check(sent("a", "b", acked={0}), ["a", "b", "b"]).duplicated == 1


def test_a_message_nobody_sent_counts_as_duplicated() -> None:
    assert check(sent("a"), ["a", "z"]).duplicated == 1


def test_order_is_checked() -> None:
    verdict = check(sent("a", "b", "c"), ["a", "c", "b"])
    assert verdict.out_of_order == 1 and verdict.lost == 0


def test_the_journal_round_trips_and_keeps_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.sent("c1", "webchat", 0, "hello")
    journal.acked("c1", 0)
    journal.sent("c1", "webchat", 1, "bye")
    conversations = read_journal((tmp_path / "j.jsonl").read_text().splitlines())
    assert conversations == {"c1": Sent("webchat", ["hello", "bye"], {0})}


def test_a_journal_out_of_order_is_refused() -> None:
    lines = ['{"kind": "sent", "conversation": "c", "channel": "rest", "seq": 1, "text": "x"}']
    with pytest.raises(ValueError, match="one user per conversation"):
        read_journal(lines)


def test_tracker_ids_follow_the_channels_namespaces() -> None:
    assert tracker_id("abc", "rest") == "rest:abc"
    assert tracker_id("6f1c", "webchat") == "6f1c"


def test_user_texts_are_the_user_events_only() -> None:
    events = [{"event": "user", "text": "hi"}, {"event": "bot", "text": "hey"}, {"event": "slot"}]
    assert user_texts(events) == ["hi"]


def test_the_journey_never_repeats_a_text_and_asks_for_a_person_last() -> None:
    texts = [step.text for step in JOURNEY]
    assert len(set(texts)) == len(texts)  # texts identify messages in the check
    assert JOURNEY[-1].name == "handoff"


def test_replies_of_the_wrong_kind_are_errors() -> None:
    card = {"custom": {"type": "mobile_plan"}}
    assert expected_reply(Step("plan_result", "x"), [card]) is None
    assert "no mobile_plan card" in str(expected_reply(Step("plan_result", "x"), [{"text": "?"}]))
    assert expected_reply(Step("greeting", "hi"), []) == "no reply"
    assert expected_reply(Step("handoff", "a person"), []) is None


def test_the_capacity_model_is_the_arithmetic_docs_capacity_md_shows() -> None:
    from benchmarks.load.sizing import Measured, size

    measured = Measured(
        msgs_per_cpu_s=10.0,
        engine_cpu_share=0.5,
        actions_cpu_share=0.4,
        engine_rss_mib=1024,
        actions_rss_mib=512,
        events_per_message=10,
        bytes_per_event=1000,
    )
    sized = size(measured, conversations=3000, seconds_between_messages=30)
    assert sized.messages_per_s == 100  # 3000 conversations / 30 s
    assert sized.server_cores == 10  # 100 msgs/s / 10 msgs per CPU-second
    assert sized.engine_replicas == 8  # ceil(10 * 0.5 / 0.7)
    assert sized.action_servers == 6  # ceil(10 * 0.4 / 0.7)
    assert sized.engine_memory_gib == 8.0
    assert sized.postgres_event_inserts_per_s == 1000
