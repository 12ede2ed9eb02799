"""Hand-built conversations in, known rows out: every derived table, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from bot.analytics.models import Base
from bot.analytics.store import AnalyticsStore

from .conftest import KEY
from .streams import Stream, generator, knowledge, recommendations


def rows(engine: Engine, table: str, conversation: str | None = None) -> list[dict[str, Any]]:
    t = Base.metadata.tables[table]
    query = select(t)
    if conversation is not None:
        query = query.where(t.c.conversation == conversation)
    order = [t.c.seq] if "seq" in t.c else [c for c in t.primary_key.columns]
    with engine.connect() as connection:
        found = connection.execute(query.order_by(*order)).mappings().all()
    return [{k: v for k, v in r.items() if k != "id"} for r in found]


def support_stream() -> Stream:
    """A knowledge answer, two misses, a handoff with an agent, back to the bot, a rating."""
    s = Stream("socketio:4f1c")
    s.session()
    s.user("when do you open?", "ask_store_hours", 0.93).action("action_store_hours")
    s.bot("9 to 6.", records=[knowledge("grounded", "hours.md"), generator(812.0)]).listen()
    s.user("blorp zzz", "nlu_fallback", 0.31).action("action_fallback_clarify")
    s.bot("Did you mean one of these?", utter="utter_fallback_clarify").listen()
    s.user("qwerty", "nlu_fallback", 0.22).action("action_fallback_clarify")
    s.bot("Want a person?", utter="utter_fallback_offer_human").listen()
    s.user("yes a person", "ask_human", 0.97)
    s.action("action_handoff", metadata={"handoff_reason": {"reason": "ask_human"}})
    s.bot(
        "I've asked a colleague to join us.",
        custom={"type": "handoff", "state": "waiting", "position": 1},
        records=[{"kind": "handoff_reason", "reason": "repeated_fallback"}],
    )
    s.slot("handoff_reason", None).add("pause", after=0.0)
    s.bot("Sam joined.", custom={"type": "handoff", "state": "agent", "agent": "Sam"}, after=30)
    s.bot("Hi, how can I help?", custom={"type": "agent_message", "agent": "Sam"}, after=10)
    s.user("my order is late", "ask_order_status", 0.8, after=5)
    s.add("resume", after=60)
    s.bot("You're back with Volt.", custom={"type": "handoff", "state": "bot"}, after=0).listen()
    s.slot("csat_context", "handoff")
    s.bot("How did we do?", records=[{"kind": "csat_prompt", "context": "handoff"}]).listen()
    s.user("5", "inform", 0.99).slot("csat_score", 5, after=0.1)
    return s


def shopping_stream() -> Stream:
    """A credit pre-check completed, recommendations with a click, a plan form abandoned."""
    s = Stream("rest:8810", channel="rest")
    s.session()
    s.user("can I get financing", "ask_credit_check").action("credit_form").loop("credit_form")
    s.slot("requested_slot", "credit_amount").bot("How much?", utter="utter_ask_credit_amount")
    s.listen().user("4200 pounds", "inform").action("credit_form").slot("credit_amount", 4200)
    s.slot("requested_slot", "credit_term_months").bot("Over how long?").listen()
    s.user("24 months", "inform").action("credit_form").slot("credit_term_months", 24)
    s.slot("requested_slot", None).loop(None).action("action_credit_precheck")
    decision = {"score": 640, "decision": "review", "points": {"income": 120}}
    s.bot("Here is your result.", custom={"type": "credit_score", "schema_version": 1,
                                          "data": decision}).listen()  # fmt: skip
    s.user("recommend a phone", "ask_recommendation").action("action_recommend_products")
    s.bot("My top 3.", custom=recommendations("P-1", "P-2", "P-3")).listen()
    s.user("tell me about it", "ask_product_details", entities=[{"entity": "product",
                                                                  "value": "P-2"}])  # fmt: skip
    s.action("action_product_details").bot("Details.").listen()
    s.user("help me pick a plan", "ask_plan_advice").action("mobile_plan_form")
    s.loop("mobile_plan_form").slot("requested_slot", "plan_data_gb").bot("How much data?")
    s.listen().user("stop", "stop").action("action_abandon_form")
    s.loop(None).slot("requested_slot", None).bot("OK, stopped.").listen()
    return s


@pytest.fixture
def ingested(store: AnalyticsStore) -> AnalyticsStore:
    report = store.ingest(support_stream().events + shopping_stream().events)
    assert report.malformed == 0 and report.duplicates == 0 and report.conversations == 2
    return store


def test_turns_say_how_each_message_was_taken(ingested: AnalyticsStore) -> None:
    s = support_stream()
    conversation = ingested.conversation_key(s.sender)
    turns = rows(ingested.engine, "turns", conversation)
    assert [t["intent"] for t in turns] == [
        "ask_store_hours", "nlu_fallback", "nlu_fallback", "ask_human", "ask_order_status",
        "inform",
    ]  # fmt: skip
    assert [t["fallback"] for t in turns] == [False, True, True, False, False, False]
    assert [t["clarified"] for t in turns] == [False, True, False, False, False, False]
    # the second miss led to a person: that message is the one not handled, for "handoff"
    assert [t["unhandled_reason"] for t in turns] == [
        None, "nlu_fallback", "handoff", None, None, None,
    ]  # fmt: skip
    assert [t["handled"] for t in turns] == [True, False, False, True, True, True]
    assert [t["by_agent"] for t in turns] == [False, False, False, False, True, False]
    assert turns[0]["confidence"] == pytest.approx(0.93)
    assert turns[0]["response_ms"] == pytest.approx(500.0)  # action +0.1 s, bot +0.4 s
    assert {t["channel"] for t in turns} == {"socketio"}
    assert turns[0]["text"] == "when do you open?"


def test_sessions_actions_knowledge_and_generator_calls(ingested: AnalyticsStore) -> None:
    conversation = ingested.conversation_key(support_stream().sender)
    (session,) = rows(ingested.engine, "sessions", conversation)
    assert session["started_seq"] == 1 and session["user_turns"] == 6
    actions = [a["name"] for a in rows(ingested.engine, "actions", conversation)]
    assert actions[:3] == ["action_session_start", "action_store_hours", "action_fallback_clarify"]
    assert "action_listen" not in actions
    (answer,) = rows(ingested.engine, "knowledge_answers", conversation)
    assert answer["outcome"] == "grounded" and answer["sources"] == ["hours.md"]
    (call,) = rows(ingested.engine, "generator_calls", conversation)
    assert (call["backend"], call["task"], call["latency_ms"], call["deadline_hit"]) == (
        "local", "answer", 812.0, False,
    )  # fmt: skip


def test_handoff_times_and_csat(ingested: AnalyticsStore) -> None:
    s = support_stream()
    conversation = ingested.conversation_key(s.sender)
    (handoff,) = rows(ingested.engine, "handoffs", conversation)
    stamp = {e["tandem_seq"]: e["timestamp"] for e in s.events}
    assert stamp[handoff["requested_seq"]] == handoff["requested_at"]
    assert handoff["reason"] == "repeated_fallback"
    assert handoff["queue_wait_s"] == pytest.approx(30.0)
    assert handoff["first_response_s"] == pytest.approx(40.0)
    assert handoff["resolution_s"] == pytest.approx(40.0 + 5 + 60)
    assert handoff["returned_to_bot"] is True
    (rating,) = rows(ingested.engine, "csat", conversation)
    assert (rating["score"], rating["context"]) == (5, "handoff")
    (summary,) = rows(ingested.engine, "conversations", conversation)
    assert summary == {
        "conversation": conversation,
        "channel": "socketio",
        "started_at": s.events[0]["timestamp"],
        "last_event_at": s.events[-1]["timestamp"],
        "sessions": 1,
        "user_turns": 6,
        "bot_messages": 8,  # the agent's and the queue's included
        "fallbacks": 2,
        "journey": "knowledge",
        "journey_completed": True,
        "handed_off": True,
        "outcome": "escalated",
        "avg_response_ms": pytest.approx(summary["avg_response_ms"]),
        "csat": 5,
        "csat_prompted": True,
    }
    assert 0 < summary["avg_response_ms"] < 2000


def test_forms_results_and_clicks(ingested: AnalyticsStore) -> None:
    conversation = ingested.conversation_key(shopping_stream().sender)
    forms = rows(ingested.engine, "forms", conversation)
    assert [(f["name"], f["outcome"], f["slots_asked"], f["abandoned_at_slot"]) for f in forms] == [
        ("credit_form", "completed", ["credit_amount", "credit_term_months"], None),
        ("mobile_plan_form", "abandoned", ["plan_data_gb"], "plan_data_gb"),
    ]
    assert all(f["ended_at"] is not None for f in forms)
    results = rows(ingested.engine, "results", conversation)
    assert [(r["result_type"], r["label"], r["items"], r["clicked_item"]) for r in results] == [
        ("credit_score", "review", [], None),
        ("recommendations", None, ["P-1", "P-2", "P-3"], "P-2"),
    ]
    assert results[1]["clicked_at"] > results[1]["ts"]
    (summary,) = rows(ingested.engine, "conversations", conversation)
    assert (summary["channel"], summary["journey"], summary["journey_completed"]) == (
        "rest", "credit", True,
    )  # fmt: skip
    assert (summary["outcome"], summary["handed_off"], summary["csat"]) == (
        "contained",
        False,
        None,
    )


def test_a_form_left_open_is_abandoned_once_the_conversation_goes_quiet(engine: Engine) -> None:
    s = Stream("socketio:quiet").session()
    s.user("a savings plan please", "ask_savings_plan").action("savings_plan_form")
    s.loop("savings_plan_form").slot("requested_slot", "savings_goal").bot("Goal?").listen()
    last = s.events[-1]["timestamp"]
    clock = [last + 60.0]
    store = AnalyticsStore(engine, KEY, abandon_after_s=1800, clock=lambda: clock[0])
    store.ingest(s.events)
    conversation = store.conversation_key(s.sender)
    (form,) = rows(engine, "forms", conversation)
    assert (form["outcome"], form["abandoned_at_slot"]) == ("active", None)
    assert store.settle() == 0
    clock[0] = last + 1800.0
    assert store.settle() == 1
    (form,) = rows(engine, "forms", conversation)
    assert (form["outcome"], form["abandoned_at_slot"]) == ("abandoned", "savings_goal")
    (summary,) = rows(engine, "conversations", conversation)
    assert (summary["journey"], summary["outcome"]) == ("savings", "abandoned")


def test_an_abstained_knowledge_answer_is_an_unhandled_turn(store: AnalyticsStore) -> None:
    s = Stream("socketio:kb").session()
    s.user("do you sell fridges", "ask_faq").action("action_answer_question")
    s.bot("I don't know that one.", records=[knowledge("abstained")]).listen()
    s.user("hi", "greet").action("utter_greet").bot("Hi!", utter="utter_greet").listen()
    store.ingest(s.events)
    conversation = store.conversation_key(s.sender)
    turns = rows(store.engine, "turns", conversation)
    assert [(t["handled"], t["unhandled_reason"]) for t in turns] == [
        (False, "abstained"), (True, None),
    ]  # fmt: skip
    (summary,) = rows(store.engine, "conversations", conversation)
    assert (summary["journey"], summary["journey_completed"], summary["outcome"]) == (
        "knowledge", False, "contained",
    )  # fmt: skip


def test_an_unavailable_handoff_is_a_request_nobody_took(store: AnalyticsStore) -> None:
    s = Stream("socketio:closed").session()
    s.user("a human please", "ask_human").action("action_handoff")
    s.bot("Nobody is free.", custom={"type": "handoff", "state": "unavailable",
                                     "reason": "closed"}).listen()  # fmt: skip
    store.ingest(s.events)
    (handoff,) = rows(store.engine, "handoffs", store.conversation_key(s.sender))
    assert handoff["reason"] == "closed" and handoff["assigned_at"] is None
    assert handoff["returned_to_bot"] is False and handoff["queue_wait_s"] is None
