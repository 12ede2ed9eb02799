"""Ingestion is idempotent and private; prune and erase remove whole conversations."""

from __future__ import annotations

import json
import logging
import random
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.analytics.models import Base
from bot.analytics.store import AnalyticsStore
from bot.errors import ConfigError

from .conftest import KEY, NOW
from .streams import Stream, recommendations
from .test_derivation import shopping_stream, support_stream


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every table's rows without their surrogate ids, sorted: what two ingestions compare."""
    tables: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for name, table in Base.metadata.tables.items():
            found = connection.execute(select(table)).mappings().all()
            tables[name] = sorted(
                json.dumps({k: v for k, v in r.items() if k != "id"}, sort_keys=True, default=str)
                for r in found
            )
    return tables


def test_replays_duplicates_and_out_of_order_delivery_give_the_same_tables(
    engine: Engine, db_url: str
) -> None:
    events = support_stream().events + shopping_stream().events
    in_order = AnalyticsStore(engine, KEY, clock=lambda: NOW)
    first = in_order.ingest(events)
    assert (first.new, first.duplicates) == (len(events), 0)
    expected = snapshot(engine)
    assert all(expected[t] for t in ("turns", "forms", "results", "handoffs", "csat"))

    again = in_order.ingest(events)  # a replay: nothing new, nothing changed
    assert (again.new, again.duplicates) == (0, len(events))
    assert snapshot(engine) == expected

    # Start over: shuffled, in overlapping batches, each event delivered twice or more.
    with engine.begin() as connection:
        for table in Base.metadata.tables.values():
            connection.execute(table.delete())
    shuffled = events + random.Random(7).sample(events, k=len(events) // 2)
    random.Random(21).shuffle(shuffled)
    new = duplicates = 0
    for start in range(0, len(shuffled), 17):
        report = in_order.ingest(shuffled[start : start + 17])
        new, duplicates = new + report.new, duplicates + report.duplicates
    assert (new, duplicates) == (len(events), len(shuffled) - len(events))
    assert snapshot(engine) == expected


def test_concurrent_ingesters_store_each_event_once(engine: Engine) -> None:
    events = support_stream().events + shopping_stream().events
    stores = [AnalyticsStore(engine, KEY, clock=lambda: NOW) for _ in range(4)]
    reports: list[Any] = []
    errors: list[BaseException] = []

    def run(store: AnalyticsStore, seed: int) -> None:
        batch = random.Random(seed).sample(events, k=len(events))
        try:
            for start in range(0, len(batch), 10):
                reports.append(store.ingest(batch[start : start + 10]))
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s, i)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.new for r in reports) == len(events)
    assert sum(r.duplicates for r in reports) == 3 * len(events)
    reference = AnalyticsStore(engine, KEY, clock=lambda: NOW)
    before = snapshot(engine)
    reference.ingest(events)  # rebuilding from scratch changes nothing
    assert snapshot(engine) == before


def test_malformed_events_are_skipped_and_the_good_ones_kept(
    store: AnalyticsStore, caplog: pytest.LogCaptureFixture
) -> None:
    good = Stream("socketio:mixed").session().user("hi", "greet").events
    bad: list[Any] = [
        {"event": "user", "text": "card 4111 1111 1111 1111", "timestamp": 1.0},  # no sender
        {"event": "user", "sender_id": "socketio:secret-id", "tandem_seq": -1, "timestamp": 1.0},
        {"sender_id": "socketio:secret-id", "tandem_seq": 9, "timestamp": 1.0},  # no type
        {"event": "bot", "sender_id": "socketio:secret-id", "tandem_seq": 10, "timestamp": "x"},
        "not an event",
    ]
    with caplog.at_level(logging.WARNING, logger="bot.analytics.store"):
        report = store.ingest([bad[0], *good[:2], bad[1], bad[2], *good[2:], bad[3], bad[4]])
    assert (report.new, report.duplicates, report.malformed) == (len(good), 0, len(bad))
    logged = caplog.text
    assert logged.count("skipped analytics event") == len(bad)
    assert "secret-id" not in logged and "4111" not in logged
    conversation = store.conversation_key("socketio:mixed")
    with store.engine.connect() as connection:
        t = Base.metadata.tables["turns"]
        assert connection.execute(select(t.c.intent).where(t.c.conversation == conversation)).all()


def test_conversation_key_is_a_keyed_hash(engine: Engine) -> None:
    one = AnalyticsStore(engine, KEY)
    other = AnalyticsStore(engine, KEY + "-rotated")
    key = one.conversation_key("slack:T1:C2")
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == one.conversation_key("slack:T1:C2") != one.conversation_key("slack:T1:C3")
    assert other.conversation_key("slack:T1:C2") != key
    with pytest.raises(ConfigError, match="TANDEM_ANALYTICS_KEY"):
        AnalyticsStore(engine, "short")


PII = {
    "sender": "web:jane.doe@example.com",
    "card": "4111 1111 1111 1111",
    "email": "jane.doe@example.com",
    "phone": "07700 900123",
    "intl_phone": "+44 20 7946 0958",
    "postcode": "SW1A 1AA",
    "first_name": "Jane",
    "last_name": "Doe",
    "other_name": "Bartholomew",
    "income": "3875",
    "agent": "Samantha",
}


def personal_stream() -> Stream:
    s = Stream(PII["sender"], channel="socketio").session()
    s.user("Hi, I'm Jane Doe", "tell_name", entities=[{"entity": "name", "value": "Jane Doe"}])
    s.action("action_remember_name").slot("customer_name", "Jane Doe")
    s.bot("Nice to meet you, Jane Doe! How can I help?").listen()
    s.user(
        f"my card {PII['card']} was charged twice, mail me at {PII['email']} or call "
        f"{PII['phone']}", "complaint",
        entities=[{"entity": "email", "value": PII["email"]},
                  {"entity": "phone", "value": PII["phone"]}],
    )  # fmt: skip
    s.action("action_handoff", metadata={"handoff_reason": {"reason": "complaint"}})
    s.bot("Asking a colleague.", custom={"type": "handoff", "state": "waiting"}).add("pause")
    s.bot(f"{PII['agent']} joined.", custom={"type": "handoff", "state": "agent",
                                            "agent": PII["agent"]})  # fmt: skip
    s.bot("Hello Jane, sorry about that.", custom={"type": "agent_message",
                                                   "agent": PII["agent"]})  # fmt: skip
    s.user(f"I live at {PII['postcode']}, phone {PII['intl_phone']}.\nThanks,\nBartholomew",
           "inform")  # fmt: skip
    s.add("resume").bot("Back with Volt.", custom={"type": "handoff", "state": "bot"}).listen()
    s.user("can I get credit", "ask_credit_check").action("credit_form").loop("credit_form")
    s.slot("requested_slot", "credit_monthly_income").bot("Your monthly income?").listen()
    money = [{"entity": "money", "value": PII["income"]}]
    s.user(f"about {PII['income']} a month", "inform", entities=money)
    s.slot("credit_monthly_income", int(PII["income"])).slot("requested_slot", None).loop(None)
    s.bot(
        "Result.",
        custom={
            "type": "credit_score",
            "schema_version": 1,
            "data": {
                "score": 612,
                "decision": "review",
                "points": {"income": int(PII["income"])},
                "unknown_inputs": ["credit_savings"],
                "financing": {"amount": int(PII["income"])},
            },
        },
    )
    s.bot(
        "Picks.",
        custom={
            **recommendations("P-7"),
            "data": {"customer_id": PII["email"], "items": recommendations("P-7")["data"]["items"]},
        },
    )
    s.slot("csat_score", 4)
    return s


def test_no_personal_data_in_any_column_of_any_table(store: AnalyticsStore) -> None:
    store.ingest(personal_stream().events)
    found: list[str] = []
    with store.engine.connect() as connection:
        for name, table in Base.metadata.tables.items():
            for row in connection.execute(select(table)).mappings():
                for column, value in row.items():
                    text = json.dumps(value, default=str) if not isinstance(value, str) else value
                    for kind, secret in PII.items():
                        if secret.lower() in text.lower():
                            found.append(f"{name}.{column} holds the {kind}: {text[:120]}")
    assert found == [], "\n".join(found)
    with store.engine.connect() as connection:  # and yet the facts are there
        t = Base.metadata.tables["events"]
        assert connection.execute(select(t)).all()
        summary = connection.execute(select(Base.metadata.tables["conversations"])).mappings().one()
    assert (summary["handed_off"], summary["csat"], summary["journey"]) == (True, 4, "handoff")


def test_prune_drops_conversations_past_the_retention_window(engine: Engine) -> None:
    old = Stream("socketio:old", t=NOW - 500 * 86400).session().user("hi", "greet")
    recent = Stream("socketio:recent", t=NOW - 10 * 86400).session().user("hi", "greet")
    store = AnalyticsStore(engine, KEY, clock=lambda: NOW)
    store.ingest(old.events + recent.events)
    assert store.prune(400) == 1
    left = {t: {r[0] for r in rows} for t, rows in conversations_by_table(engine).items()}
    assert left["events"] == left["conversations"] == {store.conversation_key(recent.sender)}
    assert store.prune(400) == 0
    with pytest.raises(ConfigError):
        store.prune(0)


def test_prune_and_settle_take_at_most_their_limit_per_call(engine: Engine) -> None:
    """The consumer prunes and settles in bounded transactions, ingesting in between."""
    clock = [NOW]
    store = AnalyticsStore(engine, KEY, abandon_after_s=1800, clock=lambda: clock[0])
    for n in range(3):
        s = Stream(f"socketio:open{n}", t=NOW - 600).session()
        s.user("a savings plan please", "ask_savings_plan").action("savings_plan_form")
        store.ingest(s.loop("savings_plan_form").listen().events)
    clock[0] = NOW + 3600
    assert [store.settle(limit=2), store.settle(limit=2)] == [2, 1]
    clock[0] = NOW + 500 * 86400
    assert [store.prune(400, limit=2), store.prune(400, limit=2), store.prune(400)] == [2, 1, 0]


def conversations_by_table(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            name: [tuple(r) for r in connection.execute(select(table.c.conversation))]
            for name, table in Base.metadata.tables.items()
        }


def test_erase_removes_one_customer_everywhere(store: AnalyticsStore) -> None:
    gone, kept = support_stream(), shopping_stream()
    store.ingest(gone.events + kept.events)
    counts = store.erase(gone.sender)
    assert counts["events"] == len(gone.events) and counts["turns"] == 6
    assert counts["handoffs"] == 1 and counts["csat"] == 1 and counts["conversations"] == 1
    key = store.conversation_key(gone.sender)
    for table, found in conversations_by_table(store.engine).items():
        assert (key,) not in found, table
    assert (store.conversation_key(kept.sender),) in conversations_by_table(store.engine)["events"]
    assert sum(store.erase(gone.sender).values()) == 0
